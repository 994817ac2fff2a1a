using FcgiExt.Cli.Commands;
using FcgiExt.RulesEngine.Catalog;
using NUnit.Framework;

namespace FcgiExt.Tests.Catalog;

/// <summary>One layering order for every front end: built-in, extension folder, FCGIEXT_RULES, dump folders, given.</summary>
[NonParallelizable] // some tests set FCGIEXT_RULES for this process
public class CatalogLayersTests
{
    string dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(dir = Path.Combine(Path.GetTempPath(), "fcgi-layers-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown()
    {
        Environment.SetEnvironmentVariable(CatalogLayers.EnvironmentVariable, null);
        Directory.Delete(dir, recursive: true);
    }

    string Yaml(string relative, string text = "owners: []\n")
    {
        var path = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Test]
    public void Layers_come_in_the_documented_order_with_their_sources()
    {
        var extRules = Path.GetDirectoryName(Yaml("ext/rules/a.yaml"))!;
        var env1 = Yaml("env1.yaml");
        var env2 = Yaml("env2.yaml");
        var dumpRules = Path.GetDirectoryName(Yaml("dumps/rules/site.yml"))!;
        var given = Yaml("given.yaml");
        var plan = CatalogLayers.Plan(env1 + Path.PathSeparator + " " + env2 + " ", [Path.Combine(dir, "dumps")], [given],
            extensionFolder: Path.Combine(dir, "ext"));
        Assert.That(plan.Select(l => (l.Path, l.Source)), Is.EqualTo(new[]
        {
            (extRules, CatalogLayerSource.ExtensionFolder), (env1, CatalogLayerSource.Environment), (env2, CatalogLayerSource.Environment),
            (dumpRules, CatalogLayerSource.DumpFolder), (given, CatalogLayerSource.Given),
        }));
        Assert.That(plan[1].Describe(), Is.EqualTo($"{env1} (FCGIEXT_RULES)"));
    }

    [Test]
    public void A_rules_folder_without_yaml_and_a_file_named_twice_add_nothing()
    {
        Directory.CreateDirectory(Path.Combine(dir, "dumps", "rules"));
        File.WriteAllText(Path.Combine(dir, "dumps", "rules", "README.txt"), "not a catalog");
        var site = Yaml("site.yaml");
        var plan = CatalogLayers.Plan(site, [Path.Combine(dir, "dumps"), Path.Combine(dir, "no-such-folder")],
            [site, site + "/../site.yaml"]);
        Assert.That(plan.Select(l => l.Source), Is.EqualTo(new[] { CatalogLayerSource.Environment }),
            "a file given again keeps its first place; loading it twice would make each rule a duplicate");
    }

    const string SiteCatalog = """
        owners:
          - id: our-team
            name: Our PHP team
            category: application
        rules:
          - id: our-xdebug-build
            match: { module: php_xdebug*.dll }
            action: owner
            owner: our-team
        """;

    [Test]
    public void Stack_text_triage_honours_FCGIEXT_RULES_and_says_so()
    {
        var site = Yaml("site.yaml", SiteCatalog);
        Environment.SetEnvironmentVariable(CatalogLayers.EnvironmentVariable, site);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = TriageCommand.Run(Fixture("synthetic-windbg-x64-session-xdebug.txt"), "json", [], false, null, stdout, stderr);
        Assert.That(code, Is.EqualTo(0), stderr.ToString());
        using var doc = System.Text.Json.JsonDocument.Parse(stdout.ToString());
        Assert.That(doc.RootElement.GetProperty("verdict").GetProperty("owner").GetString(), Is.EqualTo("Our PHP team"));
        Assert.That(stderr.ToString(), Does.Contain($"fcgi triage: using the site catalog {site} (FCGIEXT_RULES)"));
    }

    [Test]
    public void Rules_verbs_honour_FCGIEXT_RULES_and_take_rules()
    {
        var site = Yaml("site.yaml", SiteCatalog);
        Environment.SetEnvironmentVariable(CatalogLayers.EnvironmentVariable, site);
        var listed = new StringWriter();
        RulesCommand.RunList([], includeBuiltIn: true, owners: true, listed);
        Assert.That(listed.ToString(), Does.Contain("our-team"));
        var explained = new StringWriter();
        RulesCommand.RunExplain(["php_xdebug!xdebug_execute_ex"], [], true, null, null, explained);
        Assert.That(explained.ToString(), Does.Contain("our-xdebug-build"));

        Environment.SetEnvironmentVariable(CatalogLayers.EnvironmentVariable, null);
        foreach (var args in new[]
                 {
                     new[] { "rules", "list", "--owners", "--rules", site }, ["rules", "explain", "--catalog", site, "php_xdebug!f"],
                     ["rules", "explain", "-c", site, "php_xdebug!f"], ["rules", "explain", "--rules", site, "php_xdebug!f"],
                 })
        {
            var parse = new System.CommandLine.RootCommand { RulesCommand.Create() }.Parse(args);
            Assert.That(parse.Errors, Is.Empty, string.Join(" ", args));
            var saved = Console.Out;
            var captured = new StringWriter();
            Console.SetOut(captured);
            try { parse.Invoke(); }
            finally { Console.SetOut(saved); }
            Assert.That(captured.ToString(), Does.Contain(args[1] == "list" ? "our-team" : "our-xdebug-build"), string.Join(" ", args));
        }
    }

    [Test]
    public void The_old_catalog_option_of_explain_is_hidden_from_help()
    {
        var explain = RulesCommand.Create().Subcommands.Single(c => c.Name == "explain");
        Assert.That(explain.Options.Single(o => o.Name == "--catalog").Hidden, Is.True);
        Assert.That(explain.Options.Single(o => o.Name == "--rules").Hidden, Is.False);
    }

    static string Fixture(string name) =>
        Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "text", name);
}
