using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;
using NUnit.Framework;

namespace FcgiExt.Tests.Catalog;

/// <summary>The built-in catalog loads cleanly and every example in it holds (what `fcgi rules test` runs in CI).</summary>
public class BuiltInCatalogTests
{
    [Test]
    public void BuiltInCatalogLoadsWithoutDiagnostics()
    {
        var catalog = RuleCatalog.LoadBuiltIn();
        Assert.That(catalog.Diagnostics, Is.Empty, string.Join("\n", catalog.Diagnostics));
        Assert.That(catalog.Files, Has.Some.EqualTo("builtin/php.yaml"));
        Assert.That(catalog.Rules.Count, Is.GreaterThan(50));
    }

    [Test]
    public void EveryBuiltInExampleHolds()
    {
        var result = ExampleRunner.Run(RuleCatalog.LoadBuiltIn());
        Assert.That(result.Run, Is.GreaterThan(80));
        Assert.That(result.Failures, Is.Empty, string.Join("\n", result.Failures.Select(f => f.Format())));
    }

    [Test]
    public void EveryBuiltInRuleHasAnExample()
    {
        var missing = RuleCatalog.LoadBuiltIn().Rules.Where(r => r.Examples.Count == 0).Select(r => r.Id).ToList();
        Assert.That(missing, Is.Empty);
    }
}
