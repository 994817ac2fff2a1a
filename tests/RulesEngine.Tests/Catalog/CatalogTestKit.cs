using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;
using FcgiExt.RulesEngine.Model;
using NUnit.Framework;

namespace FcgiExt.Tests.Catalog;

/// <summary>Small catalogs written inline, walked over stacks written as "module!function".</summary>
internal static class CatalogTestKit
{
    /// <summary>A catalog of the given YAML texts, each its own layer (1, 2, …), without the built-in files.</summary>
    public static RuleCatalog Layers(params string[] layers)
    {
        var catalog = RuleCatalog.FromSources(layers.Select((t, i) => new CatalogSource($"layer{i + 1}.yaml", t, i + 1)));
        Assert.That(catalog.Diagnostics, Is.Empty, string.Join("\n", catalog.Diagnostics));
        return catalog;
    }

    public static List<CatalogDiagnostic> Diagnose(string yaml, string file = "bad.yaml")
    {
        var catalog = RuleCatalog.FromSources([new CatalogSource(file, yaml, 1)]);
        return [.. catalog.Diagnostics];
    }

    public static StackWalkResult Walk(RuleCatalog catalog, params string[] frames) => WalkWith(catalog, null, null, frames);

    public static StackWalkResult WalkWith(RuleCatalog catalog, string? exception, string? process, params string[] frames)
    {
        var (crash, cls) = FrameText.Crash(frames, exception, process);
        return catalog.Walk(crash, cls);
    }

    public static string? OwnerId(StackWalkResult walk) =>
        walk.Owner?.Id;

    public const string Owners = """
        owners:
          - { id: a, name: Owner A, category: php-extension }
          - { id: b, name: Owner B, category: php-core }
          - { id: c, name: Owner C, category: windows }
          - { id: d, name: Owner D, category: crt }
        """;

    /// <summary>The owners above plus the given rules block.</summary>
    public static RuleCatalog WithRules(string rules) => Layers(Owners + "\nrules:\n" + rules);

    public static CrashReport CrashWithModules(IEnumerable<ModuleInfo> modules, Architecture arch, params string[] frames) => new()
    {
        Process = new ProcessInfo { Name = "php-cgi.exe", Architecture = arch },
        Modules = modules.ToList(),
        FaultingThread = new ThreadInfo { Frames = frames.Select(FrameText.Parse).ToList() },
    };
}
