using FcgiExt.Cli.Commands;
using FcgiExt.RulesEngine.Calibration;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Calibration;

public class CalibrationTests
{
    string dir = "";

    [SetUp]
    public void SetUp() =>
        Directory.CreateDirectory(dir = Path.Combine(Path.GetTempPath(), "fcgi-calibrate-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    [Test]
    public void No_wrong_high_on_the_project_corpus()
    {
        var errors = new StringWriter();
        var result = RulesCommand.CalibrateCorpus(RulesCommand.DefaultCorpus(TestRepo.Root), [], errors);
        Assert.That(result, Is.Not.Null, errors.ToString());
        var report = Calibrator.Render(result!);
        TestContext.Out.Write(report);
        var cases = result!.Outcomes.Select(o => o.Case).ToList();
        Assert.That(result.Errors, Is.Empty, report);
        Assert.That(cases.Count(c => c.Name.StartsWith("scenario ", StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(10),
            "every TestDumps scenario with engine.txt is in the corpus");
        Assert.That(cases.Count, Is.GreaterThanOrEqualTo(25));
        Assert.That(result.WrongHigh.Select(o => o.Case.Name), Is.Empty, report);
        Assert.That(result.Disagreements.Select(o => (o.Case.Name, o.Confidence)),
            Has.All.Matches<(string, Confidence?)>(d => d.Item2 == Confidence.Low), "every disagreement is at low confidence\n" + report);
    }

    [Test]
    public void A_site_catalog_that_blames_the_wrong_owner_at_high_fails_calibration()
    {
        var root = TestRepo.Root;
        var site = Path.Combine(dir, "wrong.yaml");
        // Xdebug's module handed to "PHP core": every Xdebug case now names the wrong owner, definitely.
        File.WriteAllText(site, """
            rules:
              - id: xdebug-is-core
                match: { module: '/^php_xdebug.*$/i' }
                action: owner
                owner: php-core
            """);
        var output = new StringWriter();
        var errors = new StringWriter();
        int code = RulesCommand.RunCalibrate(RulesCommand.DefaultCorpus(root), [site], output, errors);
        Assert.That(code, Is.EqualTo(1), errors.ToString());
        Assert.That(output.ToString(), Does.Contain("NOT calibrated"));
        Assert.That(output.ToString(), Does.Match(@"\n  high\s+scenario xdebug-null-write: got PHP core"));
    }

    [Test]
    public void The_table_counts_each_level_and_exit_cases_agree_on_no_owner()
    {
        File.WriteAllText(Path.Combine(dir, "exit.txt"), """
            0:000> kn
             # Child-SP          RetAddr               Call Site
            00 00000000`0011fcb0 00000000`7b61aa1a     ntdll!NtTerminateProcess+0x14
            01 00000000`0011fce0 00000002`28297eb8     kernel32!ExitProcess+0xa
            02 00000000`0011fd10 00000001`400014ad     ucrtbase!exit+0x48
            03 00000000`0011fd50 00000001`400014e6     php_cgi!main+0x1d
            """);
        File.WriteAllText(Path.Combine(dir, "cases.yaml"), """
            cases:
              - file: exit.txt
                expected_owner_module: none
                expected_owner: none
            """);
        var result = Calibrator.Run(CalibrationCorpus.Load(dir), RuleCatalog.LoadBuiltIn());
        Assert.That(result.Outcomes.Single().Agrees, Is.True, Calibrator.Render(result));
        Assert.That(Calibrator.Render(result), Does.Contain("all                1      1         0     100%"));
    }

    [Test]
    public void A_broken_corpus_file_is_one_line_naming_it()
    {
        var broken = Path.Combine(dir, "cases.yaml");
        File.WriteAllText(broken, "cases:\n  - file: [unclosed\n");
        var errors = new StringWriter();
        int code = RulesCommand.RunCalibrate([broken], [], new StringWriter(), errors);
        Assert.That(code, Is.EqualTo(2));
        var named = System.Text.RegularExpressions.Regex.Escape(broken);
        Assert.That(errors.ToString().TrimEnd(), Does.Match($@"^fcgi rules calibrate: {named}:\d+:\d+: [^\n]+$"));
    }

    [Test]
    public void A_corpus_file_nested_too_deep_is_one_line_not_a_stack_overflow()
    {
        var file = Path.Combine(dir, "deep.yaml");
        File.WriteAllText(file, "cases: " + new string('[', 10_000) + new string(']', 10_000) + "\n");
        var e = Assert.Throws<InvalidDataException>(() => CalibrationCorpus.Load(file));
        Assert.That(e!.Message, Does.Match("^" + System.Text.RegularExpressions.Regex.Escape(file) + @":1:\d+: nesting deeper than 64$"));
    }
}
