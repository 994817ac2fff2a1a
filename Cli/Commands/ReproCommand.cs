using System.CommandLine;
using System.Text.Json.Nodes;
using FcgiExt.Cli.Engine;
using FcgiExt.DbgEng;
using FcgiExt.FastCgi.Repro;
using FcgiExt.RulesEngine.Reporting;

namespace FcgiExt.Cli.Commands;

/// <summary>
/// `fcgi repro`: drives a FastCGI worker the way IIS's FastCGI module does (FastCgi/Repro does the work) and says which
/// of the causes of "The FastCGI process exited unexpectedly" it saw. A Linux php-cgi is driven here over a Unix socket; a
/// Windows php-cgi.exe over IIS's named pipe, by the engine host (`fcgihost repro`, under Wine on Linux: the driver's end of
/// the pipe must be a Windows process), or in this process on Windows. Exit codes: 0 no worker died unexpectedly, 1 one
/// did, 2 usage.
/// </summary>
public static class ReproCommand
{
    public const int NoDeaths = 0, WorkerDied = 1, UsageError = 2;

    static readonly Option<string> WorkerOption = new("--worker")
    {
        Description = "The FastCGI worker to spawn: php-cgi (Linux, a Unix socket as fd 0) or php-cgi.exe (Windows, IIS's named " +
                      "pipe; under Wine on Linux); default php-cgi on PATH",
        HelpName = "php-cgi path",
        DefaultValueFactory = _ => "php-cgi",
    };
    static readonly Option<FileInfo?> ScriptOption = Usage.ExistingPaths(new Option<FileInfo?>("--script")
    {
        Description = "The script every request runs", HelpName = "file.php",
    });
    static readonly Option<FileInfo?> RequestsOption = Usage.ExistingPaths(new Option<FileInfo?>("--requests")
    {
        Description = "Requests, one a line: [METHOD] <script>[?query] [@body-file] (paths relative to the file; # comments); cycled",
        HelpName = "file",
    });
    static readonly Option<int?> CountOption = new("-n")
    {
        Description = "Requests to send in all (default 1 with --script, one per line with --requests)", HelpName = "N",
    };
    static readonly Option<int> ConcurrencyOption = new("-c")
    {
        Description = "Workers at once, as IIS's maxInstances (default 1)", HelpName = "C", DefaultValueFactory = _ => 1,
    };
    static readonly Option<int> InstanceMaxOption = new("--instance-max-requests")
    {
        Description = "Recycle a worker after M requests, as IIS's instanceMaxRequests (default 200, IIS's default)", HelpName = "M",
        DefaultValueFactory = _ => 200,
    };
    static readonly Option<string[]> EnvOption = new("--env")
    {
        Description = "A variable of the worker's environment, as IIS's <environmentVariables> (PHP_FCGI_MAX_REQUESTS=3); repeatable",
        HelpName = "NAME=VALUE", Arity = ArgumentArity.ZeroOrMore,
    };
    static readonly Option<FileInfo?> PhpIniOption = Usage.ExistingPaths(new Option<FileInfo?>("--php-ini")
    {
        Description = "The php.ini the worker uses (passed as -c <file>)", HelpName = "file",
    });
    static readonly Option<bool> DebugOption = new("--debug")
    {
        Description = "Run each worker (php-cgi.exe) under the debugger engine: its crash is dumped to --out and the dump's verdict " +
                      "printed with the report",
    };
    static readonly Option<string?> OutOption = new("--out")
    {
        Description = "Folder to write the report to (repro.txt, repro.json) and, under --debug, the dumps", HelpName = "dir",
    };
    static readonly Option<string> FormatOption = new("--format")
    {
        Description = "text: findings and workers for a terminal; json: the report of docs/repro.schema.json",
        DefaultValueFactory = _ => "text",
    };

    static readonly Option<string[]> RulesOption = SiteCatalogs.RulesOption();

