using FcgiExt.Cli.Commands;
using NUnit.Framework;

namespace FcgiExt.Tests.Triage;

public class TriageCommandTests
{
    string dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(dir = Path.Combine(Path.GetTempPath(),
        "fcgi-triage-cmd-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    static (int Code, string Out, string Err) Run(string? stackText, string format = "text", string[]? rules = null, string? outFile = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = TriageCommand.Run(stackText, format, rules ?? [], false, outFile, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Test]
    public void Without_stack_text_it_says_what_to_give()
    {
        var r = Run(null);
        Assert.That(r.Code, Is.EqualTo(2));
        Assert.That(r.Err, Does.Contain("--stack-text"));
    }

    [Test]
    public void A_missing_file_is_named_in_one_line()
    {
        var r = Run(Path.Combine(dir, "nope.txt"));
        Assert.That(r.Code, Is.EqualTo(2));
        Assert.That(r.Err.Split('\n')[0], Is.EqualTo($"fcgi triage: {Path.Combine(dir, "nope.txt")}: no such file"));
    }

    [Test]
    public void An_unknown_format_is_a_usage_error()
    {
        var file = Path.Combine(dir, "k.txt");
        File.WriteAllText(file, "x");
        Assert.That(Run(file, "pdf").Code, Is.EqualTo(2));
    }

    [Test]
    public void A_broken_site_catalog_stops_with_its_position()
    {
        var file = Path.Combine(dir, "k.txt");
        File.WriteAllText(file, "x");
        var rules = Path.Combine(dir, "site.yaml");
        File.WriteAllText(rules, "owners:\n  - id: [unclosed\n");
        var r = Run(file, rules: [rules]);
        Assert.That(r.Code, Is.EqualTo(2));
        Assert.That(r.Err, Does.Match(@"site\.yaml:\d+:\d+: "));
        Assert.That(r.Err, Does.Not.Contain("   at "), "no stack trace");
    }

    [Test]
    public void Format_and_verbose_options_parse_with_the_command_line_api()
    {
        var command = TriageCommand.Create();
        // --rules paths must exist (a missing one is a usage error at parse time).
        string x = Path.Combine(dir, "x.yaml"), y = Path.Combine(dir, "y");
        File.WriteAllText(x, "");
        Directory.CreateDirectory(y);
        var parse = command.Parse(["--stack-text", "a.txt", "--format", "json", "-v", "--rules", x, "--rules", y]);
        Assert.That(parse.Errors, Is.Empty);
        Assert.That(parse.GetValue(TriageCommand.FormatOption), Is.EqualTo("json"));
        Assert.That(parse.GetValue(TriageCommand.VerboseOption), Is.True);
        Assert.That(parse.GetValue(TriageCommand.RulesOption), Is.EqualTo(new[] { x, y }));
        Assert.That(command.Parse(["--stack-text", "a.txt", "--rules", Path.Combine(dir, "nope.yaml")]).Errors, Is.Not.Empty);
        Assert.That(command.Parse(["--stack-text", "a.txt", "--format", "pdf"]).Errors, Is.Not.Empty);
    }

    static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "text", name);

    [Test]
    public void Stack_text_to_json_names_the_owner()
    {
        var r = Run(Fixture("synthetic-windbg-x64-session-xdebug.txt"), "json");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Out);
        var verdict = doc.RootElement.GetProperty("verdict");
        Assert.That(verdict.GetProperty("owner").GetString(), Is.EqualTo("Xdebug"));
        Assert.That(verdict.GetProperty("bucket").GetString(),
            Does.StartWith("NULL_POINTER_WRITE_c0000005_php_xdebug_3_3_1_8_3_vs16_x86_64"));
        Assert.That(doc.RootElement.GetProperty("exception").GetProperty("class").GetString(), Is.EqualTo("NULL_POINTER_WRITE"));
    }

    [Test]
    public void Text_markdown_and_html_to_a_file()
    {
        var text = Run(Fixture("php-src-10692-event1000-php8-fastcgi.txt"));
        Assert.That(text.Code, Is.EqualTo(0), text.Err);
        Assert.That(text.Out, Does.Contain("[4] Verdict").And.Contain("PHP core"));
        var md = Run(Fixture("php-src-10692-event1000-php8-fastcgi.txt"), "markdown");
        Assert.That(md.Out, Does.StartWith("# Crash triage: php-cgi.exe"));
        var outFile = Path.Combine(dir, "report.html");
        var html = Run(Fixture("php-src-10692-event1000-php8-fastcgi.txt"), "html", outFile: outFile);
        Assert.That(html.Code, Is.EqualTo(0), html.Err);
        Assert.That(html.Out, Is.Empty);
        Assert.That(File.ReadAllText(outFile), Does.StartWith("<!DOCTYPE html>").And.Contain("ACCESS_VIOLATION_c0000005_php8"));
    }

    [Test]
    public void A_site_catalog_overrides_the_built_in_owner()
    {
        var rules = Path.Combine(dir, "site.yaml");
        File.WriteAllText(rules, """
            owners:
              - id: our-team
                name: Our PHP team
                category: application
                report_url: https://tracker.example/php
            rules:
              - id: our-xdebug-build
                match: { module: php_xdebug*.dll }
                action: owner
                owner: our-team
            """);
        var r = Run(Fixture("synthetic-windbg-x64-session-xdebug.txt"), "json", rules: [rules]);
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Out);
        Assert.That(doc.RootElement.GetProperty("verdict").GetProperty("owner").GetString(), Is.EqualTo("Our PHP team"));
    }

    [Test]
    public void A_text_with_nothing_the_readers_know_is_one_line_on_stderr_and_exit_1()
    {
        var file = Path.Combine(dir, "notes.txt");
        File.WriteAllText(file, "The site was down again this morning.\nI restarted the application pool and it came back.\n");
        var r = Run(file);
        Assert.That(r.Code, Is.EqualTo(TriageCommand.NotTriaged));
        Assert.That(r.Out, Is.Empty, "no NO_EXCEPTION report");
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("fcgi rules:")).ToList();
        Assert.That(lines, Has.Count.EqualTo(1));
        Assert.That(lines[0], Does.Contain(file).And.Contain("expected").And.Contain("!analyze -v"));
    }

    [Test]
    public void A_partly_understood_text_lists_its_skipped_lines_with_v()
    {
        var file = Path.Combine(dir, "k.txt");
        File.WriteAllText(file, string.Join("\n",
            " # Child-SP          RetAddr               Call Site",
            "00 000000a1`2f5fe6f0 00007ffb`3c1b51e2     php8ts!zend_call_function+0x2a1",
            "this line is nothing a debugger prints",
            "01 000000a1`2f5fe760 00007ffb`3d8a0b10     php8ts!zend_execute_scripts+0x10b", ""));
        var stdout = new StringWriter();
        int code = TriageCommand.Run(file, "text", [], true, null, stdout, new StringWriter());
        Assert.That(code, Is.EqualTo(TriageCommand.Ok));
        Assert.That(stdout.ToString(), Does.Contain("this line is nothing a debugger prints"));
    }
}
