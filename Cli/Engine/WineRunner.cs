using System.Diagnostics;
using System.Text;

namespace FcgiExt.Cli.Engine;

/// <summary>The result of one run of the Windows engine host.</summary>
public sealed record HostRun(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed, bool TimedOut);

/// <summary>Runs the win-x64 engine host (fcgihost.exe, FcgiExt/Host) under Wine on Linux: builds it when missing or
/// stale, keeps a Wine prefix in the cache folder, keeps a warm wineserver, translates Linux paths to Wine paths.
/// Used by `fcgi engine`, the batch (issue 5) and the integration tests.
///
/// Wine pitfalls handled here (see ../shared/reference/wine-dbgeng/README.md):
///   * WINEDLLOVERRIDES makes Wine load Microsoft's dbgeng/dbghelp instead of its own stubs;
///   * the Wine background services started with the first process inherit its stdout and stderr, so a pipe would
///     never reach end-of-file: the host's output goes to files, read back when it exits;
///   * `wineserver -p60` (attached argument) keeps one server alive between runs.</summary>
public sealed class WineRunner
{
    public const string DllOverrides = "dbgeng,dbghelp,dbgcore,dbgmodel,msdia140=n";
    const string HostRelative = "artifacts/win-x64/host";

    public string RepoRoot { get; }
    public string CacheDir { get; }
    public string Prefix => Path.Combine(CacheDir, "wineprefix");
    public string HostDir => Path.Combine(RepoRoot, HostRelative);
    public string HostExe => Path.Combine(HostDir, "fcgihost.exe");
    /// <summary>Told about slow one-time steps (host build, Wine prefix) so a terminal user knows why they wait.</summary>
    public Action<string>? Progress { get; init; }
    /// <summary>Where the last build or prefix set-up wrote its log (for error messages).</summary>
    public string LogDir => Path.Combine(CacheDir, "logs");

    public WineRunner(string? repoRoot = null, string? cacheDir = null)
    {
        RepoRoot = repoRoot ?? FindRepoRoot();
        string? fromEnvironment = Environment.GetEnvironmentVariable("FCGIEXT_CACHE");
        CacheDir = cacheDir ?? (string.IsNullOrEmpty(fromEnvironment) ? Path.Combine(RepoRoot, ".cache")
            : Path.GetFullPath(fromEnvironment));
    }

