using System.Text.RegularExpressions;

namespace FcgiExt.FastCgi.Repro;

/// <summary>
/// Turns what the driver saw into findings a user acts on: which of the three causes of "The FastCGI process exited
/// unexpectedly" (a crash, an exit of the worker, php-cgi's own recycling) each worker death was, the request and step
/// it hit, and the setting or next step that deals with it. Pure: the tests feed it records.
/// </summary>
public static partial class ReproVerdicts
{
    const string IisError = "The FastCGI process exited unexpectedly";
    const int PhpDefaultMaxRequests = 500;
    const int RapidFailsPerMinute = 10;

    public static List<Finding> Find(ReproSettings settings, IReadOnlyList<RequestRecord> requests, IReadOnlyList<WorkerRecord> workers,
        IReadOnlyDictionary<string, string> scriptSources, double elapsedMs = 0)
    {
        var findings = new List<Finding>();
        var byNumber = requests.ToDictionary(r => r.Number);
        foreach (var w in workers.Where(w => w.End is WorkerEnd.Died or WorkerEnd.Killed))
        {
            var inFlight = w.RequestAtEnd is { } n && byNumber.TryGetValue(n, out var r) ? r : null;
            var f = w.End == WorkerEnd.Killed ? Killed(w, inFlight, settings) : Died(w, inFlight, settings);
            f = f with { Signal = w.Signal, Exception = w.Exception, Dump = w.Debug?.Dump };
            // Under load the same death repeats for many workers (each recycle, each replacement that cannot start, each
            // crash of one script): said once, with how often and at which requests.
            int same = findings.FindIndex(o => o.Kind == f.Kind && o.Fix == f.Fix && o.Script == f.Script && o.Signal == f.Signal
                                               && o.Exception == f.Exception && o.Dump is null && f.Dump is null
                                               && (f.Kind != "startup_failure" || o.Message == f.Message));
            if (same < 0)
            {
                findings.Add(f);
                continue;
            }
            var first = findings[same];
            var hits = (first.Requests ?? (first.Request is { } r1 ? [r1] : [])).Concat(f.Request is { } r2 ? [r2] : []).Order().ToList();
            findings[same] = first with { Count = first.Count + 1, Requests = hits.Count > 0 ? hits : null };
        }
        int deaths = workers.Count(w => w.End == WorkerEnd.Died);
        if (deaths > RapidFailsPerMinute && elapsedMs is > 0 and <= 60_000)
            findings.Add(new Finding
            {
                Kind = "rapid_failure",
                Message = $"{deaths} workers died within {elapsedMs / 1000:0.#} s: more than IIS's rapidFailsPerMinute " +
                          $"({RapidFailsPerMinute} by default), so Rapid Failure Protection would answer every request of the " +
                          "application with 'The FastCGI process has failed frequently recently. Try the request again in a while'",
                Fix = "fix the deaths above; rapidFailsPerMinute only decides how soon the site is taken down",
            });
        findings.AddRange(ScriptExits(requests, workers, scriptSources));
        var withStderr = requests.Where(r => r.Completed && r.Stderr is not null);
        foreach (var r in withStderr.GroupBy(r => FirstLine(r.Stderr!)).Select(g => g.First()))
            findings.Add(new Finding
            {
                Kind = "stderr", Request = r.Number, Worker = r.Worker, Script = r.Script,
                Message = $"request {r.Number} ({Path.GetFileName(r.Script)}) answered {r.HttpStatus ?? 200} with an FCGI_STDERR " +
                          $"record: \"{FirstLine(r.Stderr!)}\"",
                Fix = "under IIS's default stderrMode (ReturnStdErrIn500) any STDERR record turns the response into a 500: " +
                      "set fastcgi.logging=0 in php.ini, or stderrMode=IgnoreAndReturn200 on the <application>",
            });
        return findings;
    }

