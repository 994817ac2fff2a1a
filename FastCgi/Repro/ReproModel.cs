using System.Text.Json.Serialization;

namespace FcgiExt.FastCgi.Repro;

/// <summary>One request to send: the script (a file path of this machine), the method, the query string and the body.</summary>
public sealed record RequestSpec(string Method, string ScriptPath, string Query = "", byte[]? Body = null)
{
    /// <summary>A line of a --requests file: `[METHOD] &lt;script&gt;[?query] [@body-file]`; relative paths are read from
    /// <paramref name="baseDir"/>.</summary>
    public static RequestSpec Parse(string line, string baseDir)
    {
        var words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        int at = 0;
        string method = "GET";
        if (words.Length > 1 && words[0].All(char.IsAsciiLetterUpper)) method = words[at++];
        if (at >= words.Length) throw new FormatException($"no script in \"{line}\"");
        string target = words[at++];
        int q = target.IndexOf('?');
        string script = q < 0 ? target : target[..q], query = q < 0 ? "" : target[(q + 1)..];
        byte[]? body = null;
        if (at < words.Length)
        {
            if (!words[at].StartsWith('@') || at + 1 < words.Length)
                throw new FormatException($"after the script only @<body file> may follow in \"{line}\"");
            body = File.ReadAllBytes(Path.Combine(baseDir, words[at][1..]));
        }
        return new RequestSpec(method, Path.GetFullPath(Path.Combine(baseDir, script)), query, body);
    }
}

public sealed record ReproOptions
{
    public required string Worker { get; init; }
    public IReadOnlyList<string> WorkerArguments { get; init; } = [];
    public required IReadOnlyList<RequestSpec> Requests { get; init; }
    /// <summary>How many requests to send in all (the request list is cycled).</summary>
    public int Count { get; init; } = 1;
    /// <summary>Workers at once, as IIS's maxInstances.</summary>
    public int Concurrency { get; init; } = 1;
    /// <summary>Requests per worker before the driver recycles it, as IIS's instanceMaxRequests (default 200 there too).</summary>
    public int InstanceMaxRequests { get; init; } = 200;
    /// <summary>The worker's environment: IIS's &lt;environmentVariables&gt; over the driver's own environment.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public bool KeepConn { get; init; } = true;
    /// <summary>IIS's requestTimeout default: 90 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(90);
    /// <summary>How long a worker whose connection broke gets to be seen exiting before it counts as alive.</summary>
    public TimeSpan ExitWait { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>How workers start: a Unix socket as fd 0 (the default) or IIS's named pipe (<see cref="PipeWorkerProcess"/>).</summary>
    [JsonIgnore] public WorkerLauncher Launcher { get; init; } = WorkerProcess.Launch;
    /// <summary>What a debugger saw of a worker (fcgi repro --debug): asked for each worker when it has ended.</summary>
    [JsonIgnore] public Func<int, Task<DebugCapture?>>? DebugCaptureOf { get; init; }
}

/// <summary>A worker's crash as the debugger engine caught it: the full dump written at the stop and the !fcgi verdict of
/// that moment (the JSON of `!fcgi -json`), or why there is none.</summary>
public sealed record DebugCapture
{
    public string? Dump { get; init; }
    public string? Code { get; init; }
    public System.Text.Json.JsonElement? Verdict { get; init; }
    public string? Error { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<WorkerEnd>))]
public enum WorkerEnd
{
    /// <summary>The driver recycled it after instanceMaxRequests, as IIS does.</summary>
    [JsonStringEnumMemberName("recycled")] Recycled,
    /// <summary>The driver stopped it at the end of the run.</summary>
    [JsonStringEnumMemberName("stopped")] Stopped,
    /// <summary>It went away on its own: the case IIS reports as "The FastCGI process exited unexpectedly".</summary>
    [JsonStringEnumMemberName("died")] Died,
    /// <summary>The driver killed it: it hung past the request timeout, or broke the connection and stayed alive.</summary>
    [JsonStringEnumMemberName("killed")] Killed,
}

