using FcgiExt.RulesEngine.Model;

namespace FcgiExt.DbgEng.Analysis;

/// <summary>What !fcgi did to the session's symbols, for the one line the report prints about it.</summary>
public sealed record SymbolLoadReport
{
    public bool PathChanged { get; init; }
    /// <summary>`.reload` of every module (the symbol path changed).</summary>
    public bool ReloadedAll { get; init; }
    /// <summary>Image names reloaded one by one (faulting-stack modules without symbols, not yet tried on this path).</summary>
    public IReadOnlyList<string> ReloadedModules { get; init; } = [];
    /// <summary>Modules whose deferred symbols were loaded (a load, not a reload: nothing loaded before is dropped).</summary>
    public int LoadedDeferred { get; init; }
    /// <summary>SYMOPT_LOAD_LINES was off and !fcgi turned it on.</summary>
    public bool TurnedOnLines { get; init; }

    public bool Reloaded => ReloadedAll || ReloadedModules.Count > 0;
}

/// <summary>Which modules !fcgi already loaded or retried on which symbol path, so a second !fcgi in the same session
/// reloads nothing. The extension keeps one per target (a new session forgets it); the batch host uses a fresh one.</summary>
public sealed class SymbolReloadLog
{
    readonly HashSet<string> _tried = new(StringComparer.OrdinalIgnoreCase);
    readonly Lock _lock = new();

    static string Key(string symbolPath, ulong moduleBase) => $"{moduleBase:x}|{symbolPath}";

    public bool Tried(string symbolPath, ulong moduleBase)
    {
        lock (_lock) return _tried.Contains(Key(symbolPath, moduleBase));
    }

    public void Record(string symbolPath, ulong moduleBase)
    {
        lock (_lock) _tried.Add(Key(symbolPath, moduleBase));
    }

    public void Clear()
    {
        lock (_lock) _tried.Clear();
    }
}

/// <summary>Mutes this client's engine output until disposed: symbol loads print warnings, "." progress and the
/// "Symbol Loading Error Summary" (DEBUG_OUTPUT_SYMBOLS) that would bury the report and break `!fcgi -json`. The
/// commands !fcgi runs are quiet by themselves (DEBUG_OUTCTL_IGNORE, which also spares other clients); the mask
/// covers what an API call loads on the way. The report lists every module without symbols: nothing is lost.</summary>
public sealed class QuietOutput : IDisposable
{
    readonly IDebugClient5 _client;
    readonly uint _mask;
    readonly bool _muted;

    public QuietOutput(EngineInterfaces engine)
    {
        _client = engine.Client;
        _muted = _client.GetOutputMask(out _mask) >= 0 && _client.SetOutputMask(0) >= 0;
    }

    public void Dispose()
    {
        if (_muted) _client.SetOutputMask(_mask);
    }
}

/// <summary>The symbol loads and reloads !fcgi makes. Commands run with DEBUG_OUTCTL_IGNORE, so what the engine
/// prints for them reaches no client (WinDbg's window, a .logopen log), not only this one.</summary>
public sealed unsafe class SymbolLoader(EngineInterfaces engine, SymbolReloadLog log, string symbolPath)
{
    readonly List<string> _notes = [];

    /// <summary>Failures worth a line in the report's notes.</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>`.reload`: after a symbol path change every module must be looked up again (the engine does not
    /// retry a failed load by itself). Modules become deferred; <see cref="LoadDeferred"/> loads them.</summary>
    public void ReloadAll()
    {
        int hr = Execute(".reload");
        if (hr < 0) _notes.Add($".reload failed: {Hresult.Describe(hr)}");
    }

    /// <summary>Loads the symbols of every module still deferred, so each module has its real status. Returns how
    /// many. Each is remembered as tried on this path.</summary>
    public int LoadDeferred(CancellationToken cancellation)
    {
        int loaded = 0;
        foreach (var (moduleBase, image, type) in ModuleList())
        {
            if (cancellation.IsCancellationRequested || engine.InterruptRequested()) throw new DbgEngInterruptedException();
            if (type != DbgEng.DEBUG_SYMTYPE_DEFERRED) continue;
            log.Record(symbolPath, moduleBase);
            if (image is null) continue;
            int hr = Execute($".reload /f {image}");
            if (hr < 0) _notes.Add($"symbols of {image} could not be loaded: {Hresult.Describe(hr)}");
            else loaded++;
        }
        return loaded;
    }

