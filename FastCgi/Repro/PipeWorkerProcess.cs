using System.ComponentModel;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace FcgiExt.FastCgi.Repro;

/// <summary>
/// A FastCGI worker spawned the way IIS's FastCGI module spawns php-cgi.exe (../shared/reference/fastcgi-iis, section 2):
/// the server end of a fresh named pipe <c>\\.\pipe\IISFCGI-&lt;guid&gt;</c> as its stdin, stdout and stderr
/// INVALID_HANDLE_VALUE (which is how php-cgi knows it is under FastCGI), <c>_FCGI_X_PIPE_</c> naming the pipe, created
/// suspended in a job object that kills it with the driver, only the pipe handle inherited. Each connection is a client
/// open of the pipe, which the worker accepts with ConnectNamedPipe. System.Diagnostics.Process can set none of this
/// (it makes its own pipes for the standard handles), hence CreateProcessW.
/// </summary>
[SupportedOSPlatform("windows")]
public sealed partial class PipeWorkerProcess : IFastCgiWorker
{
    readonly SafeProcessHandle process;
    readonly SafeFileHandle? job;
    readonly Task<WorkerExit> exit;
    int ended;

    public int Pid { get; }
    public string PipeName { get; }
    public DateTime Started { get; }
    public DateTime? Exited { get; private set; }
    public Task<WorkerExit> Exit => exit;
    public bool EndedByDriver => ended != 0;

    PipeWorkerProcess(int pid, string pipeName, SafeProcessHandle process, SafeFileHandle? job)
    {
        Pid = pid;
        PipeName = pipeName;
        Started = DateTime.UtcNow;
        this.process = process;
        this.job = job;
        exit = Task.Factory.StartNew(() =>
        {
            Native.WaitForSingleObject(process, Native.Infinite);
            Exited = DateTime.UtcNow;
            return Native.GetExitCodeProcess(process, out uint code) ? WorkerExit.FromWindowsExitCode(code)
                                                                     : new WorkerExit(null, null, false);
        }, TaskCreationOptions.LongRunning);
    }

    /// <summary>Spawns the worker. <paramref name="beforeResume"/> runs while it is still suspended (a debugger attaches
    /// there, so that it sees the worker from its first instruction); then its thread runs.</summary>
    public static PipeWorkerProcess Start(string executable, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string> environment, Action<int>? beforeResume = null)
    {
        string pipeName = $@"\\.\pipe\IISFCGI-{Guid.NewGuid()}";
        var env = new Dictionary<string, string>(environment, StringComparer.OrdinalIgnoreCase) { ["_FCGI_X_PIPE_"] = pipeName };
        using var serverEnd = Native.CreateNamedPipe(pipeName);
        var commandLine = new StringBuilder(WindowsCommandLine.Quote(executable));
        foreach (var a in arguments) commandLine.Append(' ').Append(WindowsCommandLine.Quote(a));
        var (pid, processHandle, threadHandle) =
            Native.CreateSuspended(executable, commandLine.ToString(), WindowsCommandLine.EnvironmentBlock(env), serverEnd);
        var job = Native.KillOnCloseJob(processHandle);
        // The rule the Unix socket taught (FastCgi/README.md): while the driver holds the server end too, the pipe outlives
        // the worker and an open after its exit waits (ERROR_PIPE_BUSY) instead of failing, hiding the very exit watched for.
        serverEnd.Dispose();
        var worker = new PipeWorkerProcess(pid, pipeName, processHandle, job);
        try
        {
            beforeResume?.Invoke(pid);
        }
        finally
        {
            Native.ResumeThread(threadHandle);
            threadHandle.Dispose();
        }
        return worker;
    }

    public static IFastCgiWorker Launch(string executable, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string> environment) => Start(executable, arguments, environment);

