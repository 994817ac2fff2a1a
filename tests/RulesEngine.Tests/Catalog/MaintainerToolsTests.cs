using FcgiExt.Cli.Commands;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;
using NUnit.Framework;

namespace FcgiExt.Tests.Catalog;

/// <summary>`fcgi rules test | explain | list | import-triage-ini` through their library code and CLI entry points.</summary>
public class MaintainerToolsTests
{
    private static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "Catalog", name);

    private static string TempYaml(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fcgi-tools-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    [Test]
    public void RulesTestRunsBuiltInExamplesAndPasses()
    {
        var output = new StringWriter();
        Assert.That(RulesCommand.RunTest([], includeBuiltIn: true, output), Is.EqualTo(0), output.ToString());
        Assert.That(output.ToString(), Does.Match(@"\d+ example\(s\) run, \d+ passed, 0 failed"));
    }

    [Test]
    public void RulesTestPrintsExpectedVersusGotWithTheTrace()
    {
        var file = TempYaml("""
            rules:
              - id: site-xdebug-maybe
                match: { module: 'php_xdebug*.dll' }
                action: maybe
                owner: xdebug
                examples:
                  - frames: [ "php_xdebug!xdebug_execute_ex", "php8ts!execute_ex" ]
                    expect: xdebug
            """);
        try
        {
            var output = new StringWriter();
            Assert.That(RulesCommand.RunTest([file], includeBuiltIn: true, output), Is.EqualTo(1));
            var text = output.ToString();
            Assert.That(text, Does.Contain($"{file}:7:9: example of rule site-xdebug-maybe: expected xdebug, got php-core (rule php-interpreter, owner)"));
            Assert.That(text, Does.Contain("frames: php_xdebug!xdebug_execute_ex | php8ts!execute_ex"));
            Assert.That(text, Does.Contain("#00 php_xdebug!xdebug_execute_ex: maybe-owner Xdebug by rule site-xdebug-maybe"));
            // the site rule also outranks the built-in xdebug-any (same match, later layer), so its example fails too
            Assert.That(text, Does.Contain("example of rule xdebug-any: expected xdebug, got php-core"));
            Assert.That(text, Does.Match(@"\d+ example\(s\) run, \d+ passed, 6 failed"));
        }
        finally { File.Delete(file); }
    }

    [Test]
    public void AnExampleThatNeverReachesItsRuleFails()
    {
        var catalog = RuleCatalog.FromSources([new CatalogSource("x.yaml", """
            owners:
              - { id: a, name: A, category: php-extension }
            rules:
              - id: top
                match: { module: top.dll }
                action: owner
                owner: a
              - id: lower
                match: { module: lower.dll }
                action: ignore
                examples:
                  - { frames: [ "top!f", "lower!g" ], expect: a }
            """, 1)]);
        var result = ExampleRunner.Run(catalog);
        Assert.That(result.Failures.Single().Problem, Does.Contain("rule lower acts on none of the example's frames"));
    }

    [Test]
    public void ExplainShowsTheWinnerTheLosersAndWhy()
    {
        var output = new StringWriter();
        int rc = RulesCommand.RunExplain(["ntdll!RtlpFreeHeap", "php8ts!_efree", "php_xdebug-3.3.1-8.3-vs16-x86_64.dll!xdebug_str_free"],
            [], includeBuiltIn: true, exception: "0xc0000374", process: "php-cgi.exe", output);
        var text = output.ToString();
        Assert.That(rc, Is.EqualTo(0));
        Assert.That(text, Does.Contain("  * win-heap [ignore]"));
        Assert.That(text, Does.Contain("win-ntdll-any [last -> windows]"));
        Assert.That(text, Does.Contain("loses to win-heap: a pattern function beats no function"));
        Assert.That(text, Does.Contain("loses to xdebug-any: its module pattern is longer"));
        Assert.That(text, Does.Contain("(module names: php_xdebug-3.3.1-8.3-vs16-x86_64.dll / php_xdebug_3_3_1_8_3_vs16_x86_64)"));
        Assert.That(text, Does.Contain("=> owner Xdebug (php-extension) from frame #02"));
    }

    [Test]
    public void ExplainRejectsABadExceptionOption()
    {
        var output = new StringWriter();
        Assert.That(RulesCommand.RunExplain(["m!f"], [], true, "0x123", null, output), Is.EqualTo(2));
        Assert.That(output.ToString(), Does.StartWith("--exception: bad exception code '0x123'"));
    }

    [Test]
    public void ListShowsRulesAndOwners()
    {
        var rules = new StringWriter();
        Assert.That(RulesCommand.RunList([], true, owners: false, rules), Is.EqualTo(0));
        Assert.That(rules.ToString(), Does.Contain("xdebug-any").And.Contain("builtin/php-extensions.yaml"));
        var owners = new StringWriter();
        Assert.That(RulesCommand.RunList([], true, owners: true, owners), Is.EqualTo(0));
        Assert.That(owners.ToString(), Does.Contain("injected-avast").And.Contain("injected-third-party"));
    }

    [Test]
    public void ImportTriageIniConvertsEveryDocumentedForm()
    {
        var import = TriageIniImporter.Convert(File.ReadAllText(Fixture("triage.ini")), "triage.ini");
        // the four lines that are not Module[!Function]=Owner are reported with their line numbers
        Assert.That(import.Skipped.Select(d => d.Line), Is.EqualTo(new[] { 34, 35, 36 }));
        Assert.That(import.Skipped[0].ToString(), Does.StartWith("triage.ini:34:1: warning: skipped: not Module[!Function]=Owner"));
        var catalog = RuleCatalog.FromSources([new CatalogSource("imported.yaml", import.Yaml, 1)]);
        Assert.That(catalog.Diagnostics, Is.Empty, import.Yaml);
        var byDescription = catalog.Rules.ToDictionary(r => r.Description!.Split(": ", 2)[1]);
        Assert.Multiple(() =>
        {
            Assert.That(byDescription["default=MachineOwner"].Action, Is.EqualTo(RuleAction.Default));
            Assert.That(byDescription["ntdll!KiUserExceptionDispatcher=ignore"].Action, Is.EqualTo(RuleAction.Ignore));
            Assert.That(byDescription["ntdll!default=last_WindowsTeam"].Action, Is.EqualTo(RuleAction.Last));
            Assert.That(byDescription["ntdll!default=last_WindowsTeam"].Match.Function, Is.Null, "default as a function is a wildcard");
            Assert.That(byDescription["php8ts!_efree=maybe_PhpCore"].Action, Is.EqualTo(RuleAction.Maybe));
            Assert.That(byDescription["ucrtbase=last_Runtime Team"].OwnerId, Is.EqualTo("runtimeteam"), "spaces in owners are ignored");
            Assert.That(byDescription["ntdll!Rtl*Heap*=ignore"].Match.Function!.Kind, Is.EqualTo(PatternKind.Regex),
                "a '*' inside a triage.ini name is literal, so it becomes an anchored regex");
            Assert.That(byDescription["php8ts!zend_mm_*=maybe_PhpCore"].Match.Function!.Text, Is.EqualTo("zend_mm_*"));
        });
        // and the imported catalog walks like triage.ini would
        string? Owner(params string[] frames) => catalog.Walk(FrameText.Crash(frames, null, null).Crash, null).Owner?.Id;
        Assert.That(Owner("ntdll!KiUserExceptionDispatcher", "php_xdebug_3_3_1!xdebug_execute_ex"), Is.EqualTo("devtools"));
        Assert.That(Owner("php8ts!_efree", "php_sqlsrv_83_ts_x64!core_execute"), Is.EqualTo("dataaccess"));
        Assert.That(Owner("php8ts!_efree", "nothing!f"), Is.EqualTo("phpcore"));
        Assert.That(Owner("ntdll!NtClose", "ucrtbase!_wopen"), Is.EqualTo("windowsteam"));
        Assert.That(Owner("unknown!f"), Is.EqualTo("machineowner"));
        Assert.That(Owner("module2!functionC"), Is.EqualTo("person7"));
        // php8ts=PhpCore and php8ts!*=PhpCore say the same thing: lint shows it
        Assert.That(CatalogLinter.Lint(catalog).Select(d => d.Message), Has.Some.Contains("is shadowed by rule 'ini-php8ts'"));
    }

    [Test]
    public void ImportTriageIniCommandWritesYamlAndReportsSkippedLines()
    {
        var outFile = Path.Combine(Path.GetTempPath(), $"fcgi-import-{Guid.NewGuid():N}.yaml");
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            Assert.That(RulesCommand.RunImportTriageIni(Fixture("triage.ini"), outFile, output, error), Is.EqualTo(0));
            Assert.That(File.ReadAllText(outFile), Does.StartWith("# Imported from triage.ini"));
            Assert.That(output.ToString(), Does.Contain("owners,").And.Contain("rules"));
            Assert.That(error.ToString(), Does.Contain("triage.ini:35:1: warning: skipped: not Module[!Function]=Owner: '=NoModule'"));
            var missing = new StringWriter();
            Assert.That(RulesCommand.RunImportTriageIni("/nonexistent/triage.ini", null, output, missing), Is.EqualTo(2));
            Assert.That(missing.ToString(), Does.StartWith("/nonexistent/triage.ini: cannot read:"));
        }
        finally { File.Delete(outFile); }
    }
}
