using System.Text.Json;
using FcgiExt.FastCgi.Repro;
using Json.Schema;
using NUnit.Framework;

namespace FcgiExt.FastCgi.Tests;

/// <summary>The findings the driver's records turn into, and the report's JSON against docs/repro.schema.json.</summary>
public class ReproVerdictTests
{
    const string Hello = "/srv/www/hello.php", Crash = "/srv/www/crash.php";

    static ReproSettings Settings(int instanceMax = 5, string? phpMax = "3") => new()
    {
        Worker = "/usr/bin/php-cgi", Requests = 5, Concurrency = 1, InstanceMaxRequests = instanceMax, PhpFcgiMaxRequests = phpMax,
        KeepConn = true,
        Env = phpMax is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["PHP_FCGI_MAX_REQUESTS"] = phpMax },
    };

    static RequestRecord Served(int n, int worker, string script = Hello) => new()
    {
        Number = n, Worker = worker, Script = script, Method = "GET", Completed = true, Step = "after_end_request", HttpStatus = 200,
        AppStatus = 0, ProtocolStatus = "RequestComplete", StdoutBytes = 40, BodyStart = "hello", DurationMs = 1.5,
    };

    static RequestRecord Failed(int n, int worker, string step, string failure, string script = Hello) => new()
    {
        Number = n, Worker = worker, Script = script, Method = "GET", Query = "deep=1", Completed = false, Step = step,
        Failure = failure, DurationMs = 0.3,
    };

    static WorkerRecord Worker(int index, WorkerEnd end, int served, int first, int? last, int? exitCode = 0, string? signal = null,
        int? atRequest = null, string? atStep = null) => new()
    {
        Index = index, Slot = 1, Pid = 1000 + index, End = end, ExitCode = exitCode, Signal = signal, RequestsServed = served,
        FirstRequest = first, LastCompletedRequest = last, RequestAtEnd = atRequest, StepAtEnd = atStep, LifetimeMs = 20,
        ExitAfterLastEndRequestMs = 4,
    };

    static (ReproReport Report, Finding Only) Report(ReproSettings settings, List<RequestRecord> requests, List<WorkerRecord> workers,
        Dictionary<string, string>? sources = null)
    {
        var findings = ReproVerdicts.Find(settings, requests, workers, sources ?? new() { [Hello] = "<?php echo 'hello';" });
        var report = new ReproReport { Settings = settings, Requests = requests, Workers = workers, Findings = findings, ElapsedMs = 30 };
        Assert.That(findings, Has.Count.EqualTo(1), string.Join("\n", findings.Select(f => f.Message)));
        return (report, findings[0]);
    }

    static (ReproReport, Finding) RecycleRace() => Report(Settings(),
        [Served(1, 1), Served(2, 1), Served(3, 1), Failed(4, 1, "params", "EPIPE (the worker closed its end)"), Served(5, 2)],
        [Worker(1, WorkerEnd.Died, 3, 1, 3, atRequest: 4, atStep: "params"), Worker(2, WorkerEnd.Stopped, 1, 5, 5)]);

    [Test]
    public void A_clean_exit_at_PHP_FCGI_MAX_REQUESTS_below_instanceMaxRequests_is_the_recycle_race_at_the_next_request()
    {
        var (_, f) = RecycleRace();
        Assert.That(f.Kind, Is.EqualTo("recycle_race"));
        Assert.That(f.Request, Is.EqualTo(4));
        Assert.That(f.Message, Does.StartWith("php-cgi exited cleanly after request 3 ")
            .And.Contain("while IIS would send 5 (PHP_FCGI_MAX_REQUESTS=3 < instanceMaxRequests=5)")
            .And.Contain("request 4 would fail with 'The FastCGI process exited unexpectedly'"));
        Assert.That(f.Fix, Does.StartWith("set instanceMaxRequests ≤ PHP_FCGI_MAX_REQUESTS: lower instanceMaxRequests to 3 (appcmd")
            .And.Contain(".instanceMaxRequests:3)").And.Contain("raise PHP_FCGI_MAX_REQUESTS to 5 or more"));
    }

    [Test]
    public void A_recycle_after_the_last_request_names_the_request_that_would_have_failed()
    {
        var (_, f) = Report(Settings() with { Requests = 3 }, [Served(1, 1), Served(2, 1), Served(3, 1)],
            [Worker(1, WorkerEnd.Died, 3, 1, 3, atStep: "after_end_request")]);
        Assert.That((f.Kind, f.Request), Is.EqualTo(("recycle_race", (int?)null)), "no request was hit");
        Assert.That(f.Message, Does.Contain("request 4 would fail with 'The FastCGI process exited unexpectedly'"));
    }

    [Test]
    public void An_unset_PHP_FCGI_MAX_REQUESTS_is_php_cgis_default_of_500()
    {
        var requests = Enumerable.Range(1, 500).Select(n => Served(n, 1)).Append(Failed(501, 1, "params", "EPIPE")).ToList();
        var (_, f) = Report(Settings(instanceMax: 1000, phpMax: null), requests,
            [Worker(1, WorkerEnd.Died, 500, 1, 500, atRequest: 501, atStep: "params")]);
        Assert.That(f.Kind, Is.EqualTo("recycle_race"));
        Assert.That(f.Message, Does.Contain("PHP_FCGI_MAX_REQUESTS unset = 500 < instanceMaxRequests=1000")
            .And.Contain("request 501 would fail"));
    }

    [Test]
    public void Many_deaths_within_a_minute_are_what_rapid_failure_protection_acts_on()
    {
        var requests = Enumerable.Range(1, 11).Select(n => Failed(n, n, "connect", "ECONNREFUSED")).ToList();
        var workers = Enumerable.Range(1, 11)
            .Select(n => Worker(n, WorkerEnd.Died, 0, n, null, exitCode: 255, atRequest: n, atStep: "connect")).ToList();
        var findings = ReproVerdicts.Find(Settings(), requests, workers, new Dictionary<string, string>(), elapsedMs: 900);
        Assert.That(findings.Select(f => (f.Kind, f.Count)), Is.EqualTo(new[] { ("startup_failure", 11), ("rapid_failure", 1) }));
        Assert.That(findings[1].Message, Does.Contain("11 workers died within 0.9 s").And.Contain("failed frequently recently"));
        Assert.That(ReproVerdicts.Find(Settings(), requests[..10], workers[..10], new Dictionary<string, string>(), 900)
            .Select(f => f.Kind), Has.None.EqualTo("rapid_failure"), "10 is IIS's threshold, not yet over it");
    }

    [Test]
    public void The_same_recycle_race_on_many_workers_is_one_finding_with_the_requests_it_hit()
    {
        var requests = new List<RequestRecord>
        {
            Served(1, 1), Served(2, 2), Served(3, 1), Served(4, 2), Served(5, 1), Served(6, 2),
            Failed(7, 2, "params", "EPIPE"), Failed(8, 1, "reading_stdout", "ECONNRESET"),
        };
        var workers = new List<WorkerRecord>
        {
            Worker(1, WorkerEnd.Died, 3, 1, 5, atRequest: 8, atStep: "reading_stdout"),
            Worker(2, WorkerEnd.Died, 3, 2, 6, atRequest: 7, atStep: "params"),
        };
        var (report, f) = Report(Settings(), requests, workers);
        Assert.That((f.Kind, f.Count, f.Requests), Is.EqualTo(("recycle_race", 2, new[] { 7, 8 })));
        Assert.That(ReproRender.ToText(report), Does.Contain("(×2, at requests 7, 8)"));
        var valid = Validate(ReproRender.ToJson(report, "1.0.0-test"));
        Assert.That(valid.IsValid, Is.True, Errors(valid));
    }

    [Test]
    public void A_signal_the_driver_did_not_send_is_a_crash_during_the_request_in_flight()
    {
        var (_, f) = Report(Settings(instanceMax: 200, phpMax: null),
            [.. Enumerable.Range(1, 6).Select(n => Served(n, 1)), Failed(7, 1, "reading_stdout", "ECONNRESET", Crash)],
            [Worker(1, WorkerEnd.Died, 6, 1, 6, exitCode: null, signal: "SIGSEGV", atRequest: 7, atStep: "reading_stdout")],
            new() { [Hello] = "", [Crash] = "" });
        Assert.That(f.Kind, Is.EqualTo("crash"));
        Assert.That((f.Request, f.Step, f.Script), Is.EqualTo(((int?)7, "reading_stdout", Crash)));
        Assert.That(f.Message,
            Does.StartWith("php-cgi crashed (SIGSEGV) during request 7 (reading stdout), script /srv/www/crash.php?deep=1"));
    }

    [Test]
    public void A_Windows_worker_ended_by_an_exception_is_a_crash_named_by_its_NTSTATUS()
    {
        var exit = WorkerExit.FromWindowsExitCode(0xC0000005);
        var worker = Worker(1, WorkerEnd.Died, 2, 1, 2, exitCode: exit.ExitCode, atRequest: 3, atStep: "reading_stdout")
            with { Exception = exit.ExceptionName };
        var (report, f) = Report(Settings(instanceMax: 200, phpMax: null),
            [Served(1, 1), Served(2, 1), Failed(3, 1, "reading_stdout", "EOF (the worker closed the connection)", Crash)], [worker],
            new() { [Hello] = "", [Crash] = "" });
        Assert.That((f.Kind, f.Exception, f.Request), Is.EqualTo(("crash", "0xc0000005 STATUS_ACCESS_VIOLATION", (int?)3)));
        Assert.That(f.Message, Does.StartWith("php-cgi crashed (0xc0000005 STATUS_ACCESS_VIOLATION) during request 3 (reading stdout)"));
        Assert.That(f.Fix, Does.Contain("with --debug for the dump and its verdict"));
        Assert.That(ReproRender.ToText(report), Does.Contain("died, 0xc0000005 STATUS_ACCESS_VIOLATION, 2 served"));
        var valid = Validate(ReproRender.ToJson(report, "1.0.0-test"));
        Assert.That(valid.IsValid, Is.True, Errors(valid));
    }

    [Test]
    public void Under_debug_each_crash_names_its_dump_and_is_not_merged_with_another()
    {
        WorkerRecord Crashed(int index, int request, string dump) =>
            Worker(index, WorkerEnd.Died, 0, request, null, exitCode: null, atRequest: request, atStep: "reading_stdout") with
            {
                Exception = "0xc0000005 STATUS_ACCESS_VIOLATION", Debug = new DebugCapture { Dump = dump, Code = "0xc0000005" },
            };
        var requests = new List<RequestRecord>
        {
            Failed(1, 1, "reading_stdout", "EOF", Crash), Failed(2, 2, "reading_stdout", "EOF", Crash),
        };
        var workers = new List<WorkerRecord> { Crashed(1, 1, "/dumps/php-cgi_1.dmp"), Crashed(2, 2, "/dumps/php-cgi_2.dmp") };
        var findings = ReproVerdicts.Find(Settings(instanceMax: 200, phpMax: null), requests, workers,
            new Dictionary<string, string> { [Crash] = "" });
        Assert.That(findings.Select(f => (f.Kind, f.Dump)),
            Is.EqualTo(new[] { ("crash", "/dumps/php-cgi_1.dmp"), ("crash", (string?)"/dumps/php-cgi_2.dmp") }));
        Assert.That(findings[0].Fix, Does.Contain("the dump /dumps/php-cgi_1.dmp and its verdict below say whose"));
        var report = new ReproReport
        {
            Settings = Settings(instanceMax: 200, phpMax: null), Requests = requests, Workers = workers, Findings = findings,
        };
        var valid = Validate(ReproRender.ToJson(report, "1.0.0-test"));
        Assert.That(valid.IsValid, Is.True, Errors(valid));
    }

    [TestCase(0xC0000005u, null, "0xc0000005 STATUS_ACCESS_VIOLATION")]
    [TestCase(0xC0000409u, null, "0xc0000409 STATUS_STACK_BUFFER_OVERRUN")]
    [TestCase(0xC0DEDEADu, null, "0xc0dedead")]
    [TestCase(0u, 0, null)]
    [TestCase(255u, 255, null)]
    public void Windows_exit_codes_of_error_severity_are_exceptions(uint code, int? exitCode, string? exception)
    {
        var exit = WorkerExit.FromWindowsExitCode(code);
        Assert.That((exit.ExitCode, exit.ExceptionName), Is.EqualTo((exitCode, exception)));
    }

    [Test]
    public void A_clean_exit_short_of_PHP_FCGI_MAX_REQUESTS_is_not_taken_for_the_recycle_race()
    {
        var (_, f) = Report(Settings(instanceMax: 200, phpMax: "100"), [Served(1, 1), Failed(2, 1, "reading_stdout", "EOF")],
            [Worker(1, WorkerEnd.Died, 1, 1, 1, atRequest: 2, atStep: "reading_stdout")]);
        Assert.That(f.Kind, Is.EqualTo("exit_status"));
        Assert.That(f.Message, Does.Contain("exited cleanly (status 0) during request 2 (reading stdout) after 1 requests, " +
                                            "though PHP_FCGI_MAX_REQUESTS=100 was not reached"));
    }

    [Test]
    public void A_worker_that_never_served_is_a_startup_failure_with_its_stderr()
    {
        var worker = Worker(1, WorkerEnd.Died, 0, 1, null, exitCode: 1, atRequest: 1, atStep: "connect")
            with { ProcessStderr = "PHP Fatal error: bad ini\n" };
        var (_, f) = Report(Settings(), [Failed(1, 1, "connect", "ECONNREFUSED")], [worker]);
        Assert.That(f.Kind, Is.EqualTo("startup_failure"));
        Assert.That(f.Message, Does.Contain("exited with status 1 before serving any request; its stderr: \"PHP Fatal error: bad ini\""));
    }

    [Test]
    public void Exit_in_a_script_whose_requests_completed_is_said_not_to_be_a_worker_exit()
    {
        const string Exits = "/srv/www/exits.php";
        var (_, f) = Report(Settings(instanceMax: 200, phpMax: null), [Served(1, 1, Exits), Served(2, 1), Served(3, 1, Exits)],
            [Worker(1, WorkerEnd.Stopped, 3, 1, 3)], new() { [Exits] = "<?php\necho 'a';\n  exit(3);\n", [Hello] = "<?php echo 1;" });
        Assert.That(f.Kind, Is.EqualTo("script_exit"));
        Assert.That(f.Message, Does.StartWith("exits.php calls exit()/die() (line 3): its 2 request(s) completed")
            .And.Contain("request 1 was followed by request 2 on the same worker").And.Contain("ends the request, not php-cgi"));
    }

    [TestCase("<?php exit;", 1)]
    [TestCase("<?php\n\ndie('x');", 3)]
    [TestCase("<?php $exit = 1; echo 'exited';", 0)]
    public void Exit_calls_are_found_by_line(string source, int line) => Assert.That(ReproVerdicts.ExitLine(source), Is.EqualTo(line));

    [Test]
    public void An_stderr_record_is_reported_with_what_IIS_makes_of_it()
    {
        var request = Served(1, 1) with
        {
            HttpStatus = 500, Stderr = "PHP Fatal error:  Uncaught Error: x in /srv/www/hello.php:2\nStack trace:",
        };
        var (_, f) = Report(Settings(), [request], [Worker(1, WorkerEnd.Stopped, 1, 1, 1)]);
        Assert.That(f.Kind, Is.EqualTo("stderr"));
        Assert.That(f.Message,
            Does.Contain("answered 500 with an FCGI_STDERR record: \"PHP Fatal error:  Uncaught Error: x in /srv/www/hello.php:2\""));
        Assert.That(f.Fix, Does.Contain("fastcgi.logging=0"));
    }

    [Test]
    public void A_run_where_nobody_died_has_no_findings_and_says_so()
    {
        var settings = Settings(instanceMax: 2, phpMax: null);
        var requests = new List<RequestRecord> { Served(1, 1), Served(2, 1), Served(3, 2) };
        var workers = new List<WorkerRecord>
        {
            Worker(1, WorkerEnd.Recycled, 2, 1, 2, exitCode: null, signal: "SIGTERM"), Worker(2, WorkerEnd.Stopped, 1, 3, 3),
        };
        var findings = ReproVerdicts.Find(settings, requests, workers, new Dictionary<string, string> { [Hello] = "<?php echo 1;" });
        Assert.That(findings, Is.Empty);
        var text = ReproRender.ToText(new ReproReport
        {
            Settings = settings, Requests = requests, Workers = workers, Findings = findings,
        });
        Assert.That(text, Does.Contain("No worker died").And.Contain("recycled by the driver 1, died unexpectedly 0"));
    }

    [TestCase(0x0b, null, "SIGSEGV", false)]
    [TestCase(0x86, null, "SIGABRT", true)]
    [TestCase(0x0300, 3, "", false)]
    [TestCase(0, 0, "", false)]
    public void Wait_statuses_decode_to_an_exit_code_or_a_signal(int status, int? code, string signal, bool core)
    {
        var exit = WorkerExit.FromWaitStatus(status);
        Assert.That((exit.ExitCode, exit.SignalName, exit.CoreDumped), Is.EqualTo((code, signal, core)));
    }

    [TestCase("Status: 500 Internal Server Error\r\nContent-type: text/html\r\n\r\noops", 500, "oops")]
    [TestCase("Content-type: text/html; charset=UTF-8\r\n\r\nhello", 200, "hello")]
    [TestCase("X-Powered-By: PHP\n\nunix", 200, "unix")]
    public void The_CGI_status_header_and_body_are_split(string stdout, int status, string body) =>
        Assert.That(HttpResponse.Split(stdout), Is.EqualTo((status, body)));

    [Test]
    public void Request_file_lines_give_method_script_query_and_body()
    {
        var dir = Directory.CreateTempSubdirectory("fcgi-repro-test-").FullName;
        File.WriteAllText(Path.Combine(dir, "body.txt"), "a=1");
        var post = RequestSpec.Parse("POST form.php?x=1 @body.txt", dir);
        Assert.That((post.Method, post.ScriptPath, post.Query), Is.EqualTo(("POST", Path.Combine(dir, "form.php"), "x=1")));
        Assert.That(post.Body, Is.EqualTo("a=1"u8.ToArray()));
        Assert.That(RequestSpec.Parse("/abs/index.php", dir), Is.EqualTo(new RequestSpec("GET", "/abs/index.php")));
        Assert.Throws<FormatException>(() => RequestSpec.Parse("GET a.php b.php", dir));
        Directory.Delete(dir, true);
    }

    [Test]
    public void The_IIS_CGI_variables_name_the_script_as_IIS_10_does()
    {
        var p = ReproDriver.IisParams(new RequestSpec("GET", "/srv/www/app/index.php", "a=b"), 1).ToDictionary(x => x.Key, x => x.Value);
        Assert.That(p["SERVER_SOFTWARE"], Is.EqualTo("Microsoft-IIS/10.0"));
        Assert.That((p["SCRIPT_FILENAME"], p["SCRIPT_NAME"], p["REQUEST_URI"]),
            Is.EqualTo(("/srv/www/app/index.php", "/index.php", "/index.php?a=b")));
        Assert.That((p["APPL_PHYSICAL_PATH"], p["HTTPS"], p["CONTENT_LENGTH"], p["GATEWAY_INTERFACE"]),
            Is.EqualTo(("/srv/www/app/", "off", "0", "CGI/1.1")));
    }

    // ---- docs/repro.schema.json ----

    internal static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "repro.schema.json"))));

    internal static EvaluationResults Validate(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return Schema.Value.Evaluate(doc.RootElement.Clone(), new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    internal static string Errors(EvaluationResults r) =>
        string.Join("\n", (r.Details ?? []).Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    [Test]
    public void The_json_report_follows_the_schema()
    {
        var (report, _) = RecycleRace();
        var r = Validate(ReproRender.ToJson(report, "1.0.0-test"));
        Assert.That(r.IsValid, Is.True, Errors(r));
    }

    [Test]
    public void The_schema_refuses_a_report_with_an_undeclared_worker_end()
    {
        var (report, _) = RecycleRace();
        var r = Validate(ReproRender.ToJson(report, "1.0.0-test").Replace("\"end\": \"died\"", "\"end\": \"vanished\""));
        Assert.That(r.IsValid, Is.False);
    }
}
