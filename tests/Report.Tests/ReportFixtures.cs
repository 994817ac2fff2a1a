using System.Text.Json.Nodes;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Reporting;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Report;

/// <summary>
/// Real contract JSON: Fixtures/dumps/*.json are the per-dump objects of
/// `fcgi triage TestDumps/scenarios &lt;three broken files&gt; --format json` (three of them failed), and
/// Fixtures/hostile.json is the Xdebug one with every string made hostile (markup, quotes, javascript: and file: URLs,
/// tokens hundreds of characters long) and steps with runs and outside forms.
/// </summary>
public static class ReportFixtures
{
    public static string Folder => Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures");

    public static DumpOutcome Dump(string name) =>
        DumpOutcome.FromJson(JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "dumps", name + ".json")))!.AsObject());

    public static DumpOutcome Hostile() =>
        DumpOutcome.FromJson(JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "hostile.json")))!.AsObject());

    /// <summary>Every scenario dump and the three failed ones.</summary>
    public static IReadOnlyList<DumpOutcome> AllDumps() =>
        Directory.GetFiles(Path.Combine(Folder, "dumps"), "*.json").Order(StringComparer.Ordinal)
            .Select(f => DumpOutcome.FromJson(JsonNode.Parse(File.ReadAllText(f))!.AsObject())).ToList();

    /// <summary>The repository's own debugger text, triaged with the built-in catalog (what `--stack-text` does).</summary>
    public static TriageResult StackTextSample(string name = "tideways-xhprof-analyze.txt")
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FcgiExt.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("the repository root (FcgiExt.sln) is not above the test folder");
        return Triager.Triage(DebuggerText.ReadFile(Path.Combine(dir.FullName, "samples", name)), BuiltIn.Value);
    }

    static readonly Lazy<RuleCatalog> BuiltIn = new(RuleCatalog.LoadBuiltIn);
}