public sealed record RequestRecord
{
    public required int Number { get; init; }
    public required int Worker { get; init; }
    public required string Script { get; init; }
    public required string Method { get; init; }
    public string Query { get; init; } = "";
    public required bool Completed { get; init; }
    /// <summary>connect, params, stdin, reading_stdout, after_end_request.</summary>
    public required string Step { get; init; }
    public string? Failure { get; init; }
    /// <summary>The Status: header of the response (200 when there is none), null when no headers came.</summary>
    public int? HttpStatus { get; init; }
    public uint? AppStatus { get; init; }
    public string? ProtocolStatus { get; init; }
    public int StdoutBytes { get; init; }
    public string? Stderr { get; init; }
    public string? BodyStart { get; init; }
    public double DurationMs { get; init; }
    [JsonIgnore] public string Stdout { get; init; } = "";
}

public sealed record WorkerRecord
{
    public required int Index { get; init; }
    public required int Slot { get; init; }
    public required int Pid { get; init; }
    public required WorkerEnd End { get; init; }
    public int? ExitCode { get; init; }
    public string? Signal { get; init; }
    /// <summary>The exception a Windows worker died of ("0xc0000005 STATUS_ACCESS_VIOLATION"): its exit code was an NTSTATUS
    /// error.</summary>
    public string? Exception { get; init; }
    public bool CoreDumped { get; init; }
    public int RequestsServed { get; init; }
    public int? FirstRequest { get; init; }
    public int? LastCompletedRequest { get; init; }
    /// <summary>The request in flight when the worker went away, and the protocol step it had reached.</summary>
    public int? RequestAtEnd { get; init; }
    public string? StepAtEnd { get; init; }
    public string? FailureAtEnd { get; init; }
    public double LifetimeMs { get; init; }
    /// <summary>From the last END_REQUEST to the exit (the window of the recycle race).</summary>
    public double? ExitAfterLastEndRequestMs { get; init; }
    /// <summary>What the worker wrote on its own stderr, outside FastCGI.</summary>
    public string? ProcessStderr { get; init; }
    /// <summary>Under --debug: the dump and verdict of its crash.</summary>
    public DebugCapture? Debug { get; init; }
}

public sealed record Finding
{
    /// <summary>recycle_race, crash, exit_status, startup_failure, connection_closed, timeout, rapid_failure, script_exit,
    /// stderr.</summary>
    public required string Kind { get; init; }
    public required string Message { get; init; }
    public string? Fix { get; init; }
    public int? Worker { get; init; }
    public int? Request { get; init; }
    public string? Step { get; init; }
    public string? Script { get; init; }
    /// <summary>How many workers this finding stands for: the same death repeated (each recycle, each replacement).</summary>
    public int Count { get; init; } = 1;
    /// <summary>The requests each of those deaths hit, when more than one.</summary>
    public IReadOnlyList<int>? Requests { get; init; }
    /// <summary>The signal of a crash.</summary>
    public string? Signal { get; init; }
    /// <summary>The exception of a Windows worker's crash ("0xc0000005 STATUS_ACCESS_VIOLATION").</summary>
    public string? Exception { get; init; }
    /// <summary>Under --debug: the dump of that crash.</summary>
    public string? Dump { get; init; }
}

public sealed record ReproSettings
{
    public required string Worker { get; init; }
    public required int Requests { get; init; }
    public required int Concurrency { get; init; }
    public required int InstanceMaxRequests { get; init; }
    /// <summary>The value the worker saw, or null when unset (php-cgi then recycles after 500).</summary>
    public string? PhpFcgiMaxRequests { get; init; }
    public required bool KeepConn { get; init; }
    public required IReadOnlyDictionary<string, string> Env { get; init; }
}

public sealed record ReproReport
{
    public int SchemaVersion { get; init; } = 1;
    public required ReproSettings Settings { get; init; }
    public required IReadOnlyList<RequestRecord> Requests { get; init; }
    public required IReadOnlyList<WorkerRecord> Workers { get; init; }
    public required IReadOnlyList<Finding> Findings { get; init; }
    public int Served => Requests.Count(r => r.Completed);
    public int Failed => Requests.Count(r => !r.Completed);
    public int UnexpectedExits => Workers.Count(w => w.End == WorkerEnd.Died);
    public double ElapsedMs { get; init; }
}
