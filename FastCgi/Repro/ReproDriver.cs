using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace FcgiExt.FastCgi.Repro;

/// <summary>
/// Drives FastCGI workers the way IIS's FastCGI module does: up to C workers (maxInstances), one request at a time
/// each, the next request sent the moment the previous END_REQUEST arrives, KEEP_CONN set, a worker recycled by the
/// driver after M requests (instanceMaxRequests). Every worker is watched (waitpid) so each death is tied to the request
/// in flight and the protocol step it had reached.
/// </summary>
public static class ReproDriver
{
    public static async Task<ReproReport> RunAsync(ReproOptions options, CancellationToken cancel = default)
    {
        if (options.Requests.Count == 0) throw new ArgumentException("no requests to send", nameof(options));
        var env = WorkerEnvironment(options.Environment);
        var run = new Run(options, env);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(1, Math.Max(1, Math.Min(options.Concurrency, options.Count)))
            .Select(slot => Task.Run(() => run.SlotAsync(slot, cancel), cancel)));
        var requests = run.Requests.OrderBy(r => r.Number).ToList();
        var workers = run.Workers.OrderBy(w => w.Index).ToList();
        env.TryGetValue("PHP_FCGI_MAX_REQUESTS", out string? phpMax);
        var settings = new ReproSettings
        {
            Worker = options.Worker, Requests = options.Count, Concurrency = options.Concurrency,
            InstanceMaxRequests = options.InstanceMaxRequests, PhpFcgiMaxRequests = phpMax, KeepConn = options.KeepConn,
            Env = options.Environment,
        };
        var scripts = options.Requests.Select(r => r.ScriptPath).Distinct()
            .ToDictionary(p => p, p => File.Exists(p) ? File.ReadAllText(p) : "");
        double elapsed = clock.Elapsed.TotalMilliseconds;
        return new ReproReport
        {
            Settings = settings, Requests = requests, Workers = workers,
            Findings = ReproVerdicts.Find(settings, requests, workers, scripts, elapsed), ElapsedMs = elapsed,
        };
    }

    /// <summary>IIS passes &lt;environmentVariables&gt; first, then w3wp's environment; here the driver's environment is w3wp's.</summary>
    public static Dictionary<string, string> WorkerEnvironment(IReadOnlyDictionary<string, string> extra)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            env[(string)e.Key] = (string?)e.Value ?? "";
        foreach (var (k, v) in extra) env[k] = v;
        return env;
    }

    /// <summary>The CGI variables IIS 10 sends a FastCGI application for a request to this script.</summary>
    public static List<KeyValuePair<string, string>> IisParams(RequestSpec spec, int requestNumber)
    {
        string dir = Path.GetDirectoryName(spec.ScriptPath) ?? "/";
        string name = "/" + Path.GetFileName(spec.ScriptPath);
        string uri = spec.Query.Length == 0 ? name : $"{name}?{spec.Query}";
        int length = spec.Body?.Length ?? 0;
        var p = new List<KeyValuePair<string, string>>
        {
            new("GATEWAY_INTERFACE", "CGI/1.1"),
            new("SERVER_SOFTWARE", "Microsoft-IIS/10.0"),
            new("SERVER_PROTOCOL", "HTTP/1.1"),
            new("SERVER_NAME", "localhost"),
            new("SERVER_PORT", "80"),
            new("SERVER_PORT_SECURE", "0"),
            new("HTTPS", "off"),
            new("INSTANCE_ID", "1"),
            new("APPL_MD_PATH", "/LM/W3SVC/1/ROOT"),
            new("APPL_PHYSICAL_PATH", dir.EndsWith('/') ? dir : dir + "/"),
            new("REMOTE_ADDR", "127.0.0.1"),
            new("REMOTE_HOST", "127.0.0.1"),
            new("REMOTE_PORT", (50000 + requestNumber % 10000).ToString(CultureInfo.InvariantCulture)),
            new("REQUEST_METHOD", spec.Method),
            new("QUERY_STRING", spec.Query),
            new("REQUEST_URI", uri),
            new("SCRIPT_NAME", name),
            new("PATH_INFO", name),
            new("SCRIPT_FILENAME", spec.ScriptPath),
            new("PATH_TRANSLATED", spec.ScriptPath),
            new("CONTENT_LENGTH", length.ToString(CultureInfo.InvariantCulture)),
            new("HTTP_HOST", "localhost"),
            new("HTTP_USER_AGENT", "fcgi-repro"),
        };
        if (length > 0) p.Add(new("CONTENT_TYPE", "application/x-www-form-urlencoded"));
        return p;
    }

    sealed class Run(ReproOptions options, Dictionary<string, string> env)
    {
        int nextRequest, nextWorker;
        string TimeoutText => $"no END_REQUEST within {options.RequestTimeout.TotalSeconds:0.###} s (request timeout)";
        public readonly ConcurrentBag<RequestRecord> Requests = [];
        public readonly ConcurrentBag<WorkerRecord> Workers = [];

        /// <summary>One worker slot: spawn, serve until recycled or dead, spawn the next, until the requests run out.</summary>
        public async Task SlotAsync(int slot, CancellationToken cancel)
        {
            Live? live = null;
            try
            {
                int number;
                while ((number = Interlocked.Increment(ref nextRequest)) <= options.Count)
                {
                    if (live is not null && live.Served >= options.InstanceMaxRequests)
                    {
                        await EndAsync(live, WorkerEnd.Recycled, null);
                        live = null;
                    }
                    live ??= Spawn(slot);
                    var spec = options.Requests[(number - 1) % options.Requests.Count];
                    var (record, result) = await SendAsync(live, number, spec, cancel);
                    Requests.Add(record);
                    if (record.Completed)
                    {
                        live.Served++;
                        live.LastCompleted = number;
                        live.LastEndRequest = result?.EndRequestAt ?? DateTime.UtcNow;
                        if (!options.KeepConn) live.DropConnection();
                        continue;
                    }
                    live.DropConnection();
                    // Past the request timeout IIS terminates the process outright (no waiting to see whether it leaves).
                    if (result is null && record.Failure == TimeoutText) live.Process.Kill();
                    var died = await Task.WhenAny(live.Process.Exit, Task.Delay(options.ExitWait, cancel)) == live.Process.Exit
                               && !live.Process.EndedByDriver;
                    await EndAsync(live, died ? WorkerEnd.Died : WorkerEnd.Killed,
                        (number, record.Step, record.Failure ?? result?.Failure));
                    live = null;
                }
                if (live is not null)
                {
                    // A worker that leaves right after its last request (PHP_FCGI_MAX_REQUESTS reached) is still a
                    // voluntary exit: give it the race window's time to show before stopping it.
                    await Task.WhenAny(live.Process.Exit, Task.Delay(200, cancel));
                    await EndAsync(live, WorkerEnd.Stopped, null);
                    live = null;
                }
            }
            finally
            {
                if (live is not null) await live.Process.StopAsync(TimeSpan.FromSeconds(2));
                live?.Dispose();
            }
        }

        Live Spawn(int slot)
        {
            int index = Interlocked.Increment(ref nextWorker);
            var process = options.Launcher(options.Worker, options.WorkerArguments, env);
            return new Live(index, slot, process);
        }

        async Task<(RequestRecord, FastCgiResult?)> SendAsync(Live live, int number, RequestSpec spec, CancellationToken cancel)
        {
            live.First ??= number;
            var clock = Stopwatch.StartNew();
            RequestRecord Record(FastCgiStep step, string? failure, FastCgiResult? r)
            {
                string stdout = r is null ? "" : Encoding.UTF8.GetString(r.Stdout);
                var (status, body) = HttpResponse.Split(stdout);
                return new RequestRecord
                {
                    Number = number, Worker = live.Index, Script = spec.ScriptPath, Method = spec.Method, Query = spec.Query,
                    Completed = step == FastCgiStep.AfterEndRequest, Step = StepName(step), Failure = failure,
                    HttpStatus = r is { Stdout.Length: > 0 } ? status : null, AppStatus = r?.Completed == true ? r.AppStatus : null,
                    ProtocolStatus = r?.Completed == true ? r.ProtocolStatus.ToString() : null, StdoutBytes = r?.Stdout.Length ?? 0,
                    Stderr = r is { Stderr.Length: > 0 } ? Encoding.UTF8.GetString(r.Stderr) : null,
                    BodyStart = body.Length == 0 ? null : body[..Math.Min(body.Length, 200)], Stdout = stdout,
                    DurationMs = clock.Elapsed.TotalMilliseconds,
                };
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(options.RequestTimeout);
            if (live.Stream is null)
            {
                try
                {
                    live.Stream = await live.Process.ConnectAsync(timeout.Token);
                }
                catch (Exception e) when (e is SocketException or IOException
                                              or OperationCanceledException && !cancel.IsCancellationRequested)
                {
                    string why = e is OperationCanceledException ? TimeoutText : FastCgiClient.Describe(e) ?? e.Message;
                    return (Record(FastCgiStep.Connect, why, null), null);
                }
            }
            var client = new FastCgiClient(live.Stream!);
            var request = new FastCgiRequest
            {
                RequestId = 1, KeepConn = options.KeepConn, Params = IisParams(spec, number), Stdin = spec.Body ?? [],
            };
            try
            {
                var result = await client.RunAsync(request, timeout.Token);
                return (Record(result.Step, result.Failure, result), result);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                return (Record(FastCgiStep.ReadingStdout, TimeoutText, null), null);
            }
        }

        async Task EndAsync(Live live, WorkerEnd end, (int Request, string Step, string? Failure)? inFlight)
        {
            live.DropConnection();
            WorkerExit exit;
            if (end == WorkerEnd.Died) exit = await live.Process.Exit;
            else exit = await live.Process.StopAsync(TimeSpan.FromSeconds(2));
            // Gone by itself before the driver retired it: a death when IIS would still have sent it requests, and
            // harmless when its own limit and instanceMaxRequests agree (IIS retires it at that moment anyway).
            if (end == WorkerEnd.Stopped && !live.Process.EndedByDriver)
                end = live.Served < options.InstanceMaxRequests ? WorkerEnd.Died : WorkerEnd.Recycled;
            string stderr = await live.Process.StderrTextAsync(TimeSpan.FromMilliseconds(500));
            var exited = live.Process.Exited ?? DateTime.UtcNow;
            var debug = options.DebugCaptureOf is { } capture ? await capture(live.Process.Pid) : null;
            Workers.Add(new WorkerRecord
            {
                Index = live.Index, Slot = live.Slot, Pid = live.Process.Pid, End = end, ExitCode = exit.ExitCode,
                Signal = exit.Signal is null ? null : exit.SignalName, Exception = exit.ExceptionName, CoreDumped = exit.CoreDumped,
                RequestsServed = live.Served,
                FirstRequest = live.First, LastCompletedRequest = live.LastCompleted, RequestAtEnd = inFlight?.Request,
                StepAtEnd = inFlight?.Step ?? (live.LastCompleted is null ? null : StepName(FastCgiStep.AfterEndRequest)),
                FailureAtEnd = inFlight?.Failure, LifetimeMs = (exited - live.Process.Started).TotalMilliseconds,
                ExitAfterLastEndRequestMs = live.LastEndRequest is { } t ? (exited - t).TotalMilliseconds : null,
                ProcessStderr = stderr.Length == 0 ? null : stderr, Debug = debug,
            });
            live.Dispose();
        }
    }

    public static string StepName(FastCgiStep step) => step switch
    {
        FastCgiStep.Connect => "connect",
        FastCgiStep.Params => "params",
        FastCgiStep.Stdin => "stdin",
        FastCgiStep.ReadingStdout => "reading_stdout",
        _ => "after_end_request",
    };

    sealed class Live(int index, int slot, IFastCgiWorker process) : IDisposable
    {
        public int Index { get; } = index;
        public int Slot { get; } = slot;
        public IFastCgiWorker Process { get; } = process;
        public Stream? Stream { get; set; }
        public int Served { get; set; }
        public int? First { get; set; }
        public int? LastCompleted { get; set; }
        public DateTime? LastEndRequest { get; set; }

        public void DropConnection()
        {
            Stream?.Dispose();
            Stream = null;
        }

        public void Dispose()
        {
            DropConnection();
            Process.Dispose();
        }
    }
}

/// <summary>A CGI response: the Status header (200 when absent) and the body after the blank line.</summary>
public static class HttpResponse
{
    public static (int Status, string Body) Split(string stdout)
    {
        int end = stdout.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        int skip = 4;
        if (end < 0) { end = stdout.IndexOf("\n\n", StringComparison.Ordinal); skip = 2; }
        string headers = end < 0 ? stdout : stdout[..end];
        string body = end < 0 ? "" : stdout[(end + skip)..];
        int status = 200;
        foreach (var line in headers.Split('\n'))
            if (line.StartsWith("Status:", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(line[7..].Trim().Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out int s))
                status = s;
        return (status, body);
    }
}
