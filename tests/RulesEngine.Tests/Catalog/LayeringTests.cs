using FcgiExt.RulesEngine.Catalog;
using NUnit.Framework;
using static FcgiExt.Tests.Catalog.CatalogTestKit;

namespace FcgiExt.Tests.Catalog;

/// <summary>User catalogs layer over the built-in one: same rule or owner id overrides, new ids add.</summary>
public class LayeringTests
{
    private string _dir = "";

    [SetUp] public void MakeDir() => _dir = Directory.CreateTempSubdirectory("fcgi-layers-").FullName;
    [TearDown] public void RemoveDir() => Directory.Delete(_dir, true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Test]
    public void ASiteRuleWithABuiltInIdReplacesIt()
    {
        var site = Write("site.yaml", """
            rules:
              - id: xdebug-any
                match: { module: 'php_xdebug*.dll' }
                action: maybe
                owner: xdebug
            """);
        var catalog = RuleCatalog.Load([site]);
        Assert.That(catalog.Diagnostics, Is.Empty);
        var rule = catalog.Rules.Single(r => r.Id == "xdebug-any");
        Assert.That(rule.Action, Is.EqualTo(RuleAction.Maybe));
        Assert.That(rule.Overrides!.File, Is.EqualTo("builtin/php-extensions.yaml"));
        Assert.That(rule.Location.File, Is.EqualTo(site));
        var w = Walk(catalog, "php_xdebug!xdebug_execute_ex", "php8ts!execute_ex");
        Assert.That(w.Owner!.Id, Is.EqualTo("php-core"), "now only a maybe-owner: the definite PHP frame below wins");
    }

    [Test]
    public void ASiteOwnerWithABuiltInIdReplacesItForBuiltInRules()
    {
        var site = Write("owners.yaml", """
            owners:
              - id: xdebug
                name: Xdebug (team Tools)
                category: php-extension
                report_url: https://tickets.example.com/tools
            """);
        var catalog = RuleCatalog.Load([site]);
        var w = Walk(catalog, "php_xdebug!xdebug_execute_ex");
        Assert.That(w.Owner!.Name, Is.EqualTo("Xdebug (team Tools)"));
        Assert.That(w.Owner.ReportUrl, Is.EqualTo("https://tickets.example.com/tools"));
        Assert.That(catalog.Owners["xdebug"].Overrides!.File, Is.EqualTo("builtin/php-extensions.yaml"));
    }

    [Test]
    public void NewIdsAddAndMayUseBuiltInOwners()
    {
        var site = Write("add.yaml", """
            owners:
              - { id: acme, name: ACME hook, category: injected-third-party, report_url: 'https://acme.example.com/support' }
            rules:
              - { id: acme-hook, match: { module: acmehook64.dll }, action: owner, owner: acme }
              - { id: our-ext, match: { module: php_ourext.dll }, action: owner, owner: php-extension-other }
            """);
        var builtIn = RuleCatalog.LoadBuiltIn();
        var catalog = RuleCatalog.Load([site]);
        Assert.That(catalog.Diagnostics, Is.Empty);
        Assert.That(catalog.Rules.Count, Is.EqualTo(builtIn.Rules.Count + 2));
        Assert.That(Walk(catalog, "acmehook64!Hook", "php8ts!f").Owner!.Id, Is.EqualTo("acme"));
        Assert.That(Walk(builtIn, "acmehook64!Hook", "php8ts!f").Owner!.Id, Is.EqualTo("unknown-module"));
    }

    [Test]
    public void LaterPathsOverrideEarlierOnesAndFoldersLoadInNameOrder()
    {
        var folder = Path.Combine(_dir, "site.d");
        Write("site.d/10-first.yaml", "rules:\n  - { id: r, match: { module: m.dll }, action: owner, owner: windows }\n");
        Write("site.d/20-second.yml", "rules:\n  - { id: r2, match: { module: n.dll }, action: owner, owner: crt }\n");
        var last = Write("last.yaml", "rules:\n  - { id: r, match: { module: m.dll }, action: owner, owner: php-core }\n");
        var catalog = RuleCatalog.Load([folder, last]);
        Assert.That(catalog.Diagnostics, Is.Empty);
        Assert.That(catalog.Files.Where(f => !f.StartsWith("builtin/")).Select(Path.GetFileName),
            Is.EqualTo(new[] { "10-first.yaml", "20-second.yml", "last.yaml" }));
        Assert.That(Walk(catalog, "m!f").Owner!.Id, Is.EqualTo("php-core"));
        Assert.That(catalog.Rules.Single(r => r.Id == "r").Layer, Is.EqualTo(2));
    }

    [Test]
    public void WithoutTheBuiltInCatalogOnlyTheUserFilesLoad()
    {
        var site = Write("alone.yaml", "owners:\n  - { id: o, name: O, category: application }\nrules:\n  - { id: r, match: { module: m.dll }, action: owner, owner: o }\n");
        var catalog = RuleCatalog.Load([site], includeBuiltIn: false);
        Assert.That(catalog.Rules.Select(r => r.Id), Is.EqualTo(new[] { "r" }));
        var broken = RuleCatalog.Load([Write("ref.yaml", "rules:\n  - { id: r, match: { module: m.dll }, action: owner, owner: php-core }\n")], includeBuiltIn: false);
        Assert.That(broken.Diagnostics.Single().Message, Is.EqualTo("unknown owner 'php-core' in rule 'r'"));
    }
}
