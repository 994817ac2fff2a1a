namespace FcgiExt.RulesEngine.Catalog;

/// <summary>Where a site catalog layer came from (reports and warnings name it).</summary>
public enum CatalogLayerSource
{
    /// <summary>A `rules` folder next to fcgiext.dll (the extension only).</summary>
    ExtensionFolder,
    /// <summary>An entry of the FCGIEXT_RULES variable.</summary>
    Environment,
    /// <summary>A `rules` folder at the top of a dump folder given to `fcgi triage`.</summary>
    DumpFolder,
    /// <summary>`--rules` on the command line, `!fcgirules -load` in the debugger, or a rules verb's paths.</summary>
    Given,
}

/// <summary>One site catalog layer: a YAML file or a folder of them.</summary>
public sealed record CatalogLayer(string Path, CatalogLayerSource Source)
{
    public string Describe() => Source switch
    {
        CatalogLayerSource.ExtensionFolder => $"{Path} (next to fcgiext.dll)",
        CatalogLayerSource.Environment => $"{Path} ({CatalogLayers.EnvironmentVariable})",
        CatalogLayerSource.DumpFolder => $"{Path} (the dump folder's {CatalogLayers.FolderName} folder)",
        _ => Path,
    };
}

/// <summary>
/// The one place that orders catalog layers, so every front end (`fcgi triage` in both forms, every `fcgi rules`
/// verb, `!fcgi`, `!fcgirules`, the engine host) sees the same catalog for the same settings: the built-in catalog,
/// then a `rules` folder next to the extension, then each FCGIEXT_RULES entry, then a `rules` folder at the top of
/// each dump folder, then each given path (`--rules`, `!fcgirules -load`). Higher layers win ties on precedence.
/// The environment's value is passed in: this library reads no process state.
/// </summary>
public static class CatalogLayers
{
    public const string EnvironmentVariable = "FCGIEXT_RULES";
    public const string FolderName = "rules";

    /// <summary>The site layers in order. A path named twice keeps its first (lower) place: loading one file twice
    /// would make every rule in it a duplicate.</summary>
    public static IReadOnlyList<CatalogLayer> Plan(string? environmentValue, IEnumerable<string>? dumpFolders = null,
        IEnumerable<string>? given = null, string? extensionFolder = null)
    {
        var layers = new List<CatalogLayer>();
        var seen = new HashSet<string>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        void Add(string path, CatalogLayerSource source)
        {
            if (string.IsNullOrWhiteSpace(path)) return;
            if (seen.Add(Normal(path))) layers.Add(new CatalogLayer(path, source));
        }
        if (extensionFolder is { Length: > 0 } && FolderWithCatalogs(System.IO.Path.Combine(extensionFolder, FolderName)) is { } ext)
            Add(ext, CatalogLayerSource.ExtensionFolder);
        foreach (var entry in SplitEnvironment(environmentValue)) Add(entry, CatalogLayerSource.Environment);
        foreach (var folder in dumpFolders ?? [])
            if (Directory.Exists(folder) && FolderWithCatalogs(System.IO.Path.Combine(folder, FolderName)) is { } rules)
                Add(rules, CatalogLayerSource.DumpFolder);
        foreach (var path in given ?? []) Add(path, CatalogLayerSource.Given);
        return layers;
    }

    /// <summary>The built-in catalog (unless left out) with the site layers over it.</summary>
    public static RuleCatalog Load(IReadOnlyList<CatalogLayer> layers, bool includeBuiltIn = true) =>
        RuleCatalog.Load(layers.Select(l => l.Path), includeBuiltIn);

    /// <summary>FCGIEXT_RULES holds paths separated by the platform's path separator (';' on Windows).</summary>
    public static IEnumerable<string> SplitEnvironment(string? value) =>
        string.IsNullOrWhiteSpace(value) ? []
            : value.Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    static string? FolderWithCatalogs(string folder) =>
        Directory.Exists(folder) && Directory.EnumerateFiles(folder).Any(f =>
            f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            ? folder : null;

    static string Normal(string path)
    {
        try { return System.IO.Path.GetFullPath(path).TrimEnd(System.IO.Path.DirectorySeparatorChar); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return path; }
    }
}