    public static Command Create()
    {
        FormatOption.AcceptOnlyFromAmong("text", "json");
        var command = new Command("repro",
            "Drive a FastCGI worker (php-cgi) the way IIS does — N requests over C workers, recycled after M — and report each " +
            "worker death: crash, exit, or php-cgi's own recycling, with the request and protocol step it hit. " +
            "Exit codes: 0 no worker died unexpectedly, 1 one did, 2 usage.");
        foreach (var o in new Option[] { WorkerOption, ScriptOption, RequestsOption, CountOption, ConcurrencyOption, InstanceMaxOption,
                     EnvOption, PhpIniOption, DebugOption, OutOption, FormatOption, RulesOption })
            command.Options.Add(o);
        command.SetAction(parse => Run(new ReproRequest
        {
            Worker = parse.GetValue(WorkerOption)!, Script = parse.GetValue(ScriptOption)?.FullName,
            Requests = parse.GetValue(RequestsOption)?.FullName, Count = parse.GetValue(CountOption),
            Concurrency = parse.GetValue(ConcurrencyOption), InstanceMaxRequests = parse.GetValue(InstanceMaxOption),
            Env = parse.GetValue(EnvOption) ?? [], PhpIni = parse.GetValue(PhpIniOption)?.FullName, Debug = parse.GetValue(DebugOption),
            Out = parse.GetValue(OutOption), Format = parse.GetValue(FormatOption)!, Rules = parse.GetValue(RulesOption) ?? [],
        }, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    public sealed record ReproRequest
    {
        public string Worker { get; init; } = "php-cgi";
        public string? Script { get; init; }
        public string? Requests { get; init; }
        public int? Count { get; init; }
        public int Concurrency { get; init; } = 1;
        public int InstanceMaxRequests { get; init; } = 200;
        public IReadOnlyList<string> Env { get; init; } = [];
        public string? PhpIni { get; init; }
        public bool Debug { get; init; }
        public string? Out { get; init; }
        public string Format { get; init; } = "text";
        public IReadOnlyList<string> Rules { get; init; } = [];
    }

    public static int Run(ReproRequest r, TextWriter stdout, TextWriter stderr)
    {
        int Usage(string message)
        {
            stderr.WriteLine($"fcgi repro: {message}");
            Commands.Usage.Write(stderr, "repro");
            return UsageError;
        }
        if ((r.Script is null) == (r.Requests is null)) return Usage("give one of --script <file.php> or --requests <file>");
        if (r.Count is <= 0) return Usage("-n needs a positive number of requests");
        if (r.Concurrency <= 0) return Usage("-c needs a positive number of workers");
        if (r.InstanceMaxRequests <= 0) return Usage("--instance-max-requests needs a positive number (IIS allows 1–10000000)");
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in r.Env)
        {
            int eq = e.IndexOf('=');
            if (eq <= 0) return Usage($"--env {e}: give NAME=VALUE");
            env[e[..eq]] = e[(eq + 1)..];
        }
        List<RequestSpec> specs;
        try
        {
            specs = r.Script is { } script ? [new RequestSpec("GET", script)] : ReadRequests(r.Requests!);
        }
        catch (Exception e) when (e is FormatException or IOException)
        {
            return Usage($"{r.Requests}: {e.Message}");
        }
        if (specs.Count == 0) return Usage($"{r.Requests}: no requests in it");
        // php-cgi would answer 404 "No input file specified" to each: a typo, not a finding.
        if (specs.FirstOrDefault(s => !File.Exists(s.ScriptPath)) is { } missing)
            return Usage($"{missing.ScriptPath}: no such script{(r.Requests is null ? "" : $" (in {r.Requests})")}");
        string? worker = OperatingSystem.IsWindows() ? WindowsWorkerPath(r.Worker) : WorkerProcess.FindOnPath(r.Worker);
        if (worker is null)
            return Usage(r.Worker == "php-cgi" ? "php-cgi is not on PATH (Debian: apt-get install php-cgi), or give --worker <path>"
                                               : $"--worker {r.Worker}: no such file");
        bool windowsWorker = OperatingSystem.IsWindows() || IsWindowsImage(worker);
        if (r.Debug && !windowsWorker)
            return Usage($"--debug runs a Windows worker (php-cgi.exe) under the debugger engine; {worker} is not one: for a Linux " +
                         "php-cgi use a core dump (ulimit -c unlimited) or gdb");
        if (r.Debug && r.Out is null) return Usage("--debug needs --out <dir> (the dumps go there)");
        var options = new ReproOptions
        {
            Worker = worker, WorkerArguments = r.PhpIni is { } ini ? ["-c", ini] : [], Requests = specs,
            Count = r.Count ?? specs.Count, Concurrency = r.Concurrency, InstanceMaxRequests = r.InstanceMaxRequests, Environment = env,
        };
        ReproReport report;
        try
        {
            report = !windowsWorker ? ReproDriver.RunAsync(options).GetAwaiter().GetResult()
                : OperatingSystem.IsWindows() ? RunHere(options, r)
                : RunUnderWine(options, r, stderr);
        }
        catch (IOException e) when (e.Message.StartsWith("cannot start", StringComparison.Ordinal))
        {
            return Usage($"--worker {worker}: {e.Message}");
        }
        catch (WorkerHostException e)
        {
            stderr.WriteLine($"fcgi repro: {e.Message}");
            return e.Usage ? UsageError : WorkerDied;
        }
        string sympath = string.Join(';', CaptureCommand.WorkerSymbolFolders(worker));
        string text = ReproRender.ToText(report, Batch.BatchTriageJob.TerminalWidth()) + DebugText(report, sympath);
        string json = ReproRender.ToJson(report, BatchJsonReport.ToolVersion) + "\n";
        stdout.Write(r.Format == "json" ? json : text);
        if (r.Out is { } dir)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "repro.txt"), text);
            File.WriteAllText(Path.Combine(dir, "repro.json"), json);
        }
        return report.UnexpectedExits > 0 ? WorkerDied : NoDeaths;
    }

    /// <summary>Under --debug, each dump and the verdict of its crash, as `fcgi capture` prints them.</summary>
    static string DebugText(ReproReport report, string sympath)
    {
        var t = new StringWriter();
        foreach (var w in report.Workers.Where(w => w.Debug is not null))
        {
            var d = w.Debug!;
            var request = report.Requests.FirstOrDefault(q => q.Number == w.RequestAtEnd);
            t.WriteLine();
            t.WriteLine($"Worker #{w.Index} (pid {w.Pid}) under the debugger: {d.Code ?? w.Exception ?? "no crash"}" +
                        (request is null ? "" : $" during request {request.Number} ({Path.GetFileName(request.Script)})"));
            if (d.Verdict is { } v && JsonNode.Parse(v.GetRawText()) is JsonObject verdict)
                CaptureCommand.WriteVerdict(t, verdict, d.Dump);
            if (d.Dump is { } dump) t.WriteLine($"  Dump:       {dump}");
            if (d.Error is { } error) t.WriteLine($"  Error:      {error}");
            if (d.Dump is { } full) t.WriteLine(CaptureCommand.FullReportLine(full, sympath));
        }
        return t.ToString();
    }

    /// <summary>A PE image ("MZ"), or a name ending in .exe: the worker is a Windows program.</summary>
    public static bool IsWindowsImage(string path)
    {
        if (path.EndsWith(".exe", StringComparison.OrdinalIgnoreCase)) return true;
        try
        {
            using var f = File.OpenRead(path);
            return f.ReadByte() == 'M' && f.ReadByte() == 'Z';
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    static string? WindowsWorkerPath(string worker)
    {
        string name = worker == "php-cgi" ? "php-cgi.exe" : worker;
        if (File.Exists(name)) return Path.GetFullPath(name);
        if (name.Contains('\\') || name.Contains('/')) return null;
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    static List<string> CatalogPaths(ReproRequest r) => SiteCatalogs.Plan(null, r.Rules).Select(l => l.Path).ToList();

    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    static ReproReport RunHere(ReproOptions options, ReproRequest r)
    {
        string sympath = string.Join(';', CaptureCommand.WorkerSymbolFolders(options.Worker));
        using var debugger = r.Debug ? new ReproDebugger(r.Out!, sympath, CatalogPaths(r)) : null;
        var report = ReproDriver.RunAsync(ReproDebugger.WindowsWorkers(options, debugger)).GetAwaiter().GetResult();
        return debugger?.Failure is { } failure ? throw new WorkerHostException($"the debugger engine: {failure}", false) : report;
    }

    /// <summary>Hands the run to `fcgihost repro` under Wine with every path as Wine sees it, and takes the report back with
    /// this machine's paths. The findings are made again here from the records: their sentences name the scripts as the
    /// user gave them.</summary>
    static ReproReport RunUnderWine(ReproOptions options, ReproRequest r, TextWriter stderr)
    {
        var job = options with
        {
            Worker = WineRunner.ToWinePath(options.Worker),
            WorkerArguments = options.WorkerArguments.Select(a => File.Exists(a) ? WineRunner.ToWinePath(a) : a).ToList(),
            Requests = options.Requests.Select(q => q with { ScriptPath = WineRunner.ToWinePath(q.ScriptPath) }).ToList(),
        };
        string jobFile = Path.Combine(Path.GetTempPath(), $"fcgi-repro-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
        File.WriteAllText(jobFile, ReproRender.OptionsToJson(job));
        try
        {
            var args = new List<string> { "repro", "--job", WineRunner.ToWinePath(jobFile) };
            if (r.Debug)
            {
                Directory.CreateDirectory(r.Out!);
                args.AddRange(["--debug", "--out", WineRunner.ToWinePath(r.Out!), "--sympath",
                    string.Join(';', CaptureCommand.WorkerSymbolFolders(options.Worker).Select(WineRunner.ToWinePath))]);
                foreach (var rules in CatalogPaths(r)) args.AddRange(["--rules", WineRunner.ToWinePath(rules)]);
            }
            var wine = new WineRunner();
            // Every request may take IIS's request timeout; beyond that the driver itself has hung.
            var limit = TimeSpan.FromMinutes(5) + options.RequestTimeout * Math.Max(1, options.Count / Math.Max(1, options.Concurrency));
            var run = wine.RunHost(args, limit);
            // FCGIEXT_TRACE=1: the engine host's trace of the live sessions, for whoever debugs the debugging.
            if (Environment.GetEnvironmentVariable("FCGIEXT_TRACE") == "1") stderr.Write(run.Stderr);
            string lastError = run.Stderr.Split('\n').Select(l => l.Trim())
                .LastOrDefault(l => l.StartsWith("fcgihost", StringComparison.Ordinal)) ?? run.Stderr.Trim().Split('\n')[^1].Trim();
            if (run.TimedOut) throw new WorkerHostException($"the engine host did not finish within {limit.TotalMinutes:0} min", false);
            if (run.ExitCode == UsageError) throw new WorkerHostException(lastError.Replace("fcgihost repro: ", ""), true);
            if (run.ExitCode is not (NoDeaths or WorkerDied) || run.Stdout.Trim().Length == 0)
                throw new WorkerHostException($"the engine host failed (exit {run.ExitCode}): {lastError}", false);
            var report = ReproRender.FromJson(run.Stdout);
            var requests = report.Requests.Select(q => q with { Script = WineRunner.FromWinePath(q.Script) }).ToList();
            var workers = report.Workers.Select(w => w.Debug is { Dump: { } dump }
                ? w with { Debug = w.Debug with { Dump = WineRunner.FromWinePath(dump) } } : w).ToList();
            var settings = report.Settings with { Worker = options.Worker };
            var scripts = options.Requests.Select(q => q.ScriptPath).Distinct()
                .ToDictionary(p => p, p => File.Exists(p) ? File.ReadAllText(p) : "");
            if (run.Stderr.Contains("fcgihost repro: the debugger engine:", StringComparison.Ordinal))
                stderr.WriteLine($"fcgi repro: {lastError.Replace("fcgihost repro: ", "")}");
            return report with
            {
                Settings = settings, Requests = requests, Workers = workers,
                Findings = ReproVerdicts.Find(settings, requests, workers, scripts, report.ElapsedMs),
            };
        }
        finally
        {
            File.Delete(jobFile);
        }
    }

    /// <summary>The engine host could not run the repro: a usage error of its own (the worker cannot start) or a failure.</summary>
    sealed class WorkerHostException(string message, bool usage) : Exception(message)
    {
        public bool Usage { get; } = usage;
    }

    static List<RequestSpec> ReadRequests(string file)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
        return File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => RequestSpec.Parse(l, dir)).ToList();
    }
}
