using System.Text.RegularExpressions;
using NUnit.Framework;

namespace FcgiExt.Tests;

/// <summary>
/// Dependencies inside RulesEngine run one way: Model ← Catalog, Readers, Symbols ← Triage ← Rendering, Reporting,
/// Calibration. A file may name its own layer and lower ones (by `using` or a qualified name), never a higher one.
/// </summary>
public partial class LayeringTests
{
    const string Root = "FcgiExt.RulesEngine";

    /// <summary>The rank of each namespace under FcgiExt.RulesEngine (sub-namespaces share their parent's).</summary>
    static readonly Dictionary<string, int> Ranks = new(StringComparer.Ordinal)
    {
        ["Model"] = 0,
        ["Catalog"] = 1, ["Readers"] = 1, ["Symbols"] = 1,
        ["Triage"] = 2,
        ["Rendering"] = 3, ["Reporting"] = 3, ["Calibration"] = 3,
    };

    [GeneratedRegex(@"^\s*namespace\s+(?<ns>[\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    [GeneratedRegex(@"\bFcgiExt\.RulesEngine\.(?<layer>[A-Z]\w*)")]
    private static partial Regex Reference();

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|""(?:\\.|[^""\\\n])*""", RegexOptions.Singleline)]
    private static partial Regex CommentsAndStrings();

    /// <summary>The upward references of one source file: "Catalog → Triage" for each higher layer it names.</summary>
    public static IReadOnlyList<string> UpwardReferences(string source)
    {
        var code = CommentsAndStrings().Replace(source, " ");
        var ns = NamespaceLine().Match(code);
        if (!ns.Success || LayerOf(ns.Groups["ns"].Value) is not { } own) return [];
        return Reference().Matches(code).Select(m => m.Groups["layer"].Value)
            .Where(l => Ranks.TryGetValue(l, out int r) && r > Ranks[own])
            .Distinct().Select(l => $"{own} → {l}").ToList();
    }

    static string? LayerOf(string ns)
    {
        if (!ns.StartsWith(Root + ".", StringComparison.Ordinal)) return null;
        var first = ns[(Root.Length + 1)..].Split('.')[0];
        return Ranks.ContainsKey(first) ? first : null;
    }

    [Test]
    public void No_RulesEngine_file_references_a_higher_layer()
    {
        var dir = Path.Combine(TestRepo.Root, "RulesEngine");
        var files = Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")).ToList();
        Assert.That(files.Count, Is.GreaterThan(30), "the scan sees the library's sources");
        var violations = files.SelectMany(f => UpwardReferences(File.ReadAllText(f)).Select(v => $"{Path.GetRelativePath(dir, f)}: {v}"))
            .ToList();
        Assert.That(violations, Is.Empty);
    }

    [Test]
    public void The_checker_finds_using_and_qualified_upward_references_but_not_comments_or_strings()
    {
        Assert.That(UpwardReferences("using FcgiExt.RulesEngine.Triage;\nnamespace FcgiExt.RulesEngine.Catalog;\nclass A {}"),
            Is.EqualTo(new[] { "Catalog → Triage" }));
        Assert.That(UpwardReferences("namespace FcgiExt.RulesEngine.Model;\nclass A { FcgiExt.RulesEngine.Rendering.X x; }"),
            Is.EqualTo(new[] { "Model → Rendering" }));
        Assert.That(UpwardReferences("namespace FcgiExt.RulesEngine.Catalog.Tools;\nusing FcgiExt.RulesEngine.Triage;"),
            Is.EqualTo(new[] { "Catalog → Triage" }), "sub-namespaces share their layer");
        Assert.That(UpwardReferences("namespace FcgiExt.RulesEngine.Triage;\nusing FcgiExt.RulesEngine.Catalog;\nusing FcgiExt.RulesEngine.Model;"),
            Is.Empty, "downward references are the rule");
        Assert.That(UpwardReferences("namespace FcgiExt.RulesEngine.Catalog;\n// see FcgiExt.RulesEngine.Triage\nvar s = \"FcgiExt.RulesEngine.Rendering\";"),
            Is.Empty, "comments and strings are not references");
    }
}
