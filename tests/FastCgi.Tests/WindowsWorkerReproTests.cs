using System.Diagnostics;
using System.Text.Json;
using FcgiExt.Cli;
using FcgiExt.Cli.Commands;
using FcgiExt.Cli.Engine;
using NUnit.Framework;

namespace FcgiExt.FastCgi.Tests;

/// <summary>
/// `fcgi repro` with a Windows worker, under Wine: TestDumps' php-cgi.exe serves real FastCGI over IIS's named pipe on its
/// stdin (GetNamedPipeInfo, ConnectNamedPipe, DisconnectNamedPipe, as php-src's main/fastcgi.c), driven by the engine host
/// (`fcgihost repro`, the Windows end of the pipe). The layout is TestDumps/repro-layout.sh's: Xdebug 3.3.1 loaded, and
/// crash.php makes it write through a NULL trace context.
/// </summary>
[Category("Integration")]
[NonParallelizable]
public class WindowsWorkerReproTests
{
    string _root = "", _worker = "", _ini = "";

    string Script(string name) => Path.Combine(_root, "www", name);

    [OneTimeSetUp]
    public void LayOutTheWorker()
    {
        _root = Directory.CreateTempSubdirectory("fcgi-repro-win-").FullName;
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(WineRunner.FindRepoRoot(), "TestDumps", "repro-layout.sh"));
        psi.ArgumentList.Add(_root);
        using var p = Process.Start(psi)!;
        _worker = p.StandardOutput.ReadToEnd().Trim();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.EqualTo(0), err);
        _ini = Path.Combine(_root, "php", "php.ini");
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { /* a dump still open: left in /tmp */ }
    }

    (int Code, JsonElement Report, string Err) RunJson(ReproCommand.ReproRequest request)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ReproCommand.Run(request with { Worker = _worker, PhpIni = _ini, Format = "json" }, stdout, stderr);
        Assert.That(code, Is.Not.EqualTo(ReproCommand.UsageError), stderr.ToString());
        var valid = ReproVerdictTests.Validate(stdout.ToString());
        Assert.That(valid.IsValid, Is.True, ReproVerdictTests.Errors(valid) + "\n" + stderr);
        return (code, JsonDocument.Parse(stdout.ToString()).RootElement.Clone(), stderr.ToString());
    }

    string Requests(params string[] scripts)
    {
        string file = Path.Combine(_root, $"requests-{Guid.NewGuid():N}.txt");
        File.WriteAllLines(file, scripts.Select(Script));
        return file;
    }

    static List<JsonElement> Findings(JsonElement report, string kind) =>
        report.GetProperty("findings").EnumerateArray().Where(f => f.GetProperty("kind").GetString() == kind).ToList();

    [Test]
    public void Requests_are_served_over_IIS_named_pipe_with_the_IIS_variables()
    {
        var (code, report, err) = RunJson(new() { Script = Script("ok.php"), Count = 3 });
        Assert.That(code, Is.EqualTo(ReproCommand.NoDeaths), err);
        var bodies = report.GetProperty("requests").EnumerateArray().Select(r => r.GetProperty("body_start").GetString()!).ToList();
        Assert.That(bodies, Has.Count.EqualTo(3));
        for (int i = 0; i < 3; i++)
            Assert.That(bodies[i], Does.Match($@"ok\.php ran \(request {i + 1} of worker \d+\) for Microsoft-IIS/10\.0 over " +
                                              @"\\\\\.\\pipe\\IISFCGI-[0-9a-f-]{36}"));
        // FCGI_KEEP_CONN: one worker, one connection, three requests.
        Assert.That(report.GetProperty("workers").GetArrayLength(), Is.EqualTo(1));
        Assert.That(report.GetProperty("settings").GetProperty("worker").GetString(), Is.EqualTo(_worker));
    }

    [Test]
    public void PHP_FCGI_MAX_REQUESTS_3_against_instanceMaxRequests_5_is_the_recycle_race_at_request_4()
    {
        var (code, report, err) = RunJson(new()
        {
            Script = Script("ok.php"), Count = 5, InstanceMaxRequests = 5, Env = ["PHP_FCGI_MAX_REQUESTS=3"],
        });
        Assert.That(code, Is.EqualTo(ReproCommand.WorkerDied), err);
        var race = Findings(report, "recycle_race").Single();
        Assert.That(race.GetProperty("message").GetString(),
            Does.Contain("php-cgi.exe exited cleanly after request 3").And.Contain("request 4 would fail with 'The FastCGI process " +
                                                                                   "exited unexpectedly'"));
        var first = report.GetProperty("workers")[0];
        Assert.That((first.GetProperty("exit_code").GetInt32(), first.GetProperty("requests_served").GetInt32()), Is.EqualTo((0, 3)));
    }

    [Test]
    public void A_crash_is_its_exception_with_the_request_number_and_step()
    {
        var (code, report, err) = RunJson(new() { Requests = Requests("ok.php", "crash.php") });
        Assert.That(code, Is.EqualTo(ReproCommand.WorkerDied), err);
        var crash = Findings(report, "crash").Single();
        Assert.That(crash.GetProperty("exception").GetString(), Is.EqualTo("0xc0000005 STATUS_ACCESS_VIOLATION"));
        Assert.That((crash.GetProperty("request").GetInt32(), crash.GetProperty("step").GetString()), Is.EqualTo((2, "reading_stdout")));
        Assert.That(crash.GetProperty("script").GetString(), Is.EqualTo(Script("crash.php")));
        Assert.That(crash.GetProperty("message").GetString(), Does.StartWith(
            "php-cgi.exe crashed (0xc0000005 STATUS_ACCESS_VIOLATION) during request 2 (reading stdout), script " + Script("crash.php")));
    }

    [Test]
    public void Exit_in_a_script_is_not_a_worker_exit()
    {
        var (code, report, err) = RunJson(new() { Requests = Requests("exit.php", "ok.php") });
        Assert.That(code, Is.EqualTo(ReproCommand.NoDeaths), err);
        Assert.That(Findings(report, "script_exit").Single().GetProperty("message").GetString(),
            Does.Contain("exit() in a script ends the request, not php-cgi"));
        Assert.That(report.GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("end").GetString()),
            Is.EqualTo(new[] { "stopped" }));
    }

    [Test]
    public void Under_debug_with_three_workers_and_recycling_every_crash_has_its_dump_and_no_worker_is_lost()
    {
        string dumps = Path.Combine(_root, "dumps-load");
        var (code, report, err) = RunJson(new()
        {
            Requests = Requests("ok.php", "crash.php", "ok.php"), Count = 12, Concurrency = 3, InstanceMaxRequests = 4,
            Env = ["PHP_FCGI_MAX_REQUESTS=3"], Debug = true, Out = dumps,
        });
        Assert.That(code, Is.EqualTo(ReproCommand.WorkerDied), err);
        var workers = report.GetProperty("workers").EnumerateArray().ToList();
        var crashed = workers.Where(w => w.TryGetProperty("exception", out _)).ToList();
        Assert.That(crashed, Has.Count.EqualTo(4), "requests 2, 5, 8 and 11 run crash.php");
        foreach (var w in crashed)
            Assert.That(File.Exists(w.GetProperty("debug").GetProperty("dump").GetString()), Is.True, w.ToString());
        // A worker the debugger held or lost would show as a death without an exception, or as a debugger error.
        Assert.That(workers.Where(w => w.GetProperty("end").GetString() == "died" && !w.TryGetProperty("exception", out _)), Is.Empty);
        Assert.That(workers.Where(w => w.TryGetProperty("debug", out var d) && d.TryGetProperty("error", out _)), Is.Empty);
        Assert.That(report.GetProperty("requests").EnumerateArray().Count(r => r.GetProperty("completed").GetBoolean()), Is.EqualTo(8));
    }

    [Test]
    public void Under_debug_the_crash_is_dumped_and_the_live_verdict_is_the_dump_s_verdict()
    {
        string dumps = Path.Combine(_root, "dumps");
        var (code, report, err) = RunJson(new() { Requests = Requests("ok.php", "crash.php"), Debug = true, Out = dumps });
        Assert.That(code, Is.EqualTo(ReproCommand.WorkerDied), err);
        var debug = report.GetProperty("workers")[0].GetProperty("debug");
        string dump = debug.GetProperty("dump").GetString()!;
        Assert.That(File.Exists(dump), Is.True, $"{dump} (stderr: {err})");
        Assert.That(Path.GetDirectoryName(dump), Is.EqualTo(dumps));
        var live = debug.GetProperty("verdict").GetProperty("verdict");
        Assert.That((live.GetProperty("owner").GetString(), live.GetProperty("confidence").GetString()), Is.EqualTo(("Xdebug", "high")));
        Assert.That(Findings(report, "crash").Single().GetProperty("dump").GetString(), Is.EqualTo(dump));

        // The same verdict from the dump written at that moment, with the symbols the live session had (the line the text
        // report prints).
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string sympath = $"{Path.Combine(_root, "php")};{Path.Combine(_root, "php", "ext")}";
        Assert.That(FcgiCli.Run(["triage", "--format", "json", "--sympath", sympath, dump], stdout, stderr), Is.EqualTo(0),
            stderr.ToString());
        var fromDump = JsonDocument.Parse(stdout.ToString()).RootElement;
        var verdict = fromDump.TryGetProperty("dumps", out var list) ? list[0].GetProperty("verdict") : fromDump.GetProperty("verdict");
        Assert.That((verdict.GetProperty("owner").GetString(), verdict.GetProperty("bucket").GetString()),
            Is.EqualTo((live.GetProperty("owner").GetString(), live.GetProperty("bucket").GetString())));

        // The text report shows the verdict under the findings.
        var text = new StringWriter();
        ReproCommand.Run(new() { Worker = _worker, PhpIni = _ini, Requests = Requests("crash.php"), Debug = true, Out = dumps }, text,
            new StringWriter());
        Assert.That(text.ToString(), Does.Contain("under the debugger: 0xc0000005 during request 1 (crash.php)")
            .And.Contain("Owner:      Xdebug, php_xdebug-3.3.1-8.3-vs16-x86_64.dll")
            .And.Contain($"The full report: fcgi triage --sympath '{sympath}' {dumps}/"));
    }
}