    /// <summary>The modules of the faulting stack that lack symbols and were not loaded or retried on this path yet:
    /// the user may have changed the path without `.reload`, which leaves the old failure in place.</summary>
    public IReadOnlyList<ModuleInfo> StackModulesToRetry(CrashReport crash) =>
        StackModulesWithoutSymbols(crash).Where(m => !log.Tried(symbolPath, m.Base!.Value)).ToList();

    /// <summary>`.reload /f image` for each module; every one of them is remembered as tried on this path.</summary>
    public IReadOnlyList<string> Reload(IEnumerable<ModuleInfo> modules)
    {
        var done = new List<string>();
        foreach (var m in modules)
        {
            log.Record(symbolPath, m.Base!.Value);
            if (ImageArgument(m.FileName) is not { } image) continue;
            int hr = Execute($".reload /f {image}");
            if (hr < 0) _notes.Add($".reload /f {image} failed: {Hresult.Describe(hr)}");
            else done.Add(image);
        }
        return done;
    }

    /// <summary>After a whole reload: what is still without symbols on the stack was tried on this path.</summary>
    public void RememberStack(CrashReport crash)
    {
        foreach (var m in StackModulesWithoutSymbols(crash)) log.Record(symbolPath, m.Base!.Value);
    }

    static IEnumerable<ModuleInfo> StackModulesWithoutSymbols(CrashReport crash)
    {
        var frames = crash.FaultingThread?.Frames ?? [];
        return crash.Modules
            .Where(m => m.Base is not null && LacksSymbols(m.Symbols))
            .Where(m => frames.Any(f => f.InstructionPointer is { } ip && m.Contains(ip)));
    }

    public static bool LacksSymbols(SymbolStatus s) =>
        s is SymbolStatus.ExportOnly or SymbolStatus.None or SymbolStatus.Mismatched or SymbolStatus.Deferred or SymbolStatus.Unknown;

    List<(ulong Base, string? Image, uint SymbolType)> ModuleList()
    {
        var symbols = engine.Symbols;
        var list = new List<(ulong, string?, uint)>();
        if (symbols.GetNumberModules(out uint count, out _) < 0) return list;
        for (uint i = 0; i < count; i++)
        {
            if (symbols.GetModuleByIndex(i, out ulong moduleBase) < 0) continue;
            var p = new DEBUG_MODULE_PARAMETERS();
            if (symbols.GetModuleParameters(1, &moduleBase, 0, &p) < 0) continue;
            ulong at = moduleBase;
            string? path = Utf16.Read((b, n, needed) =>
                symbols.GetModuleNameStringWide(DbgEng.DEBUG_MODNAME_IMAGE, DbgEng.DEBUG_ANY_ID, at, b, n, needed));
            list.Add((moduleBase, ImageArgument(path), p.SymbolType));
        }
        return list;
    }

    /// <summary>The image's file name as `.reload` needs it: with its extension (a bare name makes the engine add a
    /// module at address 0), and without characters that would end the command or need quoting.</summary>
    static string? ImageArgument(string? path)
    {
        if (string.IsNullOrEmpty(path)) return null;
        string name = ModuleNames.FileName(path);
        return name.Contains('.') && name.AsSpan().IndexOfAny(" ;\"") < 0 ? name : null;
    }

    int Execute(string command) =>
        engine.Control.ExecuteWide(DbgEng.DEBUG_OUTCTL_IGNORE | DbgEng.DEBUG_OUTCTL_NOT_LOGGED, command,
            DbgEng.DEBUG_EXECUTE_NOT_LOGGED | DbgEng.DEBUG_EXECUTE_NO_REPEAT);
}
