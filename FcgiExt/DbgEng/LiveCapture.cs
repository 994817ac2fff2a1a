using System.Diagnostics;
using FcgiExt.DbgEng.Analysis;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.DbgEng;

/// <summary>What to debug: a command line to start, or a process to attach to.</summary>
public sealed record LiveTarget
{
    public string? CommandLine { get; init; }
    public uint? ProcessId { get; init; }
    /// <summary>Attach to every process of this image name, and to new ones as they start (the list is polled).</summary>
    public string? ProcessName { get; init; }
    /// <summary>Debug the processes the target creates too (php-cgi.exe under w3wp.exe).</summary>
    public bool Children { get; init; }
    /// <summary>Processes handed over while the session runs (fcgi repro --debug: each worker, spawned suspended), attached on
    /// the engine's thread; the session lasts until the feed is completed and no process is left.</summary>
    public System.Threading.Channels.ChannelReader<uint>? Feed { get; init; }
    /// <summary>Told each process's system id once the engine has it (its initial or attach break): the moment a suspended
    /// worker may run.</summary>
    public Action<uint>? Attached { get; init; }
}

public sealed record LiveOptions
{
    /// <summary>Folder the dumps go to (a path the engine's machine understands).</summary>
    public required string OutFolder { get; init; }
    /// <summary>Stop at the first chance of every exception, not only of those that never reach a second chance.</summary>
    public bool FirstChance { get; init; }
    /// <summary>Capture every exit through ExitProcess, not only a FastCGI worker's.</summary>
    public bool Exits { get; init; }
    /// <summary>False: capture exits only when <see cref="Exits"/> says so, whatever this process's environment holds (fcgi
    /// repro reports its workers' exits itself).</summary>
    public bool ExitsOfWorkers { get; init; } = true;
    public TimeSpan? Timeout { get; init; }
    public SessionOptions Session { get; init; } = new();
    public FcgiOptions Procedure { get; init; } = new() { KeepSymbolPath = true };
    /// <summary>Debugger commands run at each stop (after the verdict, before the dump), their output in the event: a
    /// user's own `kn; lmv m …`, or `.load fcgiext; !fcgi -json` to see the extension's view of the live target.</summary>
    public string? StopCommands { get; init; }
}

/// <summary>One thing that happened to a watched process.</summary>
public sealed record LiveEvent
{
    /// <summary>"crash" (an exception stopped it), "exit" (it ended itself through ExitProcess; captured),
    /// "exited" (it ended; exit code only), "timeout", "end" (no process left), "error".</summary>
    public required string Event { get; init; }
    public uint? Pid { get; init; }
    public string? Process { get; init; }
    public string? Code { get; init; }
    public bool? FirstChance { get; init; }
    public uint? ExitCode { get; init; }
    public string? Dump { get; init; }
    public double? VerdictSeconds { get; init; }
    public double? DumpSeconds { get; init; }
    /// <summary>The !fcgi -json contract of the stop.</summary>
    public System.Text.Json.JsonElement? Verdict { get; init; }
    /// <summary>What the stop commands printed.</summary>
    public string? Output { get; init; }
    public string? Error { get; init; }
}

/// <summary>
/// procdump's loop with the verdict: run the target until an event that matters — a second-chance exception; the
/// first chance of a stack overflow (it never gets a second one: the process dies at the next fault), a fail-fast
/// or heap corruption; a watched worker's call to ExitProcess (a breakpoint on ntdll!RtlExitUserProcess, set in each
/// process at its initial break) — then run the !fcgi procedure at the stop and write a full dump; go on until no
/// process is left or the time is up. Every other event continues the target as the application would see it.
/// </summary>
public sealed class LiveCapture(DebugEngine engine, LiveOptions options, Action<LiveEvent> report)
{
    public const string ExitBreakpoint = "ntdll!RtlExitUserProcess";

    LiveStopPolicy _policy = new(options.FirstChance, options.Exits || options.ExitsOfWorkers && IsFastCgiWorker());
    int _captures;

    /// <summary>Environment variables that make a process a FastCGI worker whose exit is unexpected by its server.</summary>
    static readonly string[] WorkerMarkers = ["PHP_FCGI_MAX_REQUESTS", "_FCGI_X_PIPE_", "FCGI_ROLE"];

    public int Captures => _captures;