    /// <summary>The folder holding FcgiExt.sln: $FCGI_REPO_ROOT (set by ./fcgi), else searched upwards from this program
    /// and from the current directory.</summary>
    public static string FindRepoRoot()
    {
        if (Environment.GetEnvironmentVariable("FCGI_REPO_ROOT") is { Length: > 0 } env && File.Exists(Path.Combine(env, "FcgiExt.sln")))
            return Path.GetFullPath(env);
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "FcgiExt.sln"))) return dir.FullName;
        // An installed .NET tool has no source tree beside it: the engine host (a Windows program run under Wine) is built
        // from one. Everything that needs no engine (explain, --stack-text, rules) works without it.
        throw new InvalidOperationException("the debugger engine under Wine is built from the FcgiExt sources, which are not beside " +
            "this fcgi: " +
            "clone them and set FCGI_REPO_ROOT=<clone> (./fcgi in the clone builds the engine host on first use)");
    }

    // ---------------------------------------------------------------- paths

    /// <summary>A Linux path as Wine sees it: Z: is mapped to /. Relative paths are taken from the current directory.</summary>
    public static string ToWinePath(string linuxPath)
    {
        string full = Path.GetFullPath(linuxPath);
        return "Z:" + full.Replace('/', '\\');
    }

    /// <summary>Translates a symbol or image path list (';'-separated, elements like srv*cache*url or cache*dir) from Linux
    /// paths to Wine paths. Parts that are not paths of this machine (URLs, srv, symsrv.dll, Windows paths) stay.</summary>
    public static string ToWinePathList(string list)
    {
        var elements = list.Split(';');
        for (int i = 0; i < elements.Length; i++)
        {
            var parts = elements[i].Split('*');
            for (int j = 0; j < parts.Length; j++)
                if (IsLocalPath(parts[j])) parts[j] = ToWinePath(parts[j]);
            elements[i] = string.Join('*', parts);
        }
        return string.Join(';', elements);
    }

    static bool IsLocalPath(string part)
    {
        if (part.Length == 0 || part.Contains("://", StringComparison.Ordinal)) return false;
        if (part.Length >= 2 && part[1] == ':') return false;              // already a Windows path (C:\…, Z:\…)
        if (part.StartsWith(@"\\", StringComparison.Ordinal)) return false; // UNC
        if (part.StartsWith('/')) return true;
        if (part.Equals("srv", StringComparison.OrdinalIgnoreCase) || part.Equals("cache", StringComparison.OrdinalIgnoreCase) ||
            part.Equals("symsrv", StringComparison.OrdinalIgnoreCase) || part.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            return false;
        return File.Exists(part) || Directory.Exists(part);                 // a relative path of this machine
    }

    // ---------------------------------------------------------------- set-up

    public Dictionary<string, string> WineEnvironment() => new()
    {
        ["WINEPREFIX"] = Prefix,
        ["WINEARCH"] = "win64",
        ["WINEDEBUG"] = "-all",
        ["WINEDLLOVERRIDES"] = DllOverrides,
        // The engine's default symbol path is srv* with no cache: without a network that only costs time.
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
    };

    /// <summary>Everything a host run needs: Wine installed, the host built and current, the prefix, a warm server.</summary>
    public void EnsureReady()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("WineRunner is for Linux; on Windows the engine runs in process");
        if (FindOnPath("wine") is null)
            throw new InvalidOperationException("wine is not installed: run scripts/ensure-tools.sh (as root) or apt-get install wine64");
        Directory.CreateDirectory(CacheDir);
        Directory.CreateDirectory(LogDir);
        EnsureHostBuilt();
        EnsurePrefix();
        EnsureWarmServer();
    }

    /// <summary>Builds fcgihost.exe into artifacts/win-x64/host (scripts/build-host.sh: NativeAOT, test-grade cross link)
    /// when it is missing or older than a source file.</summary>
    public void EnsureHostBuilt()
    {
        using var fileLock = FileLock.Acquire(Path.Combine(CacheDir, "host-build.lock"));
        if (!HostIsStale()) return;
        string host = Path.GetRelativePath(RepoRoot, HostExe);
        Progress?.Invoke(File.Exists(HostExe)
            ? $"rebuilding the engine host {host} (sources changed; a few minutes)"
            : $"building the engine host {host} (first use; a few minutes)");
        string log = Path.Combine(LogDir, "build-host.out");
        var psi = new ProcessStartInfo("bash") { ArgumentList = { Path.Combine(RepoRoot, "scripts/build-host.sh") } };
        psi.Environment["FCGIEXT_CACHE"] = CacheDir;
        int rc = RunToFiles(psi, log, log, TimeSpan.FromMinutes(15), out _);
        if (rc != 0 || !File.Exists(HostExe))
            throw new InvalidOperationException($"building the engine host failed (exit {rc}); see {log}:\n{Tail(log, 20)}");
    }

    public bool HostIsStale()
    {
        string stamp = Path.Combine(HostDir, ".built");
        if (!File.Exists(HostExe) || !File.Exists(stamp)) return true;
        var built = File.GetLastWriteTimeUtc(stamp);
        foreach (var folder in new[] { "FcgiExt/DbgEng", "FcgiExt/Host", "RulesEngine", "build/crosswin" })
        {
            string dir = Path.Combine(RepoRoot, folder);
            if (!Directory.Exists(dir)) continue;
            foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            {
                string rel = Path.GetRelativePath(dir, file).Replace('\\', '/');
                if (rel.StartsWith("bin/", StringComparison.Ordinal) || rel.StartsWith("obj/", StringComparison.Ordinal) ||
                    rel.Contains("/bin/", StringComparison.Ordinal) || rel.Contains("/obj/", StringComparison.Ordinal)) continue;
                if (File.GetLastWriteTimeUtc(file) > built) return true;
            }
        }
        foreach (var file in new[] { "Directory.Build.props", "scripts/build-host.sh" })
            if (File.Exists(Path.Combine(RepoRoot, file)) && File.GetLastWriteTimeUtc(Path.Combine(RepoRoot, file)) > built) return true;
        return false;
    }

    /// <summary>Creates the Wine prefix once (wineboot, ~10 s).</summary>
    public void EnsurePrefix()
    {
        using var fileLock = FileLock.Acquire(Path.Combine(CacheDir, "wineprefix.lock"));
        if (File.Exists(Path.Combine(Prefix, "system.reg")) && File.Exists(Path.Combine(Prefix, ".fcgiext-ready"))) return;
        Directory.CreateDirectory(Prefix);
        Progress?.Invoke($"creating the Wine prefix {Prefix} (first use, about 10 s)");
        string log = Path.Combine(LogDir, "wineboot.log");
        int rc = RunToFiles(Wine("wine", "wineboot", "-i"), log, log, TimeSpan.FromMinutes(5), out _);
        RunToFiles(Wine("wineserver", "-w"), log + ".w", log + ".w", TimeSpan.FromMinutes(2), out _);
        // wineboot also prints a harmless syswow64/rundll32 error (no 32-bit Wine): only the prefix matters.
        if (!File.Exists(Path.Combine(Prefix, "system.reg")))
            throw new InvalidOperationException($"Wine prefix set-up failed (wineboot exit {rc}); see {log}:\n{Tail(log, 20)}");
        File.WriteAllText(Path.Combine(Prefix, ".fcgiext-ready"), DateTime.UtcNow.ToString("O"));
    }

    /// <summary>Starts a wineserver that stays 60 s after its last client (a no-op when one runs for this prefix).</summary>
    public void EnsureWarmServer()
    {
        string log = Path.Combine(LogDir, "wineserver.log");
        RunToFiles(Wine("wineserver", "-p60"), log, log, TimeSpan.FromSeconds(30), out _);
    }

    /// <summary>Stops this prefix's wineserver and its Wine processes (for cold-start measurements and clean-up).</summary>
    public void KillServer()
    {
        string log = Path.Combine(LogDir, "wineserver-kill.log");
        RunToFiles(Wine("wineserver", "-k"), log, log, TimeSpan.FromSeconds(30), out _);
        RunToFiles(Wine("wineserver", "-w"), log, log, TimeSpan.FromSeconds(30), out _);
    }

    ProcessStartInfo Wine(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in WineEnvironment()) psi.Environment[k] = v;
        return psi;
    }

    // ---------------------------------------------------------------- runs

    /// <summary>Runs fcgihost.exe with these arguments (already Wine paths) and returns its exit code and output.</summary>
    public HostRun RunHost(IEnumerable<string> hostArgs, TimeSpan? timeout = null)
    {
        EnsureReady();
        var psi = Wine("wine", [HostExe, .. hostArgs]);
        string id = $"{Environment.ProcessId}-{Guid.NewGuid():N}";
        string outFile = Path.Combine(Path.GetTempPath(), $"fcgihost-{id}.out");
        string errFile = Path.Combine(Path.GetTempPath(), $"fcgihost-{id}.err");
        var watch = Stopwatch.StartNew();
        try
        {
            int rc = RunToFiles(psi, outFile, errFile, timeout ?? TimeSpan.FromMinutes(5), out bool timedOut);
            return new HostRun(rc, ReadAll(outFile), ReadAll(errFile), watch.Elapsed, timedOut);
        }
        finally
        {
            TryDelete(outFile);
            TryDelete(errFile);
        }
    }

    /// <summary>Starts fcgihost.exe with these arguments and hands each complete line of its output to
    /// <paramref name="onLine"/> as it is written (the output goes to a file, read as it grows: see the class comment),
    /// until the host exits or <paramref name="cancellation"/> kills it. Environment entries are added to Wine's.</summary>
    public HostRun StreamHost(IEnumerable<string> hostArgs, IReadOnlyDictionary<string, string> environment, Action<string> onLine,
        CancellationToken cancellation, string? workingFolder = null)
    {
        EnsureReady();
        var psi = Wine("wine", [HostExe, .. hostArgs]);
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        if (workingFolder is not null) psi.WorkingDirectory = workingFolder;
        string id = $"{Environment.ProcessId}-{Guid.NewGuid():N}";
        string outFile = Path.Combine(Path.GetTempPath(), $"fcgihost-{id}.out");
        string errFile = Path.Combine(Path.GetTempPath(), $"fcgihost-{id}.err");
        var watch = Stopwatch.StartNew();
        var sh = ToFiles(psi, outFile, errFile);
        try
        {
            using var p = Process.Start(sh) ?? throw new InvalidOperationException("cannot start the engine host");
            long offset = 0;
            var pending = new StringBuilder();
            void Drain()
            {
                if (!File.Exists(outFile)) return;
                using var f = new FileStream(outFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                f.Seek(offset, SeekOrigin.Begin);
                var buffer = new byte[65536];
                int n;
                while ((n = f.Read(buffer, 0, buffer.Length)) > 0) { pending.Append(Encoding.UTF8.GetString(buffer, 0, n)); offset += n; }
                string text = pending.ToString();
                int nl;
                while ((nl = text.IndexOf('\n')) >= 0) { onLine(text[..nl].TrimEnd('\r')); text = text[(nl + 1)..]; }
                pending.Clear().Append(text);
            }
            bool killed = false;
            while (!p.WaitForExit(200))
            {
                Drain();
                if (cancellation.IsCancellationRequested && !killed)
                {
                    killed = true;
                    try { p.Kill(entireProcessTree: true); } catch { /* gone */ }
                }
            }
            Drain();
            if (pending.Length > 0) onLine(pending.ToString());
            return new HostRun(p.ExitCode, "", ReadAll(errFile), watch.Elapsed, killed);
        }
        finally
        {
            TryDelete(outFile);
            TryDelete(errFile);
        }
    }

    /// <summary>The Linux path of a Wine path of drive Z: (the root); other drives stay as they are.</summary>
    public static string FromWinePath(string winePath) =>
        winePath.Length > 2 && (winePath[0] is 'Z' or 'z') && winePath[1] == ':' ? winePath[2..].Replace('\\', '/') : winePath;

    /// <summary>`fcgihost engine`: Linux paths in, the engine's text out (like cdb -z dump -c commands).</summary>
    public HostRun Engine(string dump, string? symbolPath, string? imagePath, string commands, TimeSpan? timeout = null) =>
        RunHost(HostArguments("engine", dump, symbolPath, imagePath, ["-c", commands]), timeout);

    /// <summary>`fcgihost collect`: the crash model as JSON.</summary>
    public HostRun Collect(string dump, string? symbolPath, string? imagePath, TimeSpan? timeout = null) =>
        RunHost(HostArguments("collect", dump, symbolPath, imagePath, []), timeout);

    static List<string> HostArguments(string mode, string dump, string? symbolPath, string? imagePath, string[] rest)
    {
        var args = new List<string> { mode, ToWinePath(dump) };
        if (!string.IsNullOrEmpty(symbolPath)) { args.Add("--sympath"); args.Add(ToWinePathList(symbolPath)); }
        if (!string.IsNullOrEmpty(imagePath)) { args.Add("--exepath"); args.Add(ToWinePathList(imagePath)); }
        args.AddRange(rest);
        return args;
    }

    /// <summary>Starts `fcgihost serve`: one engine process answering one JSON line per request (issue 5's batch keeps
    /// these alive across dumps). Requests carry Wine paths: use ToWinePath/ToWinePathList.</summary>
    public EngineServer StartServer()
    {
        EnsureReady();
        return new EngineServer(Wine("wine", HostExe, "serve"));
    }

    /// <summary>The start of <paramref name="psi"/> through sh, which does the redirection so the child's descriptors are
    /// the files themselves (never pipes: see the class comment); stdin is /dev/null.</summary>
    static ProcessStartInfo ToFiles(ProcessStartInfo psi, string stdoutFile, string stderrFile)
    {
        var sh = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = psi.WorkingDirectory };
        sh.ArgumentList.Add("-c");
        sh.ArgumentList.Add(stdoutFile == stderrFile
            ? "out=$1; shift 2; exec \"$@\" >\"$out\" 2>&1 </dev/null"
            : "out=$1; err=$2; shift 2; exec \"$@\" >\"$out\" 2>\"$err\" </dev/null");
        sh.ArgumentList.Add("sh");
        sh.ArgumentList.Add(stdoutFile);
        sh.ArgumentList.Add(stderrFile);
        sh.ArgumentList.Add(psi.FileName);
        foreach (var a in psi.ArgumentList) sh.ArgumentList.Add(a);
        foreach (var (k, v) in psi.Environment) sh.Environment[k] = v;
        return sh;
    }

    /// <summary>Starts a process with stdout/stderr in files (never pipes: see the class comment) and waits for it.</summary>
    internal static int RunToFiles(ProcessStartInfo psi, string stdoutFile, string stderrFile, TimeSpan timeout, out bool timedOut)
    {
        var sh = ToFiles(psi, stdoutFile, stderrFile);
        using var p = Process.Start(sh) ?? throw new InvalidOperationException($"cannot start {psi.FileName}");
        timedOut = !p.WaitForExit(timeout);
        if (timedOut)
        {
            try { p.Kill(entireProcessTree: true); } catch { /* already gone */ }
            p.WaitForExit();
            return -1;
        }
        return p.ExitCode;
    }

    static string ReadAll(string path) => File.Exists(path) ? File.ReadAllText(path, Encoding.UTF8) : "";
    static void TryDelete(string path) { try { File.Delete(path); } catch { /* temp file */ } }
    static string Tail(string path, int lines) =>
        File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(lines)) : "(no log)";

    static string? FindOnPath(string program)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, program))) return Path.Combine(dir, program);
        return null;
    }
}

/// <summary>An exclusive lock on a file, held across processes (parallel test runs, batch workers).</summary>
sealed class FileLock : IDisposable
{
    readonly FileStream _stream;
    FileLock(FileStream stream) => _stream = stream;

    public static FileLock Acquire(string path, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(10));
        while (true)
        {
            try { return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)); }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(200); }
        }
    }

    public void Dispose() => _stream.Dispose();
}
