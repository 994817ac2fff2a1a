using System.Text.Json.Nodes;
using FcgiExt.Extension.Hosting;
using RendererDml = FcgiExt.RulesEngine.Rendering.Dml;
using NUnit.Framework;
using Dbg = FcgiExt.DbgEng.DbgEng;

namespace FcgiExt.Tests.Extension;

/// <summary>Options as WinDbg users type them (/D for DML, any case), the DML report's step links, and the
/// !fcgirules summary.</summary>
public class CommandOptionTests
{
    [SetUp] public void ResetState() => ExtensionState.Reset();

    static string Dml(FakeEngine e) =>
        string.Concat(e.Output.Where(o => o.OutputControl == Dbg.DEBUG_OUTCTL_AMBIENT_DML).Select(o => o.Text));

    [TestCase("/D -offline")]
    [TestCase("/d -offline")]
    [TestCase("-dml -offline")]
    [TestCase("-offline /D")]
    public void Slash_D_gives_DML_although_the_engine_does_not_prefer_it(string args)
    {
        var e = FakeEngine.PhpXdebugCrash();
        Assert.That(e.PreferDml, Is.False);
        Assert.That(ExportCalls.Fcgi(e, args), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.Output.Where(o => o.Mask == Dbg.DEBUG_OUTPUT_NORMAL).Select(o => o.OutputControl).Distinct(),
            Is.EqualTo(new[] { Dbg.DEBUG_OUTCTL_AMBIENT_DML }));
        Assert.That(Dml(e), Does.Contain("<b>").And.Contain("Xdebug"), "markup, and the report itself");
    }

    [Test]
    public void Every_next_step_command_the_renderer_allows_is_a_link_and_no_other_is()
    {
        var json = FakeEngine.PhpXdebugCrash();
        ExportCalls.Fcgi(json, "-json -offline");
        var commands = JsonNode.Parse(json.AllText)!["next_steps"]!.AsArray()
            .Select(s => s!["command"]?.GetValue<string>()).OfType<string>().ToList();
        Assert.That(commands.Where(RendererDml.IsRendererCommand), Is.Not.Empty, "the scenario has linkable steps");

        var e = FakeEngine.PhpXdebugCrash();
        Assert.That(ExportCalls.Fcgi(e, "/D -offline"), Is.EqualTo(Dbg.S_OK));
        string dml = Dml(e);
        foreach (var c in commands)
        {
            string link = $"<exec cmd=\"{RendererDml.Escape(c)}\">";
            if (RendererDml.IsRendererCommand(c)) Assert.That(dml, Does.Contain(link), c);
            else Assert.That(dml, Does.Not.Contain(link).And.Contain(RendererDml.Escape(c)), c);
        }
        var links = System.Text.RegularExpressions.Regex.Matches(dml, "<exec cmd=\"([^\"]*)\">").Select(m => m.Groups[1].Value).ToList();
        Assert.That(links, Is.Not.Empty);
        Assert.That(links.Select(System.Net.WebUtility.HtmlDecode), Has.All.Matches<string>(RendererDml.IsRendererCommand),
            "nothing but the renderer's own commands becomes a link");
    }

    [Test]
    public void Options_are_case_insensitive()
    {
        var e = FakeEngine.PhpXdebugCrash();
        Assert.That(ExportCalls.Fcgi(e, "-JSON -Offline"), Is.EqualTo(Dbg.S_OK));
        Assert.That(JsonNode.Parse(e.AllText)!["verdict"]!["owner"]!.GetValue<string>(), Is.EqualTo("Xdebug"));
        Assert.That(e.SymbolPath, Does.Not.Contain("msdl"), "-Offline is -offline");

        var v = FakeEngine.PhpXdebugCrash();
        Assert.That(ExportCalls.Fcgi(v, "/V /OFFLINE"), Is.EqualTo(Dbg.S_OK));
        Assert.That(v.AllText, Does.Contain("Explanation"));

        var y = FakeEngine.PhpXdebugCrash();
        Assert.That(ExportCalls.FcgiSym(y, @"-OFFLINE -Y C:\Debug\Pack"), Is.EqualTo(Dbg.S_OK));
        Assert.That(y.SymbolPath, Does.Contain(@"C:\Debug\Pack"), "a value keeps its case");
    }