    public void Run(LiveTarget target, IOwnerCatalog catalog)
    {
        var deadline = options.Timeout is { } t ? Stopwatch.StartNew() : null;
        // Under --children the processes are the server's workers: their exits are what "exited unexpectedly" means
        // (the server process itself is not a worker: its exit is only reported).
        _policy = new LiveStopPolicy(options.FirstChance, options.Exits || options.ExitsOfWorkers && IsFastCgiWorker() || target.Children,
            spareTheRoot: target.Children && !options.Exits);
        bool TimeUp() => deadline is not null && deadline.Elapsed >= options.Timeout!.Value;
        _onAttached = target.Attached;
        if (target.Feed is { } feed)
        {
            // One session per run of fed processes: it ends when the last one is gone, and the next one fed starts another.
            while (true)
            {
                while (AttachFed(feed) == 0)
                {
                    if (TimeUp()) { report(new LiveEvent { Event = "timeout" }); return; }
                    if (feed.Completion.IsCompleted) { report(new LiveEvent { Event = "end" }); return; }
                    feed.WaitToReadAsync().AsTask().Wait(500);
                }
                if (!Session(target, catalog, TimeUp)) return;
                try { engine.EndSession(); } catch (DbgEngException) { /* nothing left to end */ }
            }
        }
        if (target.ProcessName is { } name)
        {
            // --name watches until the time is up: when every attached process has ended, wait for the next one.
            while (true)
            {
                while (AttachNew(name) == 0)
                {
                    if (TimeUp()) { report(new LiveEvent { Event = "timeout" }); return; }
                    Thread.Sleep(500);
                }
                if (!Session(target, catalog, TimeUp)) return;
                try { engine.EndSession(); } catch (DbgEngException) { /* nothing left to end */ }
                if (options.Timeout is null) { report(new LiveEvent { Event = "end" }); return; }
            }
        }
        if (target.ProcessId is { } pid)
        {
            engine.Attach(pid);
            // Following children after an attach: .childdbg 1 on Windows; Wine's NtSetInformationProcess class 0x1f is
            // a stub, so there the attach sees the process itself only (README, "Live capture").
            if (target.Children) FcgiProcedure.Trace("live .childdbg 1: " + Hresult.Describe(engine.Execute(".childdbg 1")));
        }
        else engine.CreateProcess(target.CommandLine ?? throw new ArgumentException("no command line and no process id"), target.Children);
        if (Session(target, catalog, TimeUp)) report(new LiveEvent { Event = "end" });
    }

    /// <summary>Runs the session until no process is left (true) or the time is up or the engine fails (false, reported).</summary>
    bool Session(LiveTarget target, IOwnerCatalog catalog, Func<bool> timeUp)
    {
        var control = engine.Interfaces.Control;
        // Every exception reaches WaitForEvent and is sorted in Decide, so no filter decides for us; process creation
        // and exit break so that each process gets its exit breakpoint and each exit its code.
        FcgiProcedure.Trace("live filters: " + Hresult.Describe(engine.Execute("sxe cpr; sxe epr; sxe ibp; sxe *")));
        int unexpected = 0;
        while (true)
        {
            if (timeUp())
            {
                report(new LiveEvent { Event = "timeout" });
                return false;
            }
            // Fed processes wait suspended for their attach: a short slice keeps that wait short.
            int hr = control.WaitForEvent(DbgEng.DEBUG_WAIT_DEFAULT, target.Feed is null ? 1000u : 50u);
            FcgiProcedure.Trace($"live wait: {Hresult.Describe(hr)}");
            if (hr == DbgEng.S_FALSE)
            {
                // Nothing within the slice: the moment to look for new processes of the watched name, or fed ones.
                if (target.ProcessName is { } watched) AttachNew(watched);
                if (target.Feed is { } feed) AttachFed(feed);
                continue;
            }
            if (hr < 0)
            {
                // Fed processes: when one is gone (it exited, or the driver terminated it) while another's attach is pending
                // or it runs on, Wine's engine answers E_UNEXPECTED or E_ACCESSDENIED for a while; ending the session then
                // would kill the others, so wait on while the engine still counts processes.
                if (target.Feed is not null && ++unexpected < 200
                    && engine.Interfaces.SystemObjects.GetNumberProcesses(out uint left) >= 0 && left > 0)
                {
                    FcgiProcedure.Trace($"live wait: {Hresult.Describe(hr)} with {left} process(es) left: waiting on");
                    Thread.Sleep(10);
                    continue;
                }
                // E_UNEXPECTED: the last process is gone (Wine's engine says so instead of NO_DEBUGGEE).
                if (hr == unchecked((int)0x8000FFFF)
                    || control.GetExecutionStatus(out uint status) >= 0 && status == DbgEng.DEBUG_STATUS_NO_DEBUGGEE)
                    return true;
                report(new LiveEvent { Event = "end", Error = $"the engine stopped waiting: {Hresult.Describe(hr)}" });
                return false;
            }
            unexpected = 0;
            var e = LastEvent();
            FcgiProcedure.Trace($"live event 0x{e.Type:x} pid {e.SystemPid} code 0x{e.Code:x8} first {e.FirstChance}");
            uint next = Decide(e, catalog);
            if (control.GetExecutionStatus(out uint now) >= 0 && now == DbgEng.DEBUG_STATUS_NO_DEBUGGEE) return true;
            int go = control.SetExecutionStatus(next);
            if (_attachedNow is { } attached)
            {
                _attachedNow = null;
                _onAttached?.Invoke(attached);
            }
            // After a process's exit event the engine refuses to go on while that process is the current one
            // (0x8007001F under Wine), even when others are left: w3wp.exe after its php-cgi.exe child ended. Going
            // on from one of the others keeps the session (and the parent, which the session's end would kill).
            if (go < 0 && e.Type == DbgEng.DEBUG_EVENT_EXIT_PROCESS && MakeAnotherProcessCurrent(e.SystemPid))
                go = control.SetExecutionStatus(next);
            // A fed process whose attach is still pending cannot be made current yet (no create-process event so far):
            // waiting again delivers its events, where ending the session would kill it.
            if (go < 0 && e.Type == DbgEng.DEBUG_EVENT_EXIT_PROCESS && target.Feed is not null
                && engine.Interfaces.SystemObjects.GetNumberProcesses(out uint pending) >= 0 && pending > 1)
            {
                FcgiProcedure.Trace($"live: {e.SystemPid} exited, {pending - 1} other(s) pending: waiting on ({Hresult.Describe(go)})");
                continue;
            }
            if (go < 0)
            {
                // After the last process's exit event the engine has nothing left to run.
                bool left = e.Type != DbgEng.DEBUG_EVENT_EXIT_PROCESS
                            && engine.Interfaces.SystemObjects.GetNumberProcesses(out uint count) >= 0 && count > 0;
                if (!left) return true;
                report(new LiveEvent { Event = "end", Error = $"the engine cannot go on: {Hresult.Describe(go)}" });
                return false;
            }
        }
    }

