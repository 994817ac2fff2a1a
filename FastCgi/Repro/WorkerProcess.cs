using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FcgiExt.FastCgi.Repro;

/// <summary>How a worker process ended: as waitpid(2) tells it on Unix, or as GetExitCodeProcess does on Windows, where an
/// unhandled exception ends the process with its exception code (an NTSTATUS of error severity, 0xC…).</summary>
public sealed record WorkerExit(int? ExitCode, int? Signal, bool CoreDumped, uint? Exception = null)
{
    public static WorkerExit FromWaitStatus(int status) =>
        (status & 0x7f) == 0 ? new WorkerExit((status >> 8) & 0xff, null, false)
                             : new WorkerExit(null, status & 0x7f, (status & 0x80) != 0);

    /// <summary>A Windows exit code: 0xC0000000 and up is an NTSTATUS error — the exception that killed it (0xc0000005, a
    /// fail-fast's 0xc0000409) — which no program returns as a status of its own.</summary>
    public static WorkerExit FromWindowsExitCode(uint code) =>
        code >= 0xC0000000 ? new WorkerExit(null, null, false, code) : new WorkerExit(unchecked((int)code), null, false);

    public string SignalName => Signal is { } s ? Signals.Name(s) : "";

    /// <summary>"0xc0000005 STATUS_ACCESS_VIOLATION", or the hex code alone when it has no name.</summary>
    public string? ExceptionName => Exception is { } code
        ? RulesEngine.Triage.ExceptionCodes.Hex(code) + (RulesEngine.Triage.ExceptionCodes.NameOf(code) is { } n ? " " + n : "") : null;

    public override string ToString() => Signal is { } s ? $"killed by {Signals.Name(s)}{(CoreDumped ? " (core dumped)" : "")}"
        : ExceptionName is { } e ? $"ended by exception {e}" : $"exit status {ExitCode}";
}

public static class Signals
{
    public const int Kill = 9, Term = 15;

    public static string Name(int signal) => signal switch
    {
        1 => "SIGHUP", 2 => "SIGINT", 3 => "SIGQUIT", 4 => "SIGILL", 5 => "SIGTRAP", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE",
        9 => "SIGKILL", 11 => "SIGSEGV", 13 => "SIGPIPE", 14 => "SIGALRM", 15 => "SIGTERM", 24 => "SIGXCPU", 25 => "SIGXFSZ",
        31 => "SIGSYS", _ => $"signal {signal}",
    };
}

/// <summary>
/// A FastCGI worker spawned the way a web server spawns php-cgi on Unix: a listening socket as its fd 0
/// (FCGI_LISTENSOCK_FILENO), stdout to /dev/null, stderr to a pipe this side reads. System.Diagnostics.Process cannot
/// hand a socket over as fd 0 (it always makes its own pipes, and .NET opens every descriptor close-on-exec), so this
/// calls posix_spawn(3) with a dup2 file action: no fork of the .NET runtime, and dup2 clears close-on-exec on fd 0
/// only. The child is reaped with waitpid on a thread of its own: the runtime's SIGCHLD handler reaps only the children
/// Process started.
/// </summary>
public sealed class WorkerProcess : IFastCgiWorker
{
    readonly Socket listener;
    readonly Task<WorkerExit> exit;
    readonly Task stderrDone;
    readonly System.Text.StringBuilder stderrText = new();
    int signalled;

    public int Pid { get; }
    public string SocketPath { get; }
    public DateTime Started { get; }
    public DateTime? Exited { get; private set; }
    public Task<WorkerExit> Exit => exit;
    /// <summary>What the worker wrote to its own stderr (fd 2), not through FastCGI: startup errors, crash messages.
    /// Waits a little for the end of it, no longer: children the worker forked (PHP_FCGI_CHILDREN) may hold the pipe open.</summary>
    public async Task<string> StderrTextAsync(TimeSpan wait)
    {
        await Task.WhenAny(stderrDone, Task.Delay(wait));
        lock (stderrText) return stderrText.ToString();
    }
    /// <summary>The signal this side sent (recycling, the end of the run), so that exit is not taken for a crash.</summary>
    public int? SignalSent => signalled == 0 ? null : signalled;
    public bool EndedByDriver => signalled != 0;

    WorkerProcess(int pid, string socketPath, Socket listener, Stream stderr)
    {
        Pid = pid;
        SocketPath = socketPath;
        Started = DateTime.UtcNow;
        this.listener = listener;
        stderrDone = Task.Run(async () =>
        {
            using var reader = new StreamReader(stderr);
            var buffer = new char[4096];
            int n;
            while ((n = await reader.ReadAsync(buffer)) > 0)
                lock (stderrText) stderrText.Append(buffer, 0, n);
        });
        exit = Task.Factory.StartNew(() =>
        {
            var e = WaitPid(pid);
            Exited = DateTime.UtcNow;
            return e;
        }, TaskCreationOptions.LongRunning);
    }

