using System.Text.Json;
using FcgiExt.Cli.Commands;
using NUnit.Framework;

namespace FcgiExt.FastCgi.Tests;

/// <summary>`fcgi repro` against the real php-cgi of the distribution (Debian package php-cgi, which
/// scripts/ensure-tools.sh installs): requests served, the recycle race, a crash, and exit() in a script.</summary>
[Category("Integration")]
[NonParallelizable]
public class ReproTests
{
    static string ScriptPath(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Scripts", name);

    [OneTimeSetUp]
    public void PhpCgiIsInstalled()
    {
        if (Repro.WorkerProcess.FindOnPath("php-cgi") is null)
            Assert.Fail("php-cgi is not on PATH: scripts/ensure-tools.sh installs it (apt-get install php-cgi)");
    }

    /// <summary>The text report with its wrapped lines joined again (continuation lines are indented), so that sentences
    /// can be matched whole whatever the width.</summary>
    static (int Code, string Out, string Err) Run(ReproCommand.ReproRequest request)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ReproCommand.Run(request, stdout, stderr);
        return (code, System.Text.RegularExpressions.Regex.Replace(stdout.ToString(), @"\n {4,}", " "), stderr.ToString());
    }

    static (int Code, JsonElement Report) RunJson(ReproCommand.ReproRequest request)
    {
        var (code, output, error) = Run(request with { Format = "json" });
        var valid = ReproVerdictTests.Validate(output);
        Assert.That(valid.IsValid, Is.True, ReproVerdictTests.Errors(valid) + "\n" + error);
        return (code, JsonDocument.Parse(output).RootElement.Clone());
    }