    /// <summary>Makes a process of the session other than <paramref name="exitedSystemPid"/> the current one; false when
    /// there is none.</summary>
    unsafe bool MakeAnotherProcessCurrent(uint exitedSystemPid)
    {
        var so = engine.Interfaces.SystemObjects;
        if (so.GetNumberProcesses(out uint count) < 0 || count < 2) return false;
        var ids = new uint[count];
        var systemIds = new uint[count];
        fixed (uint* pIds = ids)
        fixed (uint* pSystemIds = systemIds)
            if (so.GetProcessIdsByIndex(0, count, pIds, pSystemIds) < 0) return false;
        for (int i = 0; i < count; i++)
            if (systemIds[i] != exitedSystemPid && so.SetCurrentProcessId(ids[i]) >= 0)
            {
                FcgiProcedure.Trace($"live: {exitedSystemPid} exited; going on from {systemIds[i]}");
                return true;
            }
        return false;
    }

    sealed record Last(uint Type, uint Pid, uint SystemPid, uint Code, bool FirstChance, uint ExitCode);

    unsafe Last LastEvent()
    {
        var info = new DEBUG_LAST_EVENT_INFO_EXCEPTION();
        uint used = 0;
        engine.Interfaces.Control.GetLastEventInformationWide(out uint type, out uint pid, out _, &info,
            (uint)sizeof(DEBUG_LAST_EVENT_INFO_EXCEPTION), &used, null, 0, null);
        engine.Interfaces.SystemObjects.GetCurrentProcessSystemId(out uint systemPid);
        // For an exit-process event the extra information is just the exit code (the first four bytes).
        uint exitCode = type == DbgEng.DEBUG_EVENT_EXIT_PROCESS ? info.ExceptionRecord.ExceptionCode : 0;
        return new Last(type, pid, systemPid, info.ExceptionRecord.ExceptionCode, info.FirstChance != 0, exitCode);
    }

    /// <summary>What the stop means (LiveStopPolicy decides), then doing it.</summary>
    uint Decide(Last e, IOwnerCatalog catalog)
    {
        var stop = new LiveStop(e.Type, e.SystemPid, e.Code, e.FirstChance);
        var (action, status) = _policy.Decide(stop);
        switch (action)
        {
            case LiveAction.SetExitBreakpoint:
                SetExitBreakpoint(e.SystemPid);
                // The initial (attach) break: the engine has the process; a worker waiting suspended may run once the
                // engine has let it go on (resumed while still stopped, Wine's engine loses the session now and then).
                if (e.Type == DbgEng.DEBUG_EVENT_EXCEPTION) _attachedNow = e.SystemPid;
                break;
            case LiveAction.CaptureCrash: Capture("crash", e, catalog); break;
            case LiveAction.CaptureExit: Capture("exit", e, catalog); break;
            case LiveAction.ReportExited:
                report(new LiveEvent { Event = "exited", Pid = e.SystemPid, Process = ProcessName(), ExitCode = e.ExitCode });
                break;
        }
        return status;
    }

