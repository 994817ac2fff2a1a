using System.Diagnostics;
using System.Text.Json.Nodes;
using FcgiExt.Cli.Batch;
using FcgiExt.Cli.Commands;
using FcgiExt.Cli.Engine;
using NUnit.Framework;

namespace FcgiExt.Integration.Tests;

/// <summary>
/// `fcgi capture -- worker` in the real engine under Wine, on TestDumps workers laid out as installed
/// (TestDumps/live-layout.sh): the live verdict is the scenario's expected.yaml, the full dump is written, and
/// `fcgi triage` of that dump gives the same bucket — the live path and the dump path are one procedure.
/// </summary>
[Category("Integration")]
[NonParallelizable]   // the worker's environment is this process's (the host passes it on)
public class CaptureTests
{
    static readonly string Rules = Path.Combine(TestPaths.TestDumps, "rules", "testdumps.yaml");
    string _dir = "";

    [SetUp]
    public void Make() => _dir = TestPaths.TempDir();

    [TearDown]
    public void Remove() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    /// <summary>Lays the scenario's worker out; returns its environment and its command line with Linux paths.</summary>
    (Dictionary<string, string> Environment, List<string> CommandLine) Layout(string scenario)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(TestPaths.TestDumps, "live-layout.sh"));
        psi.ArgumentList.Add(scenario);
        psi.ArgumentList.Add(Path.Combine(_dir, "server"));
        using var p = Process.Start(psi)!;
        var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, p.StandardError.ReadToEnd());
        var environment = lines[0] == "-" ? new Dictionary<string, string>()
            : lines[0].Split(' ').Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
        var command = lines[1].Split(' ').Select(WineRunner.FromWinePath).ToList();
        return (environment, command);
    }

    List<JsonObject> Capture(string scenario, out int exitCode)
    {
        var (environment, command) = Layout(scenario);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        foreach (var (k, v) in environment) Environment.SetEnvironmentVariable(k, v);
        try
        {
            exitCode = CaptureCommand.Run(new CaptureCommand.CaptureRequest
            {
                CommandLine = command, Out = Path.Combine(_dir, "captures"), Rules = [Rules], Timeout = 120, Format = "json",
            }, stdout, stderr);
        }
        finally
        {
            foreach (var k in environment.Keys) Environment.SetEnvironmentVariable(k, null);
        }
        TestContext.Out.WriteLine(stderr.ToString());
        return stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
    }

    [TestCase("xdebug-null-write", "crash")]
    [TestCase("xdebug-stack-overflow", "crash")]
    [TestCase("mbstring-stack-cookie", "crash")]
    [TestCase("php-max-requests-exit", "exit")]
    public async Task The_live_verdict_is_the_scenarios_and_the_dump_triages_the_same(string name, string kind)
    {
        var expected = Scenario.Load(Path.Combine(TestPaths.Scenarios, name, "expected.yaml"));
        var events = Capture(name, out int exitCode);
        var captures = events.Where(e => e["event"]!.GetValue<string>() is "crash" or "exit").ToList();
        Assert.That(captures, Has.Count.EqualTo(1), string.Join("\n", events.Select(e => e.ToJsonString())));
        var capture = captures[0];
        Assert.That(exitCode, Is.EqualTo(CaptureCommand.Captured));
        Assert.That(capture["event"]!.GetValue<string>(), Is.EqualTo(kind));
        Assert.That(capture["process"]!.GetValue<string>(), Is.EqualTo("php-cgi.exe"));

        var live = capture["verdict"]!.AsObject();
        Assert.That(live["verdict"]!["owner"]!.GetValue<string>(), Is.EqualTo(expected.Owner));
        Assert.That(live["exception"]!["class"]!.GetValue<string>(), Is.EqualTo(expected.ExceptionClass));

        string dump = capture["dump"]!.GetValue<string>();
        Assert.That(File.Exists(dump), Is.True, dump);
        Assert.That(new FileInfo(dump).Length, Is.GreaterThan(1_000_000), "a full dump (/ma), not a minidump");
        Assert.That(Directory.EnumerateFiles(Path.GetDirectoryName(dump)!, "*.partial"), Is.Empty,
            "written under a temporary name, renamed");

        await using var analyzer = new WineDumpAnalyzer(TestPaths.Wine, new EngineAnalysisOptions
        {
            Offline = true, Rules = [Rules], SymbolPath = Path.Combine(_dir, "server", "php") + ";" +
                Path.Combine(_dir, "server", "php", "ext"),
        });
        var fromDump = await analyzer.AnalyzeAsync(dump, CancellationToken.None);
        Assert.That(fromDump["verdict"]!["bucket"]!.GetValue<string>(), Is.EqualTo(live["verdict"]!["bucket"]!.GetValue<string>()));
        Assert.That(fromDump["verdict"]!["owner"]!.GetValue<string>(), Is.EqualTo(expected.Owner));
    }

    [Test]
    public void A_worker_that_ends_normally_ends_quietly()
    {
        // The Xdebug layout without its crashing settings: the script runs to its end and the worker exits 0.
        var (_, command) = Layout("xdebug-null-write");
        var stdout = new StringWriter();
        int code = CaptureCommand.Run(new CaptureCommand.CaptureRequest
        {
            CommandLine = [command[0], command[^1]], Out = Path.Combine(_dir, "captures"), Timeout = 120,
        }, stdout, new StringWriter());
        Assert.That(code, Is.EqualTo(CaptureCommand.NothingCaptured), stdout.ToString());
        Assert.That(stdout.ToString().Trim(), Is.Empty);
        Assert.That(Directory.EnumerateFiles(Path.Combine(_dir, "captures")), Is.Empty);
    }
}