    /// <summary>Opens the pipe as IIS does. ERROR_PIPE_BUSY (the worker has not called ConnectNamedPipe again yet) waits;
    /// ERROR_FILE_NOT_FOUND (nobody holds the pipe: the worker is gone) fails at once, as it does for IIS.</summary>
    public async Task<Stream> ConnectAsync(CancellationToken cancel)
    {
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            var handle = Native.OpenClient(PipeName, out int error);
            if (!handle.IsInvalid) return new NamedPipeClientStream(PipeDirection.InOut, isAsync: true, isConnected: true, handle);
            handle.Dispose();
            if (error != Native.ErrorPipeBusy) throw PipeError(error, "opening the worker's pipe");
            await Task.Delay(5, cancel);
        }
    }

    /// <summary>The IOException .NET gives for a Win32 pipe error, with the HRESULT IIS logs for it.</summary>
    public static IOException PipeError(int error, string what) =>
        new($"{what}: {new Win32Exception(error).Message}", unchecked((int)0x80070000) | error);

    public Task<string> StderrTextAsync(TimeSpan wait) => Task.FromResult("");

    public void Kill()
    {
        if (exit.IsCompleted) return;
        Interlocked.Exchange(ref ended, 1);
        Native.TerminateProcess(process, 1);
    }

    /// <summary>IIS ends a worker it recycles with TerminateProcess (after signalBeforeTerminateSeconds, 0 by default).</summary>
    public async Task<WorkerExit> StopAsync(TimeSpan grace)
    {
        Kill();
        return await exit;
    }

    public void Dispose()
    {
        job?.Dispose();
        process.Dispose();
    }

    static partial class Native
    {
        public const uint Infinite = 0xFFFFFFFF;
        public const int ErrorPipeBusy = 231;
        const uint PipeAccessDuplex = 3, FileFlagOverlapped = 0x40000000, GenericRead = 0x80000000, GenericWrite = 0x40000000;
        const uint OpenExisting = 3, StartfUseStdHandles = 0x100, CreateSuspendedFlag = 4, DetachedProcess = 8;
        const uint CreateUnicodeEnvironment = 0x400, ExtendedStartupInfoPresent = 0x80000;
        static readonly IntPtr ProcThreadAttributeHandleList = 0x20002;
        const int JobObjectExtendedLimitInformation = 9;
        const uint JobObjectLimitKillOnJobClose = 0x2000;

        [StructLayout(LayoutKind.Sequential)]
        struct SecurityAttributes { public int Length; public IntPtr Descriptor; public int InheritHandle; }

        [StructLayout(LayoutKind.Sequential)]
        struct StartupInfoEx
        {
            public int cb;
            public IntPtr lpReserved, lpDesktop, lpTitle;
            public int dwX, dwY, dwXSize, dwYSize, dwXCountChars, dwYCountChars, dwFillAttribute, dwFlags;
            public short wShowWindow, cbReserved2;
            public IntPtr lpReserved2, hStdInput, hStdOutput, hStdError, lpAttributeList;
        }

        [StructLayout(LayoutKind.Sequential)]
        struct ProcessInformation { public IntPtr hProcess, hThread; public int dwProcessId, dwThreadId; }

        [StructLayout(LayoutKind.Sequential)]
        struct JobExtendedLimits
        {
            public long PerProcessUserTimeLimit, PerJobUserTimeLimit;
            public uint LimitFlags;
            public UIntPtr MinimumWorkingSetSize, MaximumWorkingSetSize;
            public uint ActiveProcessLimit;
            public UIntPtr Affinity;
            public uint PriorityClass, SchedulingClass;
            public ulong ReadOperationCount, WriteOperationCount, OtherOperationCount, ReadTransferCount, WriteTransferCount,
                OtherTransferCount;
            public UIntPtr ProcessMemoryLimit, JobMemoryLimit, PeakProcessMemoryUsed, PeakJobMemoryUsed;
        }

        [LibraryImport("kernel32.dll", EntryPoint = "CreateNamedPipeW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
        private static partial SafeFileHandle CreateNamedPipeNative(string name, uint openMode, uint pipeMode, uint maxInstances,
            uint outBuffer, uint inBuffer, uint timeout, ref SecurityAttributes security);

        [LibraryImport("kernel32.dll", EntryPoint = "CreateFileW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
        private static partial SafePipeHandle CreateFile(string name, uint access, uint share, IntPtr security, uint disposition,
            uint flags, IntPtr template);

        [LibraryImport("kernel32.dll", EntryPoint = "CreateProcessW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static partial bool CreateProcess(string application, char[] commandLine, IntPtr processAttributes,
            IntPtr threadAttributes, [MarshalAs(UnmanagedType.Bool)] bool inheritHandles, uint flags, string environment,
            string? directory, ref StartupInfoEx startup, out ProcessInformation info);

        [LibraryImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static partial bool InitializeProcThreadAttributeList(IntPtr list, int count, int flags, ref IntPtr size);

        [LibraryImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static partial bool UpdateProcThreadAttribute(IntPtr list, uint flags, IntPtr attribute, IntPtr value, IntPtr size,
            IntPtr previous, IntPtr returnSize);

        [LibraryImport("kernel32.dll")]
        private static partial void DeleteProcThreadAttributeList(IntPtr list);

        [LibraryImport("kernel32.dll", EntryPoint = "CreateJobObjectW", SetLastError = true)]
        private static partial SafeFileHandle CreateJobObject(IntPtr security, IntPtr name);

        [LibraryImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static partial bool SetInformationJobObject(SafeFileHandle job, int infoClass, ref JobExtendedLimits info, int length);

        [LibraryImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        private static partial bool AssignProcessToJobObject(SafeFileHandle job, SafeProcessHandle process);

        [LibraryImport("kernel32.dll", SetLastError = true)]
        public static partial uint ResumeThread(SafeFileHandle thread);

        [LibraryImport("kernel32.dll", SetLastError = true)]
        public static partial uint WaitForSingleObject(SafeProcessHandle handle, uint milliseconds);

        [LibraryImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static partial bool GetExitCodeProcess(SafeProcessHandle process, out uint code);

        [LibraryImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static partial bool TerminateProcess(SafeProcessHandle process, uint code);

        /// <summary>The server end, byte mode, one instance, inheritable (the worker gets it as its stdin).</summary>
        public static SafeFileHandle CreateNamedPipe(string name)
        {
            var security = new SecurityAttributes { Length = Marshal.SizeOf<SecurityAttributes>(), InheritHandle = 1 };
            var handle = CreateNamedPipeNative(name, PipeAccessDuplex, 0, 1, 65536, 65536, 0, ref security);
            if (handle.IsInvalid) throw PipeError(Marshal.GetLastPInvokeError(), $"creating {name}");
            return handle;
        }

        public static SafePipeHandle OpenClient(string name, out int error)
        {
            var handle = CreateFile(name, GenericRead | GenericWrite, 0, IntPtr.Zero, OpenExisting, FileFlagOverlapped, IntPtr.Zero);
            error = handle.IsInvalid ? Marshal.GetLastPInvokeError() : 0;
            return handle;
        }

        /// <summary>CreateProcessW suspended, with the pipe as stdin, invalid stdout/stderr, and only the pipe inherited.</summary>
        public static (int Pid, SafeProcessHandle Process, SafeFileHandle Thread) CreateSuspended(string executable, string commandLine,
            string environment, SafeFileHandle stdin)
        {
            IntPtr size = 0;
            InitializeProcThreadAttributeList(IntPtr.Zero, 1, 0, ref size);
            IntPtr list = Marshal.AllocHGlobal(size);
            IntPtr handles = Marshal.AllocHGlobal(IntPtr.Size);
            bool listReady = false;
            try
            {
                Marshal.WriteIntPtr(handles, stdin.DangerousGetHandle());
                listReady = InitializeProcThreadAttributeList(list, 1, 0, ref size)
                            && UpdateProcThreadAttribute(list, 0, ProcThreadAttributeHandleList, handles, IntPtr.Size, 0, 0);
                var startup = new StartupInfoEx
                {
                    cb = Marshal.SizeOf<StartupInfoEx>(), dwFlags = (int)StartfUseStdHandles, hStdInput = stdin.DangerousGetHandle(),
                    hStdOutput = new IntPtr(-1), hStdError = new IntPtr(-1), lpAttributeList = listReady ? list : IntPtr.Zero,
                };
                uint flags = CreateSuspendedFlag | DetachedProcess | CreateUnicodeEnvironment
                             | (listReady ? ExtendedStartupInfoPresent : 0);
                var cmd = (commandLine + "\0").ToCharArray();
                if (!CreateProcess(executable, cmd, 0, 0, true, flags, environment, Path.GetDirectoryName(executable), ref startup,
                        out var info))
                {
                    int error = Marshal.GetLastPInvokeError();
                    throw new IOException($"cannot start {executable}: {new Win32Exception(error).Message} (error {error})");
                }
                return (info.dwProcessId, new SafeProcessHandle(info.hProcess, true), new SafeFileHandle(info.hThread, true));
            }
            finally
            {
                if (listReady) DeleteProcThreadAttributeList(list);
                Marshal.FreeHGlobal(list);
                Marshal.FreeHGlobal(handles);
            }
        }

        /// <summary>A job that ends the worker when the driver goes away, as IIS's does; null where jobs are not available.</summary>
        public static SafeFileHandle? KillOnCloseJob(SafeProcessHandle process)
        {
            var job = CreateJobObject(0, 0);
            if (job.IsInvalid) { job.Dispose(); return null; }
            var limits = new JobExtendedLimits { LimitFlags = JobObjectLimitKillOnJobClose };
            if (SetInformationJobObject(job, JobObjectExtendedLimitInformation, ref limits, Marshal.SizeOf<JobExtendedLimits>())
                && AssignProcessToJobObject(job, process))
                return job;
            job.Dispose();
            return null;
        }
    }
}

/// <summary>The text CreateProcessW takes: a command line and an environment block (pure, tested on any system).</summary>
public static class WindowsCommandLine
{
    /// <summary>CreateProcess's quoting rules (CommandLineToArgvW): quotes around an argument with spaces or quotes,
    /// backslashes doubled before a quote.</summary>
    public static string Quote(string arg)
    {
        if (arg.Length > 0 && arg.IndexOfAny([' ', '\t', '"']) < 0) return arg;
        var s = new StringBuilder("\"");
        int slashes = 0;
        foreach (char c in arg)
        {
            if (c == '\\') { slashes++; continue; }
            s.Append('\\', c == '"' ? slashes * 2 + 1 : slashes).Append(c);
            slashes = 0;
        }
        return s.Append('\\', slashes * 2).Append('"').ToString();
    }

    /// <summary>NAME=VALUE\0…\0\0 in UTF-16, sorted by name as Windows expects of an environment block.</summary>
    public static string EnvironmentBlock(IReadOnlyDictionary<string, string> env)
    {
        var s = new StringBuilder();
        foreach (var (k, v) in env.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase)) s.Append(k).Append('=').Append(v).Append('\0');
        return s.Append('\0').ToString();
    }
}