    [Test]
    public void Help_and_usage_mention_slash_D()
    {
        var e = FakeEngine.PhpXdebugCrash();
        Assert.That(ExportCalls.Fcgi(e, "-?"), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.AllText, Does.Contain("/D"));
        var h = FakeEngine.PhpXdebugCrash();
        Assert.That(ExportCalls.Help(h, "/D"), Is.EqualTo(Dbg.S_OK));
        Assert.That(Dml(h), Does.Contain("<b>FcgiExt"));
        Assert.That(ExportCalls.Help(FakeEngine.PhpXdebugCrash(), "-bogus"), Is.EqualTo(Dbg.E_INVALIDARG));
    }

    [Test]
    public void Bare_fcgirules_prints_a_summary_not_every_rule()
    {
        var e = FakeEngine.PhpXdebugCrash();
        Assert.That(ExportCalls.FcgiRules(e, ""), Is.EqualTo(Dbg.S_OK));
        string text = e.AllText;
        Assert.That(text, Does.Match(@"FcgiExt rules catalog: \d+ rules, \d+ owners, \d+ files \(\d+ built-in, 0 site\)"));
        Assert.That(text, Does.Match(@"builtin/php-extensions\.yaml  \(\d+ rules, \d+ owners\)"));
        Assert.That(text, Does.Contain("Site catalogs: none"));
        Assert.That(text, Does.Contain("!fcgirules -list").And.Contain("!fcgirules -owners").And.Contain("!fcgirules -load <file>")
            .And.Contain("!fcgirules -explain"));
        Assert.That(text, Does.Not.Contain("xdebug-any"), "rule ids are behind -list");
        Assert.That(text.Split('\n').Length, Is.LessThan(40), "a screenful");
    }

    [Test]
    public void Fcgirules_list_and_owners_keep_the_long_listings()
    {
        var e = FakeEngine.PhpXdebugCrash();
        Assert.That(ExportCalls.FcgiRules(e, "-list"), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.AllText, Does.Contain("xdebug-any").And.Contain("-> xdebug"));
        var o = FakeEngine.PhpXdebugCrash();
        Assert.That(ExportCalls.FcgiRules(o, "-OWNERS"), Is.EqualTo(Dbg.S_OK));
        Assert.That(o.AllText, Does.Match(@"(?m)^  xdebug +Xdebug +php-extension +https://bugs\.xdebug\.org/"));
        Assert.That(ExportCalls.FcgiRules(FakeEngine.PhpXdebugCrash(), "-list extra"), Is.EqualTo(Dbg.E_INVALIDARG));
        Assert.That(ExportCalls.FcgiRules(FakeEngine.PhpXdebugCrash(), "-bogus"), Is.EqualTo(Dbg.E_INVALIDARG));
    }

    [Test]
    public void The_summary_names_a_site_catalog_loaded_this_session()
    {
        var dir = Path.Combine(Path.GetTempPath(), "fcgiext-summary-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        try
        {
            var site = Path.Combine(dir, "site.yaml");
            File.WriteAllText(site, """
                owners:
                  - id: our-team
                    name: Our PHP team
                    category: application
                rules:
                  - id: site-ours
                    match: { module: "php_ours*" }
                    action: owner
                    owner: our-team
                """);
            Assert.That(ExportCalls.FcgiRules(FakeEngine.PhpXdebugCrash(), $"-load {site}"), Is.EqualTo(Dbg.S_OK));
            var e = FakeEngine.PhpXdebugCrash();
            Assert.That(ExportCalls.FcgiRules(e, "/D"), Is.EqualTo(Dbg.S_OK));
            string text = Dml(e);
            Assert.That(text, Does.Contain(", 1 site)"));
            Assert.That(text, Does.Contain($"{site}  (1 rule, 1 owner)"));
            Assert.That(text, Does.Contain("Site catalogs:\n  " + site));
        }
        finally { Directory.Delete(dir, true); }
    }
}
