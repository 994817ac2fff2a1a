using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;
using YamlDotNet.RepresentationModel;

namespace FcgiExt.Tests.Triage;

/// <summary>
/// End to end on real public crash texts (Fixtures/text, provenance in SOURCES.md, owners in cases.yaml):
/// reader → built-in catalog → triage must name the module the project's maintainers established in the thread.
/// </summary>
public class RealCaseTriageTests
{
    public sealed record Case(string File, string ExpectedModule, string ExpectedOwner, string? Code, bool TextNamesOwner, string Url,
        bool OwnerBelowTop = false)
    {
        public override string ToString() => File;
    }

    static string FixtureDir => Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "text");

    public static IEnumerable<Case> Cases()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "text");
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(dir, "cases.yaml"))) yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        foreach (YamlMappingNode c in (YamlSequenceNode)root.Children[new YamlScalarNode("cases")])
        {
            string? Get(string key) => c.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s
                && s.Value is not (null or "null" or "~") ? s.Value : null;
            yield return new Case(Get("file")!, Get("expected_owner_module")!, Get("expected_owner") ?? "", Get("exception_code"),
                Get("text_names_owner") != "false", Get("url") ?? "", Get("owner_below_top") == "true");
        }
    }

    static readonly Lazy<RuleCatalog> Catalog = new(RuleCatalog.LoadBuiltIn);

    [TestCaseSource(nameof(Cases))]
    public void Names_the_established_owner(Case c)
    {
        var crash = DebuggerText.ReadFile(Path.Combine(FixtureDir, c.File));
        var r = Triager.Triage(crash, Catalog.Value);
        var decidedModule = ModuleNames.EngineName(r.Verdict.OwnerModule);
        var trace = string.Join("\n", r.Explanation);
        if (c.OwnerBelowTop)
        {
            // The maintainers found the cause in a caller below the frame that faulted, which no rule can see: the
            // owner's module is on the stack, and triage must not be sure of the frame above it.
            Assert.That(crash.Frames.Select(f => f.Module), Has.Some.EqualTo(c.ExpectedModule).IgnoreCase, trace);
            Assert.That(r.Verdict.Confidence, Is.Not.EqualTo(Confidence.High), trace);
        }
        else if (c.TextNamesOwner)
        {
            Assert.That(decidedModule, Is.EqualTo(c.ExpectedModule).IgnoreCase, $"{c.Url}: expected {c.ExpectedOwner}\n{trace}");
            Assert.That(r.Verdict.Owner, Is.Not.EqualTo(Triager.UnknownOwner));
        }
        else
        {
            // The owner's module is not in the text at all: triage must not pretend to be sure.
            Assert.That(decidedModule, Is.Not.EqualTo(c.ExpectedModule).IgnoreCase);
            Assert.That(r.Verdict.Confidence, Is.Not.EqualTo(Confidence.High), trace);
        }
        if (c.Code is not null)
            Assert.That(RenderFormat.Code(crash.Exception?.Code), Is.EqualTo(c.Code.ToLowerInvariant()));
        Assert.That(r.Verdict.Bucket, Does.Not.Contain("+0x"), "no offsets in a bucket");
    }
}
