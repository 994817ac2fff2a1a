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
        Trace("symbols");
        string imagePath = "";
        var plan = Quietly(engine, () => SetUpSymbols(engine, options, out imagePath));
        Trace("collect");
        var crash = Quietly(engine, () => new Collector(engine, new CollectorOptions { Cancellation = options.Cancellation }).Collect());
        Trace("triage");
        var result = Triager.Triage(crash, catalog);
        Trace("done");
        return new FcgiRun { SymbolPlan = plan, ImagePath = imagePath, Processes = processes, HasEvent = hasEvent, Result = result };
    }

    static readonly bool s_trace = Environment.GetEnvironmentVariable("FCGIEXT_TRACE") == "1";

    /// <summary>FCGIEXT_TRACE=1: each step on stderr with a timestamp (diagnosing a slow or stuck engine).</summary>
    internal static void Trace(string step)
    {
        if (s_trace) Console.Error.WriteLine($"[fcgiext {DateTime.Now:HH:mm:ss.fff}] {step}");
    }

    /// <summary>Runs <paramref name="work"/> with this client's engine output muted: `.reload /f` and the symbol path
    /// check print a line or two per module (path validation, "Unable to load image …") that would bury the report.
    /// Nothing is lost: the report's symbols step lists every module whose symbols are missing, errors included.</summary>
    static T Quietly<T>(EngineInterfaces engine, Func<T> work)
    {
        const uint noisy = DbgEng.DEBUG_OUTPUT_NORMAL | DbgEng.DEBUG_OUTPUT_WARNING | DbgEng.DEBUG_OUTPUT_VERBOSE | DbgEng.DEBUG_OUTPUT_ERROR;
        bool muted = engine.Client.GetOutputMask(out uint mask) >= 0 && engine.Client.SetOutputMask(mask & ~noisy) >= 0;
        try { return work(); }
        finally { if (muted) engine.Client.SetOutputMask(mask); }
    }

    /// <summary>Step 1: symbol path (Microsoft server unless offline, -y folders, debug pack hints), the image path
    /// (minidumps hold no images; x64 unwinding needs them: default to the symbol path), line loading.</summary>
    public static SymbolPathPlan SetUpSymbols(EngineInterfaces engine, FcgiOptions options, out string imagePath)
    {
        var symbols = engine.Symbols;
        unsafe
        {
            string current = Utf16.Read((b, n, needed) => symbols.GetSymbolPathWide(b, n, needed)) ?? "";
            imagePath = Utf16.Read((b, n, needed) => symbols.GetImagePathWide(b, n, needed)) ?? "";
            if (options.KeepSymbolPath)
                return new SymbolPathPlan(current, []);
            string? exe = Utf16.Read((b, n, needed) => engine.SystemObjects.GetCurrentProcessExecutableNameWide(b, n, needed));
            var plan = SymbolPathPlanner.Plan(current, options.SymbolFolders, string.IsNullOrEmpty(exe) ? null : exe,
                options.Offline, options.SymbolCache, SafeDirectoryExists);
            if (plan.Changed && plan.SymbolPath != current)
                Hresult.Check(symbols.SetSymbolPathWide(plan.SymbolPath), "SetSymbolPathWide");
            if (string.IsNullOrWhiteSpace(imagePath) && !string.IsNullOrEmpty(plan.SymbolPath))
            {
                // The user's own local folders (the path as it was, and -y): not srv* (every unwind would ask the
                // network) and not the folders guessed from the executable (the image path is searched deeply).
                var local = string.Join(';', current.Split(';').Concat(options.SymbolFolders)
                    .Select(p => p.Trim()).Where(p => p.Length > 0 && !p.Contains('*')).Distinct(StringComparer.OrdinalIgnoreCase));
                if (local.Length > 0 && symbols.SetImagePathWide(local) >= 0) imagePath = local;
            }
            symbols.AddSymbolOptions(DbgEng.SYMOPT_LOAD_LINES);
            return plan;
        }
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
            list.Add(new SessionProcess(ids[i], sysIds[i], string.IsNullOrEmpty(name) ? null : ModuleNames.FileName(name), hasEvent && ids[i] == eventProcess));
        }
        uint target = hasEvent ? eventProcess : original;
        if (count > 1 && target != DbgEng.DEBUG_ANY_ID) so.SetCurrentProcessId(target);
        return list;
    }
}
