using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Symbols;
using FcgiExt.RulesEngine.Triage;

namespace FcgiExt.DbgEng.Analysis;

public sealed record FcgiOptions
{
    /// <summary>-offline: never add Microsoft's symbol server.</summary>
    public bool Offline { get; init; }
    /// <summary>-y folders added to the symbol path.</summary>
    public IReadOnlyList<string> SymbolFolders { get; init; } = [];
    /// <summary>Downstream store for srv*: a per-user cache.</summary>
    public string SymbolCache { get; init; } = DefaultSymbolCache();
    /// <summary>Skip the symbol step entirely (the batch host sets paths itself and never touches the network).</summary>
    public bool KeepSymbolPath { get; init; }
    public CancellationToken Cancellation { get; init; }
    /// <summary>What earlier runs in this session loaded; the extension passes the session's, so !fcgi twice reloads once.</summary>
    public SymbolReloadLog ReloadLog { get; init; } = new();

    public static string DefaultSymbolCache()
    {
        var local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        if (string.IsNullOrEmpty(local)) local = Path.GetTempPath();
        return Path.Combine(local, "FcgiExt", "symbols");
    }
}

/// <summary>A process of the current session, for "which worker raised the event" in live multi-process sessions.</summary>
public sealed record SessionProcess(uint EngineId, uint SystemId, string? ExecutableName, bool RaisedTheEvent);

/// <summary>What the procedure did and found: the steps the extension prints, and the triage result.</summary>
public sealed record FcgiRun
{
    public required SymbolPathPlan SymbolPlan { get; init; }
    public SymbolLoadReport SymbolLoad { get; init; } = new();
    public required string ImagePath { get; init; }
    public IReadOnlyList<SessionProcess> Processes { get; init; } = [];
    public bool HasEvent { get; init; }
    public required TriageResult Result { get; init; }
}

/// <summary>
/// The !fcgi procedure against a live engine, shared by the extension and the batch host so both give the
/// same verdict: symbols (step 1), collect the crash model (steps 2–4 read it), triage with the catalog.
/// The engine is asked, RulesEngine decides.
/// </summary>
public static class FcgiProcedure
{
    public static FcgiRun Run(EngineInterfaces engine, IOwnerCatalog catalog, FcgiOptions options)
    {
        Trace("select event process");
        var processes = SelectEventProcess(engine, out bool hasEvent);
        SymbolPathPlan plan;
        SymbolLoadReport load;
        string imagePath;
        CrashReport crash;
        using (new QuietOutput(engine))
        {
            Trace("symbols");
            plan = SetUpSymbols(engine, options, out imagePath, out bool pathChanged, out bool turnedOnLines);
            Trace("collect");
            crash = CollectWithSymbols(engine, options, plan.SymbolPath, pathChanged, out load);
            load = load with { TurnedOnLines = turnedOnLines };
        }
        Trace("triage");
        var result = Triager.Triage(crash, catalog);
        Trace("done");
        return new FcgiRun
        {
            SymbolPlan = plan, SymbolLoad = load, ImagePath = imagePath, Processes = processes, HasEvent = hasEvent, Result = result,
        };
    }

    /// <summary>Loads what the report needs and no more: `.reload` only when the path changed, then each deferred
    /// module's symbols (so every module has its real status), then `.reload /f` of the faulting stack's modules that
    /// still lack symbols and were not tried on this path, and the crash model again if that reloaded anything.</summary>
    static CrashReport CollectWithSymbols(EngineInterfaces engine, FcgiOptions options, string symbolPath, bool pathChanged,
        out SymbolLoadReport load)
    {
        var loader = new SymbolLoader(engine, options.ReloadLog, symbolPath);
        if (pathChanged) loader.ReloadAll();
        int deferred = loader.LoadDeferred(options.Cancellation);
        var collector = new Collector(engine, new CollectorOptions { LoadAllSymbols = false, Cancellation = options.Cancellation });
        var crash = collector.Collect();
        IReadOnlyList<string> reloaded = [];
        if (pathChanged) loader.RememberStack(crash);
        else if (loader.StackModulesToRetry(crash) is { Count: > 0 } retry)
        {
            reloaded = loader.Reload(retry);
            crash = collector.Collect();
        }
        if (loader.Notes.Count > 0)
            crash = crash with { Source = crash.Source with { Notes = [.. loader.Notes, .. crash.Source.Notes] } };
        load = new SymbolLoadReport
        {
            PathChanged = pathChanged, ReloadedAll = pathChanged, ReloadedModules = reloaded, LoadedDeferred = deferred,
        };
        return crash;
    }

    static readonly bool s_trace = Environment.GetEnvironmentVariable("FCGIEXT_TRACE") == "1";

    /// <summary>FCGIEXT_TRACE=1: each step on stderr with a timestamp (diagnosing a slow or stuck engine).</summary>
    internal static void Trace(string step)
    {
        if (s_trace) Console.Error.WriteLine($"[fcgiext {DateTime.Now:HH:mm:ss.fff}] {step}");
    }

