using System.Text.Json;
using FcgiExt.Cli;
using Json.Schema;
using NUnit.Framework;

namespace FcgiExt.IisConfig.Tests;

/// <summary>`fcgi iis check` in process, through the same entry point as the `fcgi` executable: exit codes, the text
/// report's width, the JSON against docs/iis-check.schema.json, and one line for a broken file.</summary>
public class IisCheckCommandTests
{
    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = FcgiCli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "iis-check.schema.json"))));

    static EvaluationResults Validate(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return Schema.Value.Evaluate(doc.RootElement.Clone(), new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    static string Errors(EvaluationResults r) => string.Join("\n", (r.Details ?? []).Where(d => d.Errors is { Count: > 0 })
        .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    [Test]
    public void The_php_manager_install_exits_0()
    {
        var r = Run("iis", "check", Fixture.Config("default"), "--php-ini", Fixture.PhpIni("default"));
        Assert.That(r.Code, Is.EqualTo(0), r.Out + r.Err);
        Assert.That(r.Err, Is.Empty);
        Assert.That(r.Out, Does.Contain("info rapid-fail-protection").And.EndWith("0 errors, 0 warnings, 1 remark\n"));
    }

    [Test]
    public void Findings_exit_1_and_the_text_fits_100_columns()
    {
        var r = Run("iis", "check", Fixture.Config("rapid-fail-protection"), "--php-ini", Fixture.PhpIni("rapid-fail-protection"));
        Assert.That(r.Code, Is.EqualTo(1), r.Err);
        Assert.That(r.Out, Does.Contain("error recycle-race: IIS expects more requests than php-cgi serves"));
        var lines = r.Out.TrimEnd('\n').Split('\n');
        // A single word longer than a line (a long path of this checkout, a quoted appcmd argument) cannot be wrapped;
        // everything else fits.
        Assert.That(lines.Where(l => l.Length > 100 && !OneToken(l)), Is.Empty);
        // Broken command lines end in cmd's ^ and join back into the JSON's command.
        int add = Array.FindIndex(lines, l => l.TrimStart().StartsWith("/+\"[fullPath=", StringComparison.Ordinal));
        Assert.That(add, Is.GreaterThan(0), r.Out);
        var cmd = lines[(add - 1)..(add + 1)];
        Assert.That(cmd[0], Does.EndWith(" ^"));
        var joined = cmd[0].Trim()[..^2] + " " + cmd[1].Trim();
        var json = Run("iis", "check", Fixture.Config("rapid-fail-protection"), "--php-ini", Fixture.PhpIni("rapid-fail-protection"),
            "--format", "json");
        using var doc = JsonDocument.Parse(json.Out);
        var fixes = doc.RootElement.GetProperty("findings").EnumerateArray().SelectMany(f => f.GetProperty("fix").EnumerateArray())
            .Select(f => f.GetString()).ToList();
        Assert.That(fixes, Does.Contain(joined));
    }

    /// <summary>One word as cmd.exe splits them: no space outside double quotes (a trailing continuation ^ aside).</summary>
    static bool OneToken(string line)
    {
        var t = line.Trim();
        if (t.EndsWith(" ^", StringComparison.Ordinal)) t = t[..^2];
        bool quoted = false;
        foreach (char c in t)
        {
            if (c == '"') quoted = !quoted;
            else if (c == ' ' && !quoted) return false;
        }
        return true;
    }

    [Test]
    public void Json_follows_the_documented_schema()
    {
        foreach (var name in new[] { "default", "rapid-fail-protection", "handler-without-application", "protocol" })
        {
            var args = new List<string> { "iis", "check", Fixture.Config(name), "--format", "json" };
            if (name != "default") args.AddRange(["--php-ini", Fixture.PhpIni(name)]);
            var r = Run([.. args]);
            Assert.That(r.Code, Is.EqualTo(name is "default" or "protocol" ? 0 : 1), r.Err);
            var result = Validate(r.Out);
            Assert.That(result.IsValid, Is.True, $"{name}: {Errors(result)}");
        }
        var bad = Run("iis", "check", Fixture.Config("default"), "--format", "json").Out.Replace("\"info\"", "\"notice\"");
        Assert.That(Validate(bad).IsValid, Is.False, "the schema rejects an unknown severity");
    }

    [Test]
    public void Json_carries_the_findings_whole()
    {
        var r = Run("iis", "check", Fixture.Config("recycle-race"), "--php-ini", Fixture.PhpIni("recycle-race"), "--format", "json");
        using var doc = JsonDocument.Parse(r.Out);
        var race = doc.RootElement.GetProperty("findings").EnumerateArray().First(f => f.GetProperty("id").GetString() == "recycle-race");
        Assert.That(race.GetProperty("severity").GetString(), Is.EqualTo("error"));
        Assert.That(race.GetProperty("line").GetInt32(), Is.EqualTo(48));
        Assert.That(race.GetProperty("application").GetString(), Is.EqualTo(@"C:\Program Files\PHP\v8.2\php-cgi.exe"));
        Assert.That(race.GetProperty("source").GetString(), Does.StartWith("https://blogs.iis.net/rickjames/"));
        var pool = doc.RootElement.GetProperty("applications")[0].GetProperty("php_ini");
        Assert.That(pool.GetProperty("found_by").GetString(), Is.EqualTo("PHPRC"));
        Assert.That(pool.GetProperty("given").GetBoolean(), Is.True);
        Assert.That(doc.RootElement.GetProperty("counts").GetProperty("error").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public void Web_configs_are_checked_too()
    {
        const string name = "handler-without-application";
        var r = Run("iis", "check", Fixture.Config(name), "--web-config", Path.Combine(Fixture.Dir(name), "web.config"),
            "--php-ini", Fixture.PhpIni(name));
        Assert.That(r.Code, Is.EqualTo(1));
        Assert.That(r.Out, Does.Contain("PHP74_via_FastCGI"));
    }

    [Test]
    public void A_malformed_file_is_one_line_and_exit_2()
    {
        var xml = Run("iis", "check", Fixture.Config("malformed"));
        Assert.That(xml.Code, Is.EqualTo(2));
        Assert.That(xml.Out, Is.Empty);
        Assert.That(xml.Err.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1));
        Assert.That(xml.Err, Does.StartWith($"{Fixture.Config("malformed")}:6:97: "));

        var ini = Run("iis", "check", Fixture.Config("default"), "--php-ini", Fixture.PhpIni("malformed"), "--format", "json");
        Assert.That(ini.Code, Is.EqualTo(2));
        Assert.That(ini.Out, Is.Empty, "no half report");
        Assert.That(ini.Err, Is.EqualTo($"{Fixture.PhpIni("malformed")}:4:13: quoted value without its closing \"\n"));
    }

    [Test]
    public void Usage_errors_exit_2()
    {
        var missing = Run("iis", "check", "/nonexistent/applicationHost.config");
        Assert.That(missing.Code, Is.EqualTo(2));
        Assert.That(missing.Err, Does.Contain("fcgi iis check: /nonexistent/applicationHost.config: no such file or folder"));
        var format = Run("iis", "check", Fixture.Config("default"), "--format", "xml");
        Assert.That(format.Code, Is.EqualTo(2));
        Assert.That(format.Err, Does.Contain("Usage: fcgi iis check [<applicationHost.config>] [options]"));
        var group = Run("iis");
        Assert.That((group.Code, group.Err.Split('\n')[0]), Is.EqualTo((2, "fcgi iis: give a command")));
    }

    [Test]
    public void Without_a_file_off_windows_it_asks_for_one()
    {
        if (OperatingSystem.IsWindows()) Assert.Ignore("the default applicationHost.config exists on Windows");
        var r = Run("iis", "check");
        Assert.That(r.Code, Is.EqualTo(2));
        Assert.That(r.Out, Is.Empty);
        Assert.That(r.Err, Does.StartWith("fcgi iis check: name the applicationHost.config to check")
            .And.Contain(@"%windir%\System32\inetsrv\config\applicationHost.config"));
    }

    [Test]
    public void Help_describes_the_command()
    {
        var r = Run("iis", "check", "--help");
        Assert.That(r.Code, Is.EqualTo(0));
        Assert.That(r.Out, Does.Contain("--web-config").And.Contain("--php-ini").And.Contain("appcmd").And.Contain("file:line:col"));
    }
}
