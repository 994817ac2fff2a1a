using FcgiExt.Cli;
using NUnit.Framework;

namespace FcgiExt.Tests.Cli;

/// <summary>README: "Exit codes: … 2 usage error". Every usage error exits 2 with the error and a short usage on stderr
/// and nothing on stdout; --help still prints the help and exits 0.</summary>
public class CliUsageTests
{
    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = FcgiCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    static void AssertUsageError((int Code, string Out, string Err) r, string error, string usage)
    {
        Assert.That(r.Code, Is.EqualTo(2), r.Err);
        Assert.That(r.Out, Is.Empty, "usage errors go to stderr only");
        var lines = r.Err.TrimEnd().Split('\n');
        Assert.That(lines, Does.Contain(error));
        Assert.That(lines.Where(l => l.StartsWith("Usage: ", StringComparison.Ordinal)).ToList(),
            Is.EqualTo(new[] { $"Usage: {usage}" }), "one short usage line");
        Assert.That(lines, Has.Length.LessThanOrEqualTo(4), "short: not the whole help");
    }

    [Test]
    public void Explain_without_a_code()
    {
        AssertUsageError(Run("explain"), "fcgi explain: Required argument missing for command: 'explain'.",
            "fcgi explain <code>... [options]   (fcgi explain --help says more)");
    }

    [Test]
    public void An_unknown_option_given_where_a_code_or_path_goes()
    {
        AssertUsageError(Run("explain", "--bogus"), "fcgi explain: Unrecognized option '--bogus'.",
            "fcgi explain <code>... [options]   (fcgi explain --help says more)");
        AssertUsageError(Run("triage", "--bogus", "TestDumps"), "fcgi triage: Unrecognized option '--bogus'.",
            "fcgi triage [<paths>...] [options]   (fcgi triage --help says more)");
        AssertUsageError(Run("rules", "lint", "-x"), "fcgi rules lint: Unrecognized option '-x'.",
            "fcgi rules lint [<paths>...] [options]   (fcgi rules lint --help says more)");
    }

    [Test]
    public void A_negative_code_is_not_an_option()
    {
        var r = Run("explain", "-1073741819");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.StartWith("0xc0000005 = -1073741819"));
    }

    [Test]
    public void An_unknown_or_missing_command()
    {
        var commands = "Commands: triage, explain, rules, engine";
        var bogus = Run("bogus");
        AssertUsageError(bogus, "fcgi: unknown command 'bogus'", "fcgi <command> [options]   (fcgi --help says more)");
        Assert.That(bogus.Err, Does.Contain(commands));
        var none = Run();
        AssertUsageError(none, "fcgi: give a command", "fcgi <command> [options]   (fcgi --help says more)");
        Assert.That(none.Err, Does.Contain(commands));
        AssertUsageError(Run("rules", "bogus"), "fcgi rules: unknown command 'bogus'",
            "fcgi rules <command> [options]   (fcgi rules --help says more)");
        AssertUsageError(Run("--bogus"), "fcgi: unknown option '--bogus'", "fcgi <command> [options]   (fcgi --help says more)");
    }

    [Test]
    public void Option_values_the_parser_rejects()
    {
        AssertUsageError(Run("triage", "--format", "pdf", "x.dmp"),
            "fcgi triage: Argument 'pdf' not recognized. Must be one of: 'text', 'json', 'markdown', 'html'",
            "fcgi triage [<paths>...] [options]   (fcgi triage --help says more)");
        AssertUsageError(Run("triage", "-j", "many", "x.dmp"),
            "fcgi triage: Cannot parse argument 'many' for option '-j' as a whole number.",
            "fcgi triage [<paths>...] [options]   (fcgi triage --help says more)");
        AssertUsageError(Run("engine"), "fcgi engine: Option '--commands' is required.",
            "fcgi engine <dump> --commands <commands> [options]   (fcgi engine --help says more)");
    }

    [Test]
    public void Triage_with_nothing_to_triage()
    {
        AssertUsageError(Run("triage"),
            "fcgi triage: give dumps or folders of dumps, or --stack-text <file> with debugger output",
            "fcgi triage [<paths>...] [options]   (fcgi triage --help says more)");
    }

    [Test]
    public void Triage_of_paths_that_do_not_exist_stops_before_any_engine()
    {
        var missing = Path.Combine(Path.GetTempPath(), "fcgi-no-such-" + Guid.NewGuid().ToString("N"));
        AssertUsageError(Run("triage", missing), $"fcgi triage: {missing}: no such file or folder",
            "fcgi triage [<paths>...] [options]   (fcgi triage --help says more)");
        AssertUsageError(Run("triage", "--stack-text", missing), $"fcgi triage: {missing}: no such file",
            "fcgi triage [<paths>...] [options]   (fcgi triage --help says more)");
    }

    [Test]
    public void Catalog_and_corpus_paths_that_do_not_exist()
    {
        var missing = Path.Combine(Path.GetTempPath(), "fcgi-no-such-" + Guid.NewGuid().ToString("N"));
        AssertUsageError(Run("rules", "lint", missing), $"fcgi rules lint: {missing}: no such file or folder",
            "fcgi rules lint [<paths>...] [options]   (fcgi rules lint --help says more)");
        AssertUsageError(Run("triage", "--rules", missing, "--stack-text", missing), $"fcgi triage: {missing}: no such file or folder",
            "fcgi triage [<paths>...] [options]   (fcgi triage --help says more)");
        AssertUsageError(Run("rules", "import-triage-ini", missing), $"fcgi rules import-triage-ini: {missing}: no such file or folder",
            "fcgi rules import-triage-ini <file> [options]   (fcgi rules import-triage-ini --help says more)");
        var diff = Run("rules", "diff", missing + "-old", missing + "-new", "--corpus", missing + "-corpus");
        Assert.That(diff.Code, Is.EqualTo(2));
        foreach (var part in new[] { "-old", "-new", "-corpus" })
            Assert.That(diff.Err, Does.Contain($"fcgi rules diff: {missing}{part}: no such file or folder\n"));
    }

    [Test]
    public void Explain_of_something_that_is_no_code()
    {
        AssertUsageError(Run("explain", "hello"), "fcgi explain: " + ExplainError("hello"),
            "fcgi explain <code>... [options]   (fcgi explain --help says more)");
    }

    static string ExplainError(string input)
    {
        FcgiExt.RulesEngine.Triage.ExitCodeExplainer.TryParse(input, out _, out _, out string error);
        return error;
    }

    [Test]
    public void Help_is_not_an_error_and_says_what_each_format_is()
    {
        var r = Run("triage", "--help");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Err, Is.Empty);
        string help = string.Join(' ', r.Out.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries));
        Assert.That(help, Does.Contain("text: for a terminal").And.Contain("json: for scripts, the envelope of docs/batch.schema.json")
            .And.Contain("markdown: to paste into an issue").And.Contain("html: a self-contained page"));
    }
}
