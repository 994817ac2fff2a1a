using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FcgiExt.Cli.Engine;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.Integration.Tests;

/// <summary>
/// What only the real engine shows about the extension: `!fcgi -json` is the whole output although dbgeng prints its
/// "Symbol Loading Error Summary" and warnings while symbols load; !fcgi reloads only when it must and a second !fcgi
/// reloads nothing; the DML form's next steps are &lt;exec&gt; links as WinDbg's window receives them.
/// </summary>
[Category("Integration")]
[NonParallelizable]
public class ExtensionSymbolsAndDmlTests
{
    ExtensionSession _session = null!;

    [OneTimeSetUp]
    public void Build()
    {
        ExtensionSession.BuildDllIfStale();
        _session = new ExtensionSession();
    }

    [OneTimeTearDown]
    public void Stop() => _session.Dispose();

    static Scenario Scenario(string name) => Integration.Tests.Scenario.Load(Path.Combine(TestPaths.Scenarios, name, "expected.yaml"));

    static string Load => $".load {ExtensionSession.WineDll}";

    /// <summary>The one line step 1 prints about the session's symbols.</summary>
    static string SymbolLine(string text)
    {
        var m = Regex.Match(text, @"\[1\] Symbol set-up\n  (.*)\n");
        Assert.That(m.Success, Is.True, text);
        return m.Groups[1].Value;
    }

    [TestCase("xdebug-null-write")]
    [TestCase("ruby-mysql2-thread")]
    public void Fcgi_json_is_the_whole_output_even_when_the_engine_reports_symbol_errors(string name)
    {
        var s = Scenario(name);
        string extra = TestPaths.TempDir();
        // The second session adds a path element: the whole `.reload` then runs inside !fcgi -json.
        foreach (var args in new[] { "-json -offline", $"-json -offline -y {WineRunner.ToWinePath(extra)}" })
        {
            var parts = _session.Run(s.Dump, s.Folder, ("LOAD", Load), ("JSON", $"!fcgi {args}"), ("RELOAD", ".reload /f"));
            Assert.That(parts["RELOAD"], Does.Contain("Symbol Loading Error Summary"),
                "the engine does print a summary for these modules when nobody mutes it");
            Assert.That(() => JsonNode.Parse(parts["JSON"]), Throws.Nothing, $"!fcgi {args} printed more than JSON:\n{parts["JSON"]}");
            Assert.That(JsonNode.Parse(parts["JSON"])!["verdict"]!["owner"]!.GetValue<string>(), Is.EqualTo(s.MinidumpOwner));
        }
    }

    [Test]
    public void A_fresh_session_loads_deferred_symbols_without_a_reload_and_a_second_fcgi_touches_nothing()
    {
        var s = Scenario("xdebug-null-write");
        var parts = _session.Run(s.Dump, s.Folder, ("LOAD", Load), ("FIRST", "!fcgi -offline"), ("SECOND", "!fcgi -offline"),
            ("LM", "lm"), ("RULES", "!fcgirules"));
        Assert.That(SymbolLine(parts["FIRST"]),
            Does.StartWith("symbol path unchanged").And.Contain("; no reload; loaded the deferred symbols of"));
        Assert.That(SymbolLine(parts["SECOND"]), Does.StartWith("symbol path unchanged").And.EndWith("; no reload"));
        Assert.That(parts["LM"], Does.Not.Contain("(deferred)"), "every module has its real status");
        Assert.That(parts["LM"], Does.Contain("(private pdb symbols)"), "the PDBs the first load found stay loaded");
        Assert.That(parts["RULES"], Does.Match(@"FcgiExt rules catalog: \d+ rules, \d+ owners, \d+ files"));
        Assert.That(parts["RULES"], Does.Contain("!fcgirules -list").And.Not.Contain("xdebug-any"));
    }

    [Test]
    public void Faulting_stack_modules_loaded_without_symbols_before_fcgi_are_retried_once()
    {
        var s = Scenario("xdebug-null-write");
        // The user loaded everything first: ntdll and kernel32 (Wine's, on the stack) have export symbols only.
        var parts = _session.Run(s.Dump, s.Folder, ("LOAD", Load), ("USER", ".reload /f"), ("FIRST", "!fcgi -offline"),
            ("SECOND", "!fcgi -offline"));
        string first = SymbolLine(parts["FIRST"]);
        Assert.That(first, Does.StartWith("symbol path unchanged").And.EndWith("(on the faulting stack without symbols)"));
        Assert.That(first, Does.Contain("ntdll.dll").And.Contain("kernel32.dll").And.Not.Contain("php8ts.dll"),
            "only modules lacking symbols");
        Assert.That(SymbolLine(parts["SECOND"]), Does.EndWith("; no reload"));
    }

    [Test]
    public void An_added_folder_is_appended_reloaded_once_and_kept()
    {
        var s = Scenario("xdebug-null-write");
        string folder = WineRunner.ToWinePath(TestPaths.TempDir());
        var parts = _session.Run(s.Dump, s.Folder, ("LOAD", Load), ("FIRST", $"!fcgi -offline -y {folder}"),
            ("SECOND", $"!fcgi -offline -y {folder}"));
        Assert.That(SymbolLine(parts["FIRST"]), Does.StartWith($"symbol path: added {folder} (-y)").And.EndWith("; reloaded"));
        // Unchanged the second time: the engine's path holds the folder now (.sympath cannot be asked here: it would
        // take the rest of the command line as the new path).
        Assert.That(SymbolLine(parts["SECOND"]), Does.StartWith("symbol path unchanged").And.EndWith("; no reload"));
        Assert.That(parts["FIRST"], Does.Contain($"  symbol path: {WineRunner.ToWinePathList(s.Folder)};{folder}\n"),
            "the user's path comes first, as it was");
    }

    [Test]
    public void The_dml_form_links_every_next_step_the_renderer_allows()
    {
        var s = Scenario("xdebug-null-write");
        var parts = _session.Run(s.Dump, s.Folder, dml: true, ("LOAD", Load), ("JSON", "!fcgi -json -offline"),
            ("SLASH_D", "!fcgi /D -offline"), ("PLAIN", "!fcgi -offline"), ("PREFER", ".prefer_dml 1; !fcgi -offline"));
        var commands = JsonNode.Parse(parts["JSON"])!["next_steps"]!.AsArray()
            .Select(n => n!["command"]?.GetValue<string>()).OfType<string>().Where(Dml.IsRendererCommand).ToList();
        Assert.That(commands, Is.Not.Empty, "the scenario's steps have debugger commands");
        foreach (var form in new[] { "SLASH_D", "PREFER" })
        {
            var links = Regex.Matches(parts[form], "<exec cmd=\"([^\"]*)\">")
                .Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
            Assert.That(links, Is.SupersetOf(commands), $"{form}:\n{parts[form]}");
            Assert.That(links, Has.All.Matches<string>(Dml.IsRendererCommand), "only the renderer's own commands are links");
        }
        Assert.That(parts["PLAIN"], Does.Not.Contain("<exec").And.Not.Contain("<b>"), "without /D or .prefer_dml the text is plain");
    }
}