    readonly HashSet<int> _attached = [];

    /// <summary>Attaches to the processes fed so far; returns how many it attached. A process that cannot be attached to is
    /// told as attached all the same (it must not stay suspended) and reported.</summary>
    int AttachFed(System.Threading.Channels.ChannelReader<uint> feed)
    {
        int added = 0;
        while (feed.TryRead(out uint pid))
        {
            int hr = engine.Interfaces.Client.AttachProcess(0, pid, DbgEng.DEBUG_ATTACH_DEFAULT);
            FcgiProcedure.Trace($"live attach {pid} (fed): {Hresult.Describe(hr)}");
            if (hr >= 0) { added++; engine.MarkSessionOpen(); continue; }
            report(new LiveEvent { Event = "error", Pid = pid, Error = $"cannot attach to process {pid}: {Hresult.Describe(hr)}" });
            _onAttached?.Invoke(pid);
        }
        return added;
    }

    Action<uint>? _onAttached;
    uint? _attachedNow;

    /// <summary>Attaches to the processes of that image name not attached yet; returns how many it attached.</summary>
    int AttachNew(string imageName)
    {
        string stem = Path.GetFileNameWithoutExtension(imageName);
        int added = 0;
        foreach (var p in Process.GetProcessesByName(stem))
        {
            using (p)
            {
                if (p.Id == Environment.ProcessId || !_attached.Add(p.Id)) continue;
                int hr = engine.Interfaces.Client.AttachProcess(0, (uint)p.Id, DbgEng.DEBUG_ATTACH_DEFAULT);
                FcgiProcedure.Trace($"live attach {p.Id}: {Hresult.Describe(hr)}");
                if (hr >= 0) { added++; engine.MarkSessionOpen(); }
            }
        }
        return added;
    }

    readonly HashSet<uint> _exitBreakpointSet = [];

    /// <summary>One breakpoint per process on the function every ExitProcess ends in (in the current process).</summary>
    void SetExitBreakpoint(uint systemPid)
    {
        if (!_exitBreakpointSet.Add(systemPid)) return;
        FcgiProcedure.Trace($"live exit breakpoint in {systemPid}: " + Hresult.Describe(engine.Execute($"bu {ExitBreakpoint}")));
    }

    static bool IsFastCgiWorker() => WorkerMarkers.Any(m => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(m)));

    unsafe string? ProcessName()
    {
        var so = engine.Interfaces.SystemObjects;
        var name = Utf16.Read((b, n, needed) => so.GetCurrentProcessExecutableNameWide(b, n, needed));
        return string.IsNullOrEmpty(name) ? null : Path.GetFileName(name.Replace('\\', '/'));
    }

    /// <summary>The procedure at the stop (the verdict the user sees first), then the full dump beside it.</summary>
    void Capture(string kind, Last e, IOwnerCatalog catalog)
    {
        string? process = ProcessName();
        System.Text.Json.JsonElement? verdict = null;
        string? error = null, dump = null;
        double verdictSeconds = 0, dumpSeconds = 0;
        var watch = Stopwatch.StartNew();
        try
        {
            var run = FcgiProcedure.Run(engine.Interfaces, catalog, options.Procedure);
            using var doc = System.Text.Json.JsonDocument.Parse(JsonRenderer.Render(run.Result, indented: false));
            verdict = doc.RootElement.Clone();
        }
        catch (Exception ex) { error = $"the verdict failed: {ex.Message}"; }
        verdictSeconds = watch.Elapsed.TotalSeconds;
        string? output = null;
        if (options.StopCommands is { Length: > 0 } commands)
        {
            var text = new System.Text.StringBuilder();
            engine.SetOutput((_, chunk) => text.Append(chunk));
            try { engine.Execute(commands); }
            finally { engine.SetOutput(null); }
            output = text.ToString();
        }
        watch.Restart();
        string stem = Path.GetFileNameWithoutExtension(process ?? "process");
        string file = $"{stem}_{e.SystemPid}_{DateTime.UtcNow:yyyyMMdd-HHmmss}_{++_captures}.dmp";
        string path = options.OutFolder.TrimEnd('\\', '/') + (options.OutFolder.Contains('\\') ? "\\" : "/") + file;
        // Written under a temporary name and renamed when complete: a capture that dies mid-write (killed, out of disk)
        // never leaves a half dump that looks whole.
        string partial = path + ".partial";
        int hr = engine.Execute($".dump /ma \"{partial}\"");
        if (hr >= 0 && File.Exists(partial))
        {
            try { File.Move(partial, path); }
            catch (IOException ex) { error = $"the dump could not be renamed from {partial}: {ex.Message}"; }
        }
        dumpSeconds = watch.Elapsed.TotalSeconds;
        if (File.Exists(path)) dump = path;
        else error = (error is null ? "" : error + "; ") + $"the dump could not be written: {Hresult.Describe(hr)}";
        report(new LiveEvent
        {
            Event = kind, Pid = e.SystemPid, Process = process, Code = kind == "crash" ? $"0x{e.Code:x8}" : null,
            FirstChance = kind == "crash" ? e.FirstChance : null, Dump = dump, Verdict = verdict, Output = output, Error = error,
            VerdictSeconds = Math.Round(verdictSeconds, 3), DumpSeconds = Math.Round(dumpSeconds, 3),
        });
    }
}