    /// <summary>Step 1: symbol path (Microsoft server unless offline, -y folders, debug pack hints), the image path
    /// (minidumps hold no images; x64 unwinding needs them: default to the symbol path), line loading.</summary>
    public static SymbolPathPlan SetUpSymbols(EngineInterfaces engine, FcgiOptions options, out string imagePath,
        out bool pathChanged, out bool turnedOnLines)
    {
        pathChanged = turnedOnLines = false;
        var symbols = engine.Symbols;
        unsafe
        {
            string current = Utf16.Read((b, n, needed) => symbols.GetSymbolPathWide(b, n, needed)) ?? "";
            imagePath = Utf16.Read((b, n, needed) => symbols.GetImagePathWide(b, n, needed)) ?? "";
            if (options.KeepSymbolPath)
                return new SymbolPathPlan(current, []);
            bool optionsKnown = symbols.GetSymbolOptions(out uint symbolOptions) >= 0;
            turnedOnLines = optionsKnown && (symbolOptions & DbgEng.SYMOPT_LOAD_LINES) == 0;
            string? exe = Utf16.Read((b, n, needed) => engine.SystemObjects.GetCurrentProcessExecutableNameWide(b, n, needed));
            var plan = SymbolPathPlanner.Plan(current, options.SymbolFolders, string.IsNullOrEmpty(exe) ? null : exe,
                options.Offline, options.SymbolCache, SafeDirectoryExists);
            // Only an added element counts: the planner's trimmed copy of the same elements is no reason to reload.
            pathChanged = !SamePath(plan.SymbolPath, current);
            string? SymbolPath() => Utf16.Read((b, n, needed) => symbols.GetSymbolPathWide(b, n, needed));
            string? ImagePath() => Utf16.Read((b, n, needed) => symbols.GetImagePathWide(b, n, needed));
            if (pathChanged)
                SetPathQuietly(engine, ".sympath", plan.SymbolPath, SymbolPath,
                    () => Hresult.Check(symbols.SetSymbolPathWide(plan.SymbolPath), "SetSymbolPathWide"));
            if (string.IsNullOrWhiteSpace(imagePath) && !string.IsNullOrEmpty(plan.SymbolPath))
            {
                // The user's own local folders (the path as it was, and -y): not srv* (every unwind would ask the
                // network) and not the folders guessed from the executable (the image path is searched deeply).
                var local = string.Join(';', current.Split(';').Concat(options.SymbolFolders)
                    .Select(p => p.Trim()).Where(p => p.Length > 0 && !p.Contains('*')).Distinct(StringComparer.OrdinalIgnoreCase));
                if (local.Length > 0 && SetPathQuietly(engine, ".exepath", local, ImagePath, () => symbols.SetImagePathWide(local)))
                    imagePath = local;
            }
            // Lines are needed for [file @ line]; when the engine will not say whether they are on, turn them on.
            if (turnedOnLines || !optionsKnown) symbols.AddSymbolOptions(DbgEng.SYMOPT_LOAD_LINES);
            return plan;
        }
    }

    /// <summary>Sets a path with `.sympath` / `.exepath` under DEBUG_OUTCTL_IGNORE: the engine's "Path validation summary"
    /// then reaches no client (SetSymbolPathWide prints it to all, WinDbg's window included). The path is read back;
    /// when the command did not set it whole (a character the command line reads differently), the API sets it.
    /// True when the engine holds the path.</summary>
    static bool SetPathQuietly(EngineInterfaces engine, string command, string path, Func<string?> read, Func<int> set)
    {
        int hr = engine.Control.ExecuteWide(DbgEng.DEBUG_OUTCTL_IGNORE | DbgEng.DEBUG_OUTCTL_NOT_LOGGED, $"{command} {path}",
            DbgEng.DEBUG_EXECUTE_NOT_LOGGED | DbgEng.DEBUG_EXECUTE_NO_REPEAT);
        return (hr >= 0 && SamePath(read() ?? "", path)) || set() >= 0;
    }

    static bool SamePath(string a, string b)
    {
        static string[] Parts(string p) => p.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return Parts(a).SequenceEqual(Parts(b), StringComparer.OrdinalIgnoreCase);
    }

    static bool SafeDirectoryExists(string path)
    {
        try { return Directory.Exists(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return false; }
    }

    /// <summary>In a session with several processes (ntsd -o on w3wp.exe and its php-cgi.exe children), make the
    /// process that raised the event current, and list all of them.</summary>
    public static unsafe IReadOnlyList<SessionProcess> SelectEventProcess(EngineInterfaces engine, out bool hasEvent)
    {
        var so = engine.SystemObjects;
        hasEvent = so.GetEventProcess(out uint eventProcess) >= 0 && eventProcess != DbgEng.DEBUG_ANY_ID;
        if (so.GetNumberProcesses(out uint count) < 0 || count == 0) return [];
        if (so.GetCurrentProcessId(out uint original) < 0) original = DbgEng.DEBUG_ANY_ID;
        var ids = new uint[count];
        var sysIds = new uint[count];
        fixed (uint* pi = ids, ps = sysIds)
            if (so.GetProcessIdsByIndex(0, count, pi, ps) < 0) return [];
        var list = new List<SessionProcess>();
        for (int i = 0; i < count; i++)
        {
            string? name = null;
            if (count == 1 || so.SetCurrentProcessId(ids[i]) >= 0)
                name = Utf16.Read((b, n, needed) => so.GetCurrentProcessExecutableNameWide(b, n, needed));
            list.Add(new SessionProcess(ids[i], sysIds[i], string.IsNullOrEmpty(name) ? null : ModuleNames.FileName(name),
                hasEvent && ids[i] == eventProcess));
        }
        uint target = hasEvent ? eventProcess : original;
        if (count > 1 && target != DbgEng.DEBUG_ANY_ID) so.SetCurrentProcessId(target);
        return list;
    }
}