/// <summary>`!fcgi` in a live session (the extension loaded at the stop) says what the dump written at that moment
/// says.</summary>
[Category("Integration")]
[NonParallelizable]
public class LiveExtensionTests
{
    [Test]
    public async Task Bang_fcgi_at_the_live_stop_equals_the_dump_written_there()
    {
        ExtensionSession.BuildDllIfStale();
        string dir = TestPaths.TempDir();
        try
        {
            var layout = new ProcessStartInfo("bash") { RedirectStandardOutput = true };
            layout.ArgumentList.Add(Path.Combine(TestPaths.TestDumps, "live-layout.sh"));
            layout.ArgumentList.Add("xdebug-null-write");
            layout.ArgumentList.Add(Path.Combine(dir, "server"));
            using (var p = Process.Start(layout)!) { p.StandardOutput.ReadToEnd(); p.WaitForExit(); Assert.That(p.ExitCode, Is.Zero); }
            string php = Path.Combine(dir, "server", "php");
            var stdout = new StringWriter();
            int code = CaptureCommand.Run(new CaptureCommand.CaptureRequest
            {
                CommandLine = [Path.Combine(php, "php-cgi.exe"), "-d", "extension=php_xdebug-3.3.1-8.3-vs16-x86_64.dll", "-d",
                    "xdebug.mode=trace",
                    Path.Combine(dir, "server", "request.php")],
                Out = Path.Combine(dir, "captures"), Format = "json", Timeout = 120,
                Rules = [Path.Combine(TestPaths.TestDumps, "rules", "testdumps.yaml")],
                Commands = $".load {ExtensionSession.WineDll}; !fcgi -json -offline",
            }, stdout, new StringWriter());
            Assert.That(code, Is.EqualTo(CaptureCommand.Captured), stdout.ToString());
            var capture = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject())
                .Single(e => e["event"]!.GetValue<string>() == "crash");
            string output = capture["output"]!.GetValue<string>();
            var extension = JsonNode.Parse(output[output.IndexOf('{')..])!.AsObject();
            Assert.That(extension["verdict"]!["owner"]!.GetValue<string>(), Is.EqualTo("Xdebug"));

            await using var analyzer = new WineDumpAnalyzer(TestPaths.Wine, new EngineAnalysisOptions
            {
                Offline = true, SymbolPath = php + ";" + Path.Combine(php, "ext"),
                Rules = [Path.Combine(TestPaths.TestDumps, "rules", "testdumps.yaml")],
            });
            var fromDump = await analyzer.AnalyzeAsync(capture["dump"]!.GetValue<string>(), CancellationToken.None);
            foreach (var field in new[] { "owner", "owner_module", "bucket", "rule" })
                Assert.That(extension["verdict"]![field]?.ToString(), Is.EqualTo(fromDump["verdict"]![field]?.ToString()), field);
            Assert.That(extension["exception"]!["class"]!.ToString(), Is.EqualTo(fromDump["exception"]!["class"]!.ToString()));
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }
}