    /// <summary>php-cgi under a small stack limit, the way a user would wrap it: ulimit, then exec, so the listening socket
    /// stays its fd 0 and the exit status the driver sees is php-cgi's own.</summary>
    static string SmallStackWorker()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("fcgi-repro-worker-").FullName, "php-cgi-small-stack");
        File.WriteAllText(path, "#!/bin/sh\nulimit -s 256\nexec php-cgi \"$@\"\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Test]
    public void Requests_are_served_with_the_IIS_variables()
    {
        string requests = Path.Combine(Directory.CreateTempSubdirectory("fcgi-repro-req-").FullName, "requests.txt");
        File.WriteAllText(requests, $"# two scripts\n{ScriptPath("hello.php")}?who=alice\nGET {ScriptPath("hello.php")}?who=bob\n");
        var (code, report) = RunJson(new() { Requests = requests, Count = 4 });
        Assert.That(code, Is.EqualTo(ReproCommand.NoDeaths));
        var bodies = report.GetProperty("requests").EnumerateArray().Select(r => r.GetProperty("body_start").GetString()).ToList();
        Assert.That(bodies, Has.Count.EqualTo(4));
        Assert.That(bodies[0], Does.StartWith("hello alice from Microsoft-IIS/10.0 pid "));
        Assert.That(bodies[1], Does.StartWith("hello bob from Microsoft-IIS/10.0 pid "));
        Assert.That(bodies.Select(b => b![b!.LastIndexOf(' ')..]).Distinct().Count(), Is.EqualTo(1),
            "one worker, kept connected, serves them all");
        Assert.That(report.GetProperty("served").GetInt32(), Is.EqualTo(4));
        Assert.That(report.GetProperty("findings").GetArrayLength(), Is.Zero);
    }

    [Test]
    public void PHP_FCGI_MAX_REQUESTS_3_against_instanceMaxRequests_5_is_the_recycle_race_at_request_4()
    {
        var (code, output, _) = Run(new()
        {
            Script = ScriptPath("hello.php"), Count = 5, InstanceMaxRequests = 5, Env = ["PHP_FCGI_MAX_REQUESTS=3"],
        });
        Assert.That(code, Is.EqualTo(ReproCommand.WorkerDied), output);
        Assert.That(output, Does.Contain("[recycle_race] php-cgi exited cleanly after request 3 (")
            .And.Contain("while IIS would send 5 (PHP_FCGI_MAX_REQUESTS=3 < instanceMaxRequests=5): request 4 would fail with " +
                         "'The FastCGI process exited unexpectedly'; request 4 failed at ")
            .And.Contain("fix: set instanceMaxRequests ≤ PHP_FCGI_MAX_REQUESTS"));
        Assert.That(output, Does.Contain("served 4, failed 1; workers started 2"), "request 5 goes to a fresh worker");
    }

    [Test]
    public void With_instanceMaxRequests_at_or_below_PHP_FCGI_MAX_REQUESTS_the_driver_recycles_first_and_nobody_dies()
    {
        var (code, report) = RunJson(new()
        {
            Script = ScriptPath("hello.php"), Count = 12, Concurrency = 2, InstanceMaxRequests = 3, Env = ["PHP_FCGI_MAX_REQUESTS=3"],
        });
        Assert.That(code, Is.EqualTo(ReproCommand.NoDeaths));
        Assert.That(report.GetProperty("served").GetInt32(), Is.EqualTo(12));
        var ends = report.GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("end").GetString()).ToList();
        Assert.That(ends, Has.None.EqualTo("died"));
        Assert.That(ends.Count(e => e == "recycled"), Is.GreaterThanOrEqualTo(2));
        var slots = report.GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("slot").GetInt32());
        Assert.That(slots.Distinct().Count(), Is.EqualTo(2));
    }

    [Test]
    public void Under_load_every_recycle_race_is_counted_in_one_finding_and_matches_the_failed_requests()
    {
        var (code, report) = RunJson(new()
        {
            Script = ScriptPath("hello.php"), Count = 200, Concurrency = 4, InstanceMaxRequests = 50, Env = ["PHP_FCGI_MAX_REQUESTS=20"],
        });
        Assert.That(code, Is.EqualTo(ReproCommand.WorkerDied));
        var finding = report.GetProperty("findings").EnumerateArray().First();
        var failed = report.GetProperty("requests").EnumerateArray().Where(r => !r.GetProperty("completed").GetBoolean())
            .Select(r => r.GetProperty("number").GetInt32()).ToList();
        int died = report.GetProperty("workers").EnumerateArray().Count(w => w.GetProperty("end").GetString() == "died");
        Assert.That(finding.GetProperty("kind").GetString(), Is.EqualTo("recycle_race"));
        Assert.That(finding.GetProperty("count").GetInt32(), Is.EqualTo(died));
        Assert.That(finding.GetProperty("requests").EnumerateArray().Select(r => r.GetInt32()), Is.EqualTo(failed));
        Assert.That(died, Is.GreaterThanOrEqualTo(6), "200 requests at 20 per worker: about 9 exits, each hitting the next request");
        Assert.That(report.GetProperty("workers").EnumerateArray().Where(w => w.GetProperty("end").GetString() == "died")
            .Select(w => w.GetProperty("requests_served").GetInt32()), Is.All.EqualTo(20));
    }

    [Test]
    public void A_script_that_overflows_the_stack_is_a_crash_with_its_request_number()
    {
        string requests = Path.Combine(Directory.CreateTempSubdirectory("fcgi-repro-req-").FullName, "requests.txt");
        string hello = ScriptPath("hello.php");
        File.WriteAllText(requests, $"{hello}\n{hello}\n{ScriptPath("crash.php")}?depth=all\n{hello}\n");
        var (code, report) = RunJson(new() { Worker = SmallStackWorker(), Requests = requests });
        Assert.That(code, Is.EqualTo(ReproCommand.WorkerDied));
        var crash = report.GetProperty("findings").EnumerateArray().Single();
        Assert.That(crash.GetProperty("kind").GetString(), Is.EqualTo("crash"));
        Assert.That(crash.GetProperty("request").GetInt32(), Is.EqualTo(3));
        Assert.That(crash.GetProperty("message").GetString(), Does.StartWith("php-cgi-small-stack crashed (SIGSEGV) during request 3 (")
            .And.Contain($"script {ScriptPath("crash.php")}?depth=all"));
        var first = report.GetProperty("workers")[0];
        Assert.That((first.GetProperty("signal").GetString(), first.GetProperty("end").GetString()), Is.EqualTo(("SIGSEGV", "died")));
        Assert.That(report.GetProperty("requests")[3].GetProperty("completed").GetBoolean(), Is.True,
            "request 4 is served by a new worker");
    }

    [Test]
    public void Exit_in_a_script_is_not_a_worker_exit()
    {
        string requests = Path.Combine(Directory.CreateTempSubdirectory("fcgi-repro-req-").FullName, "requests.txt");
        File.WriteAllText(requests, $"{ScriptPath("exits.php")}\n{ScriptPath("hello.php")}\n{ScriptPath("exits.php")}\n");
        var (code, output, _) = Run(new() { Requests = requests });
        Assert.That(code, Is.EqualTo(ReproCommand.NoDeaths), output);
        Assert.That(output, Does.Contain("[script_exit] exits.php calls exit()/die() (line 3): its 2 request(s) completed with " +
                                         "END_REQUEST " +
                                         "and the worker went on serving (request 1 was followed by request 2 on the same worker)"));
        Assert.That(output, Does.Contain("served 3, failed 0; workers started 1"));
    }

    [Test]
    public void A_fatal_error_is_a_500_with_a_stderr_record_and_the_worker_keeps_serving()
    {
        string requests = Path.Combine(Directory.CreateTempSubdirectory("fcgi-repro-req-").FullName, "requests.txt");
        File.WriteAllText(requests, $"{ScriptPath("fatal.php")}\n{ScriptPath("hello.php")}\n");
        var (code, report) = RunJson(new() { Requests = requests });
        Assert.That(code, Is.EqualTo(ReproCommand.NoDeaths));
        var fatal = report.GetProperty("requests")[0];
        Assert.That(fatal.GetProperty("http_status").GetInt32(), Is.EqualTo(500));
        Assert.That(fatal.GetProperty("stderr").GetString(), Does.Contain("undefined_function_for_the_test"));
        Assert.That(report.GetProperty("findings")[0].GetProperty("kind").GetString(), Is.EqualTo("stderr"));
    }

    [Test]
    public void The_env_entries_and_the_php_ini_reach_the_worker()
    {
        string ini = Path.Combine(Directory.CreateTempSubdirectory("fcgi-repro-ini-").FullName, "php.ini");
        File.WriteAllText(ini, "memory_limit = 7M\n");
        var (code, report) = RunJson(new() { Script = ScriptPath("settings.php"), Env = ["FCGI_REPRO_TEST=from-iis"], PhpIni = ini });
        Assert.That(code, Is.EqualTo(ReproCommand.NoDeaths));
        Assert.That(report.GetProperty("requests")[0].GetProperty("body_start").GetString(), Is.EqualTo("env=from-iis memory_limit=7M\n"));
    }

    [Test]
    public void A_worker_that_cannot_start_is_one_startup_failure_and_rapid_failure_protection()
    {
        var (code, report) = RunJson(new() { Worker = "/bin/false", Script = ScriptPath("hello.php"), Count = 12 });
        Assert.That(code, Is.EqualTo(ReproCommand.WorkerDied));
        var findings = report.GetProperty("findings").EnumerateArray().ToList();
        Assert.That(findings.Select(f => f.GetProperty("kind").GetString()), Is.EqualTo(new[] { "startup_failure", "rapid_failure" }));
        Assert.That(findings[0].GetProperty("count").GetInt32(), Is.EqualTo(12));
        Assert.That(findings[0].GetProperty("message").GetString(),
            Does.StartWith("false exited with status 1 before serving any request"));
    }

    [Test]
    public async Task A_request_past_the_timeout_kills_the_worker_as_IIS_does()
    {
        var report = await Repro.ReproDriver.RunAsync(new Repro.ReproOptions
        {
            Worker = Repro.WorkerProcess.FindOnPath("php-cgi")!, Requests = [new("GET", ScriptPath("sleeps.php"))], Count = 2,
            RequestTimeout = TimeSpan.FromSeconds(1),
        });
        var finding = report.Findings.First();
        Assert.That((finding.Kind, finding.Request, finding.Step), Is.EqualTo(("timeout", (int?)1, "reading_stdout")));
        Assert.That(finding.Message, Does.Contain("no END_REQUEST within 1 s (request timeout)"));
        Assert.That(report.Workers.Select(w => w.End), Is.EqualTo(new[] { Repro.WorkerEnd.Killed, Repro.WorkerEnd.Killed }));
        Assert.That(report.UnexpectedExits, Is.Zero, "a worker the driver killed did not die by itself");
        Assert.That(report.ElapsedMs, Is.LessThan(10_000));
    }

    [Test]
    public void The_report_is_written_to_the_out_folder()
    {
        string dir = Path.Combine(Directory.CreateTempSubdirectory("fcgi-repro-out-").FullName, "report");
        var (code, output, _) = Run(new() { Script = ScriptPath("hello.php"), Count = 2, Out = dir });
        Assert.That(code, Is.EqualTo(ReproCommand.NoDeaths));
        Assert.That(System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(Path.Combine(dir, "repro.txt")), @"\n {4,}", " "),
            Is.EqualTo(output));
        Assert.That(ReproVerdictTests.Validate(File.ReadAllText(Path.Combine(dir, "repro.json"))).IsValid, Is.True);
    }
}