    /// <summary>Spawns <paramref name="executable"/> (a path; see <see cref="FindOnPath"/>) listening on a fresh Unix socket.
    /// The socket's name is in Linux's abstract namespace: the driver must close its copy of the listener (below), and .NET
    /// unlinks a socket file when its listener is closed, so a file-system socket would vanish under the worker.</summary>
    public static WorkerProcess Start(string executable, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment,
        int backlog = 16)
    {
        string socketPath = $"\0fcgi-repro-{Environment.ProcessId}-{Guid.NewGuid():N}";
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            throw new PlatformNotSupportedException("spawning a worker on a listening socket needs a Unix system");
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(backlog);
        var stderrPipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.In);
        var argv = new List<string> { executable };
        argv.AddRange(arguments);
        int pid;
        try
        {
            pid = Native.Spawn(executable, argv, environment.Select(p => $"{p.Key}={p.Value}").ToList(),
                (int)listener.Handle, (int)stderrPipe.ClientSafePipeHandle.DangerousGetHandle());
        }
        catch
        {
            listener.Dispose();
            stderrPipe.Dispose();
            throw;
        }
        stderrPipe.DisposeLocalCopyOfClientHandle();
        // The measured rule: while this side holds the listening socket too, a connect after the worker left hangs
        // instead of failing, which hides the very exit the driver watches for.
        listener.Close();
        return new WorkerProcess(pid, socketPath, listener, stderrPipe);
    }

    public static string? FindOnPath(string name)
    {
        if (name.Contains('/')) return File.Exists(name) ? Path.GetFullPath(name) : null;
        string path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public static IFastCgiWorker Launch(string executable, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string> environment) => Start(executable, arguments, environment);

    public async Task<Stream> ConnectAsync(CancellationToken cancel)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancel);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends a signal unless the worker has already been reaped (its pid could belong to someone else by then).</summary>
    public void Signal(int signal)
    {
        if (exit.IsCompleted) return;
        Interlocked.CompareExchange(ref signalled, signal, 0);
        Native.Kill(Pid, signal);
    }

    public void Kill() => Signal(Signals.Kill);

    /// <summary>Ends the worker: SIGTERM, then SIGKILL if it is still there after the grace period.</summary>
    public async Task<WorkerExit> StopAsync(TimeSpan grace)
    {
        Signal(Signals.Term);
        if (await Task.WhenAny(exit, Task.Delay(grace)) != exit) Native.Kill(Pid, Signals.Kill);
        return await exit;
    }

    public void Dispose() => listener.Dispose();

    static WorkerExit WaitPid(int pid)
    {
        while (true)
        {
            int r = Native.waitpid(pid, out int status, 0);
            if (r == pid) return WorkerExit.FromWaitStatus(status);
            if (Marshal.GetLastPInvokeError() != 4) // EINTR: wait again
                throw new InvalidOperationException($"waitpid({pid}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    static class Native
    {
        const int ODevNullFlags = 1; // O_WRONLY

        [DllImport("libc", SetLastError = true)]
        static extern int posix_spawn(out int pid, string path, IntPtr fileActions, IntPtr attributes, IntPtr[] argv, IntPtr[] envp);
        [DllImport("libc")] static extern int posix_spawn_file_actions_init(IntPtr fileActions);
        [DllImport("libc")] static extern int posix_spawn_file_actions_destroy(IntPtr fileActions);
        [DllImport("libc")] static extern int posix_spawn_file_actions_adddup2(IntPtr fileActions, int fd, int newFd);
        [DllImport("libc")]
        static extern int posix_spawn_file_actions_addopen(IntPtr fileActions, int fd, string path, int flags, int mode);
        [DllImport("libc", SetLastError = true)] internal static extern int waitpid(int pid, out int status, int options);
        [DllImport("libc", SetLastError = true)] static extern int kill(int pid, int signal);

        internal static void Kill(int pid, int signal) => kill(pid, signal);

        internal static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp, int stdinFd, int stderrFd)
        {
            // posix_spawn_file_actions_t is 80 bytes on glibc x86-64 and smaller elsewhere: 256 leaves room.
            IntPtr actions = Marshal.AllocHGlobal(256);
            var strings = new List<IntPtr>();
            IntPtr[] Array(IReadOnlyList<string> items)
            {
                var a = new IntPtr[items.Count + 1];
                for (int i = 0; i < items.Count; i++) strings.Add(a[i] = Marshal.StringToCoTaskMemUTF8(items[i]));
                return a;
            }
            try
            {
                Check(posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
                Check(posix_spawn_file_actions_adddup2(actions, stdinFd, 0), "adddup2 (fd 0)");
                Check(posix_spawn_file_actions_addopen(actions, 1, "/dev/null", ODevNullFlags, 0), "addopen (fd 1)");
                Check(posix_spawn_file_actions_adddup2(actions, stderrFd, 2), "adddup2 (fd 2)");
                int error = posix_spawn(out int pid, path, actions, IntPtr.Zero, Array(argv), Array(envp));
                if (error != 0) throw new IOException($"cannot start {path}: posix_spawn error {error} ({StrError(error)})");
                return pid;
            }
            finally
            {
                posix_spawn_file_actions_destroy(actions);
                Marshal.FreeHGlobal(actions);
                foreach (var s in strings) Marshal.FreeCoTaskMem(s);
            }
        }

        static void Check(int error, string what)
        {
            if (error != 0) throw new IOException($"{what} failed: error {error}");
        }

        static string StrError(int error) => error switch
        {
            2 => "no such file", 8 => "not an executable", 13 => "permission denied", _ => "see errno(3)",
        };
    }
}