/// <summary>Reports share nothing they should not (issue 15): a worker whose environment holds a secret (as
/// `<environmentVariables>` often hold database passwords) is captured live and its full dump triaged in every
/// format; the secret, which the dump's memory holds, appears in none of them.</summary>
[Category("Integration")]
[NonParallelizable]
public class SecretsTests
{
    const string Secret = "FCGIEXT-SECRET-7f3a9c1e5b";

    [Test]
    public async Task No_report_format_carries_the_workers_environment()
    {
        string dir = TestPaths.TempDir();
        try
        {
            var layout = new ProcessStartInfo("bash") { RedirectStandardOutput = true };
            layout.ArgumentList.Add(Path.Combine(TestPaths.TestDumps, "live-layout.sh"));
            layout.ArgumentList.Add("xdebug-null-write");
            layout.ArgumentList.Add(Path.Combine(dir, "server"));
            using (var p = Process.Start(layout)!) { p.StandardOutput.ReadToEnd(); p.WaitForExit(); }
            string php = Path.Combine(dir, "server", "php");
            var live = new StringWriter();
            Environment.SetEnvironmentVariable("DB_PASSWORD", Secret);
            try
            {
                CaptureCommand.Run(new CaptureCommand.CaptureRequest
                {
                    CommandLine = [Path.Combine(php, "php-cgi.exe"), "-d", "extension=php_xdebug-3.3.1-8.3-vs16-x86_64.dll", "-d",
                        "xdebug.mode=trace", Path.Combine(dir, "server", "request.php")],
                    Out = Path.Combine(dir, "captures"), Format = "json", Timeout = 120,
                }, live, new StringWriter());
            }
            finally { Environment.SetEnvironmentVariable("DB_PASSWORD", null); }
            var dump = Directory.EnumerateFiles(Path.Combine(dir, "captures"), "*.dmp").Single();
            Assert.That(File.ReadAllBytes(dump).AsSpan().IndexOf(System.Text.Encoding.Unicode.GetBytes(Secret)), Is.GreaterThanOrEqualTo(0),
                "the dump itself holds the secret (the test would prove nothing otherwise)");
            Assert.That(live.ToString(), Does.Not.Contain(Secret), "the live capture's events");

            await using var analyzer = new WineDumpAnalyzer(TestPaths.Wine, new EngineAnalysisOptions { Offline = true });
            var result = await analyzer.AnalyzeAsync(dump, CancellationToken.None);
            var report = FcgiExt.RulesEngine.Reporting.BatchReport.Build(
                [new FcgiExt.RulesEngine.Reporting.DumpOutcome { Dump = dump, Result = result }]);
            foreach (var format in new[] { "text", "json", "markdown", "html" })
                foreach (bool verbose in new[] { false, true })
                    Assert.That(FcgiExt.RulesEngine.Reporting.BatchReportRenderers.Render(report, format, verbose),
                        Does.Not.Contain(Secret),
                        $"{format}{(verbose ? " -v" : "")}");
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }
}