    static Finding Died(WorkerRecord w, RequestRecord? inFlight, ReproSettings s)
    {
        string worker = WorkerName(s.Worker);
        string when = inFlight is null ? $"after request {w.LastCompletedRequest?.ToString() ?? "0"} (after END_REQUEST, idle)"
                                       : $"during request {inFlight.Number} ({Step(inFlight.Step)})";
        string failed = inFlight is null ? "" : $"; request {inFlight.Number} failed at {Step(inFlight.Step)}: {inFlight.Failure}";
        string stderr = w.ProcessStderr is { } e ? $"; its stderr: \"{FirstLine(e)}\"" : "";
        if ((w.Signal ?? w.Exception) is { } killer)
            return new Finding
            {
                Kind = "crash", Worker = w.Index, Request = inFlight?.Number, Step = inFlight?.Step, Script = inFlight?.Script,
                Message = $"{worker} crashed ({killer}{(w.CoreDumped ? ", core dumped" : "")}) {when}" +
                          (inFlight is null ? "" : $", script {inFlight.Script}{Query(inFlight)}") +
                          $"; under IIS: '{IisError}'" + stderr,
                Fix = w.Debug is { Dump: { } dump } ? $"a crash is a bug in PHP or an extension: the dump {dump} and its verdict " +
                                                      "below say whose; send both to the owner"
                    : w.Exception is not null ? "a crash is a bug in PHP or an extension: run the same requests with --debug for the " +
                                                "dump and its verdict, or on the server `fcgi capture --name php-cgi.exe`, and triage " +
                                                "it with `fcgi triage`"
                    : "a crash is a bug in PHP or an extension: reproduce it with this script, get a core dump (ulimit -c unlimited) " +
                      "or, on the Windows server, a full dump with `fcgi capture --name php-cgi.exe`, and triage it with `fcgi triage`",
            };
        int served = w.RequestsServed;
        int? phpMax = int.TryParse(s.PhpFcgiMaxRequests, out int m) ? m : s.PhpFcgiMaxRequests is null ? PhpDefaultMaxRequests : null;
        string phpMaxText = s.PhpFcgiMaxRequests is null ? $"PHP_FCGI_MAX_REQUESTS unset = {PhpDefaultMaxRequests}"
                                                         : $"PHP_FCGI_MAX_REQUESTS={s.PhpFcgiMaxRequests}";
        if (w.ExitCode == 0 && served > 0 && phpMax is > 0 && served == phpMax && phpMax < s.InstanceMaxRequests)
        {
            // Gone while idle (the run ended first): no request was hit, the next one sent to it would be; with one
            // worker that is the next number, with several it is whichever that worker would have taken.
            string next = inFlight is not null ? $"request {inFlight.Number}"
                : s.Concurrency == 1 ? $"request {(w.LastCompletedRequest ?? 0) + 1}" : "the next request sent to it";
            // php-cgi can be gone before this side has even read the END_REQUEST it wrote last.
            string race = w.ExitAfterLastEndRequestMs switch
            {
                >= 0 and var ms => $"{ms:0.0} ms after its END_REQUEST was read, ",
                { } => "already gone when its END_REQUEST was read, ",
                null => "",
            };
            return new Finding
            {
                Kind = "recycle_race", Worker = w.Index, Request = inFlight?.Number, Step = inFlight?.Step,
                Message = $"{worker} exited cleanly after request {w.LastCompletedRequest} ({race}{served} served) while IIS would " +
                          $"send {s.InstanceMaxRequests} ({phpMaxText} < instanceMaxRequests={s.InstanceMaxRequests}): {next} " +
                          $"would fail with '{IisError}'{failed}",
                Fix = $"set instanceMaxRequests ≤ PHP_FCGI_MAX_REQUESTS: lower instanceMaxRequests to {phpMax} (appcmd set config " +
                      $"-section:system.webServer/fastCgi /[fullPath='…'].instanceMaxRequests:{phpMax}) or raise " +
                      $"PHP_FCGI_MAX_REQUESTS to {s.InstanceMaxRequests} or more in the application's <environmentVariables>",
            };
        }
        if (served == 0 && inFlight is not null && inFlight.Number == w.FirstRequest)
            return new Finding
            {
                Kind = "startup_failure", Worker = w.Index, Request = inFlight.Number, Step = inFlight.Step,
                Message = $"{worker} exited with status {w.ExitCode} before serving any request{stderr}; every request to it would " +
                          $"fail with '{IisError}'",
                Fix = "run the worker by hand with the same environment and php.ini (php-cgi -v, php-cgi -i) and fix what it says",
            };
        string cause = w.ExitCode == 0
            ? $"exited cleanly (status 0) {when} after {served} requests, though {phpMaxText} was not reached"
            : $"exited with status {w.ExitCode} {when}";
        return new Finding
        {
            Kind = "exit_status", Worker = w.Index, Request = inFlight?.Number, Step = inFlight?.Step, Script = inFlight?.Script,
            Message = $"{worker} {cause}{(inFlight is null ? "" : $", script {inFlight.Script}{Query(inFlight)}")}" +
                      $"; under IIS: '{IisError}'{stderr}",
            Fix = "something ended the process itself (an extension calling exit(), a fatal error at startup, an out-of-memory " +
                  "kill): its stderr and the PHP error log say which",
        };
    }