/// <summary>One debug event as the stop policy sees it.</summary>
public readonly record struct LiveStop(uint Type, uint Pid, uint Code, bool FirstChance);

public enum LiveAction { Continue, SetExitBreakpoint, CaptureCrash, CaptureExit, ReportExited }

/// <summary>
/// Which events stop a live capture, as procdump with the verdict would: a second-chance exception; the first
/// chance of a stack overflow (it never gets a second: the process dies at the next fault), a fail-fast and heap
/// corruption (both end the process without unwinding); every first chance with --first-chance; a watched worker's
/// exit breakpoint once per process; the initial break (where the exit breakpoint goes). Everything else goes on as
/// the application would see it without a debugger. No engine here: the Windows-only paths are unit-tested.
/// </summary>
/// <param name="spareTheRoot">Do not capture the exit of the first process (under --children: the server, not a worker).</param>
public sealed class LiveStopPolicy(bool firstChance, bool captureExits, bool spareTheRoot = false)
{
    public const uint StackOverflow = 0xC00000FD, FailFast = 0xC0000409, HeapCorruption = 0xC0000374, Breakpoint = 0x80000003,
        WowBreakpoint = 0x4000001F, DbgPrint = 0x40010006, DbgPrintWide = 0x4001000A, SetThreadName = 0x406D1388;

    readonly HashSet<uint> _initialBreakSeen = [];
    readonly HashSet<uint> _exitCaptured = [];
    uint? _root;

    public (LiveAction Action, uint Status) Decide(LiveStop e)
    {
        _root ??= e.Pid;
        switch (e.Type)
        {
            case DbgEng.DEBUG_EVENT_CREATE_PROCESS:
                return (LiveAction.SetExitBreakpoint, DbgEng.DEBUG_STATUS_GO);
            case DbgEng.DEBUG_EVENT_EXCEPTION when e.Code is Breakpoint or WowBreakpoint && _initialBreakSeen.Add(e.Pid):
                // The initial (or attach) break of a process: an attached process gets its exit breakpoint here.
                return (LiveAction.SetExitBreakpoint, DbgEng.DEBUG_STATUS_GO_HANDLED);
            case DbgEng.DEBUG_EVENT_EXCEPTION when e.Code is DbgPrint or DbgPrintWide or SetThreadName:
                return (LiveAction.Continue, DbgEng.DEBUG_STATUS_GO_NOT_HANDLED);
            case DbgEng.DEBUG_EVENT_EXCEPTION:
                bool stop = !e.FirstChance || firstChance || e.Code is StackOverflow or FailFast or HeapCorruption;
                // Not handled either way: the application's own handlers see it as they would without a debugger.
                return (stop ? LiveAction.CaptureCrash : LiveAction.Continue, DbgEng.DEBUG_STATUS_GO_NOT_HANDLED);
            case DbgEng.DEBUG_EVENT_BREAKPOINT:
                bool worker = !(spareTheRoot && e.Pid == _root);
                return (captureExits && worker && _exitCaptured.Add(e.Pid) ? LiveAction.CaptureExit : LiveAction.Continue,
                    DbgEng.DEBUG_STATUS_GO);
            case DbgEng.DEBUG_EVENT_EXIT_PROCESS:
                return (LiveAction.ReportExited, DbgEng.DEBUG_STATUS_GO);
            default:
                return (LiveAction.Continue, DbgEng.DEBUG_STATUS_GO);
        }
    }
}
