using System.Runtime.InteropServices;
using FcgiExt.DbgEng.Analysis;
using FcgiExt.RulesEngine.Catalog;

namespace FcgiExt.Extension.Hosting;

/// <summary>
/// The extension's state between commands: the rules catalog (built-in, then YAML files in a `rules` folder
/// next to fcgiext.dll, then FCGIEXT_RULES, then what `!fcgirules -load` added this session) and whether the
/// symbol step already ran for this target.
/// </summary>
public static class ExtensionState
{
    static readonly Lock s_lock = new();
    static RuleCatalog? s_catalog;
    static readonly List<string> s_sessionPaths = [];
    static IReadOnlyList<string> s_loadErrors = [];

    public static void Reset()
    {
        lock (s_lock)
        {
            s_catalog = null;
            s_sessionPaths.Clear();
            s_loadErrors = [];
        }
        ReloadLog.Clear();
    }

    /// <summary>The symbol loads !fcgi made on this target: a second !fcgi reloads nothing it already tried.</summary>
    public static SymbolReloadLog ReloadLog { get; } = new();

    const uint DEBUG_NOTIFY_SESSION_ACTIVE = 0, DEBUG_NOTIFY_SESSION_INACTIVE = 1;

    /// <summary>A new or ended target forgets the symbol loads (the catalog is per debugger, not per target). Breaks and
    /// resumes (ACCESSIBLE, INACCESSIBLE) keep them: a module loaded meanwhile has a new base, so a new key.</summary>
    public static void SessionChanged(uint notify)
    {
        if (notify is DEBUG_NOTIFY_SESSION_ACTIVE or DEBUG_NOTIFY_SESSION_INACTIVE) ReloadLog.Clear();
    }

    /// <summary>Site catalog paths, in layering order (CatalogLayers orders them as every front end does).</summary>
    public static IReadOnlyList<string> SitePaths() => Layers([]).Select(l => l.Path).ToList();

    /// <summary>Every site layer in use, the session's -load ones included (for the !fcgirules summary).</summary>
    public static IReadOnlyList<CatalogLayer> SiteLayers()
    {
        lock (s_lock) return Layers(s_sessionPaths);
    }

    static IReadOnlyList<CatalogLayer> Layers(IEnumerable<string> session) =>
        CatalogLayers.Plan(Environment.GetEnvironmentVariable(CatalogLayers.EnvironmentVariable), given: session,
            extensionFolder: ExtensionFolder());

    /// <summary>The catalog, loaded on first use. Broken site files are reported once (file:line:col) and skipped.</summary>
    public static RuleCatalog Catalog(out IReadOnlyList<string> newErrors)
    {
        lock (s_lock)
        {
            newErrors = [];
            if (s_catalog is not null) return s_catalog;
            var catalog = CatalogLayers.Load(Layers(s_sessionPaths));
            s_loadErrors = catalog.Diagnostics.Select(d => d.ToString()).ToList();
            newErrors = s_loadErrors;
            s_catalog = catalog;
            return catalog;
        }
    }

    /// <summary>Every problem the loaded catalog's site files have (file:line:col: message), for `!fcgi -json`.</summary>
    public static IReadOnlyList<string> LoadErrors
    {
        get { lock (s_lock) return s_loadErrors; }
    }

    /// <summary>Adds a site catalog for this session. Returns its diagnostics; on errors the previous catalog stays.</summary>
    public static IReadOnlyList<string> AddSessionCatalog(string path, out bool loaded)
    {
        lock (s_lock)
        {
            var trial = CatalogLayers.Load(Layers(s_sessionPaths.Append(path)));
            var fromThisFile = trial.Diagnostics.Where(d => SameOrUnder(d.File, path)).Select(d => d.ToString()).ToList();
            loaded = !trial.Diagnostics.Any(d => SameOrUnder(d.File, path) && d.Severity == DiagnosticSeverity.Error);
            if (loaded)
            {
                s_sessionPaths.Add(path);
                s_catalog = trial;
            }
            return fromThisFile;
        }
    }

    public static IReadOnlyList<string> SessionPaths { get { lock (s_lock) return [.. s_sessionPaths]; } }

    static bool SameOrUnder(string file, string path)
    {
        try
        {
            var f = Path.GetFullPath(file);
            var p = Path.GetFullPath(path);
            return string.Equals(f, p, StringComparison.OrdinalIgnoreCase) ||
                   f.StartsWith(p.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return false; }
    }

    /// <summary>The folder holding fcgiext.dll (where a site's `rules` folder goes).</summary>
    public static string? ExtensionFolder()
    {
        if (OperatingSystem.IsWindows())
        {
            var path = NativeModule.PathOfThisModule();
            if (path is not null) return Path.GetDirectoryName(path);
        }
        return string.IsNullOrEmpty(AppContext.BaseDirectory) ? null : AppContext.BaseDirectory;
    }
}

/// <summary>Finds this DLL's own file on Windows (AppContext.BaseDirectory is the debugger's folder in a NativeAOT DLL).</summary>
static unsafe partial class NativeModule
{
    const uint GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS = 0x4, GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT = 0x2;

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool GetModuleHandleExW(uint flags, nint address, out nint module);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    private static partial uint GetModuleFileNameW(nint module, char* buffer, uint size);

    public static string? PathOfThisModule()
    {
        delegate* unmanaged<uint*, uint*, int> anyExport = &Exports.DebugExtensionInitialize;
        if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, (nint)anyExport,
            out var module))
            return null;
        char* buffer = stackalloc char[1024];
        uint n = GetModuleFileNameW(module, buffer, 1024);
        return n == 0 || n >= 1024 ? null : new string(buffer, 0, (int)n);
    }
}