    static Finding Killed(WorkerRecord w, RequestRecord? inFlight, ReproSettings s)
    {
        bool timeout = inFlight?.Failure?.Contains("request timeout", StringComparison.Ordinal) == true;
        string worker = WorkerName(s.Worker);
        return timeout
            ? new Finding
            {
                Kind = "timeout", Worker = w.Index, Request = inFlight!.Number, Step = inFlight.Step, Script = inFlight.Script,
                Message = $"{worker} did not finish request {inFlight.Number} ({inFlight.Script}{Query(inFlight)}): {inFlight.Failure}; " +
                          "IIS kills it too ('The FastCGI process exceeded configured request timeout')",
                Fix = "find what the script waits for, or raise requestTimeout/activityTimeout and max_execution_time together",
            }
            : new Finding
            {
                Kind = "connection_closed", Worker = w.Index, Request = inFlight?.Number, Step = inFlight?.Step, Script = inFlight?.Script,
                Message = $"{worker} broke the connection during request {inFlight?.Number} ({Step(inFlight?.Step)}: " +
                          $"{inFlight?.Failure}) but kept running; the driver killed it",
                Fix = "a worker that closes the connection without exiting does not honour FCGI_KEEP_CONN: check its FastCGI settings",
            };
    }

    /// <summary>exit()/die() in a script ends the request, not php-cgi: said when every request of that script completed
    /// and its worker went on serving, since people take the script's exit() for the worker's.</summary>
    static IEnumerable<Finding> ScriptExits(IReadOnlyList<RequestRecord> requests, IReadOnlyList<WorkerRecord> workers,
        IReadOnlyDictionary<string, string> sources)
    {
        foreach (var (script, source) in sources)
        {
            int line = ExitLine(source);
            if (line == 0) continue;
            var mine = requests.Where(r => r.Script == script).ToList();
            if (mine.Count == 0 || mine.Any(r => !r.Completed)) continue;
            var after = mine.Where(r => requests.Any(o => o.Worker == r.Worker && o.Number > r.Number && o.Completed)).ToList();
            var diedRight = workers.Where(w => w.End == WorkerEnd.Died && mine.Any(r => r.Number == w.LastCompletedRequest)).ToList();
            string kept = after.Count > 0
                ? $"and the worker went on serving (request {after[0].Number} was followed by request " +
                  $"{requests.Where(o => o.Worker == after[0].Worker && o.Number > after[0].Number && o.Completed).Min(o => o.Number)} " +
                  "on the same worker)"
                : "(no later request on the same worker to show it kept serving)";
            yield return new Finding
            {
                Kind = "script_exit", Script = script, Request = mine[0].Number,
                Message = $"{Path.GetFileName(script)} calls exit()/die() (line {line}): its {mine.Count} request(s) completed with " +
                          $"END_REQUEST {kept}: exit() in a script ends the request, not php-cgi, and is not a cause of '{IisError}'" +
                          (diedRight.Count > 0 ? " (a worker did exit after one of them: see its own finding)" : ""),
            };
        }
    }

    [GeneratedRegex(@"\b(exit|die)\s*(\(|;)", RegexOptions.IgnoreCase)]
    private static partial Regex ExitCall();

    public static int ExitLine(string source)
    {
        var m = ExitCall().Match(source);
        return m.Success ? source[..m.Index].Count(c => c == '\n') + 1 : 0;
    }

    static string WorkerName(string path) => Path.GetFileName(path) is { Length: > 0 } n ? n : path;

    static string Query(RequestRecord r) => r.Query.Length == 0 ? "" : $"?{r.Query}";

    public static string Step(string? step) => step switch
    {
        "connect" => "connect",
        "params" => "sending params",
        "stdin" => "sending stdin",
        "reading_stdout" => "reading stdout",
        "after_end_request" => "after END_REQUEST",
        null => "no request in flight",
        _ => step,
    };

    static string FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .FirstOrDefault() ?? "";
}
