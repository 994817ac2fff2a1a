using System.CommandLine;
using FcgiExt.FastCgi.Repro;
using FcgiExt.RulesEngine.Reporting;

namespace FcgiExt.Cli.Commands;

/// <summary>
/// `fcgi repro`: drives a FastCGI worker the way IIS's FastCGI module does (FastCgi/Repro does the work) and says which
/// of the causes of "The FastCGI process exited unexpectedly" it saw. Exit codes: 0 no worker died unexpectedly,
/// 1 one did, 2 usage.
/// </summary>
public static class ReproCommand
{
    public const int NoDeaths = 0, WorkerDied = 1, UsageError = 2;

    static readonly Option<string> WorkerOption = new("--worker")
    {
        Description = "The FastCGI worker to spawn (default php-cgi on PATH)", HelpName = "php-cgi path",
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
        Description = "Run each worker under the debugger engine and dump its crash (Windows workers; not available on Linux yet)",
    };
    static readonly Option<string?> OutOption = new("--out")
    {
        Description = "Folder to write the report to (repro.txt, repro.json)", HelpName = "dir",
    };
    static readonly Option<string> FormatOption = new("--format")
    {
        Description = "text: findings and workers for a terminal; json: the report of docs/repro.schema.json",
        DefaultValueFactory = _ => "text",
    };

    public static Command Create()
    {
        FormatOption.AcceptOnlyFromAmong("text", "json");
        var command = new Command("repro",
            "Drive a FastCGI worker (php-cgi) the way IIS does — N requests over C workers, recycled after M — and report each " +
            "worker death: crash, exit, or php-cgi's own recycling, with the request and protocol step it hit. " +
            "Exit codes: 0 no worker died unexpectedly, 1 one did, 2 usage.");
        foreach (var o in new Option[] { WorkerOption, ScriptOption, RequestsOption, CountOption, ConcurrencyOption, InstanceMaxOption,
                     EnvOption, PhpIniOption, DebugOption, OutOption, FormatOption })
            command.Options.Add(o);
        command.SetAction(parse => Run(new ReproRequest
        {
            Worker = parse.GetValue(WorkerOption)!, Script = parse.GetValue(ScriptOption)?.FullName,
            Requests = parse.GetValue(RequestsOption)?.FullName, Count = parse.GetValue(CountOption),
            Concurrency = parse.GetValue(ConcurrencyOption), InstanceMaxRequests = parse.GetValue(InstanceMaxOption),
            Env = parse.GetValue(EnvOption) ?? [], PhpIni = parse.GetValue(PhpIniOption)?.FullName, Debug = parse.GetValue(DebugOption),
            Out = parse.GetValue(OutOption), Format = parse.GetValue(FormatOption)!,
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
    }

    public static int Run(ReproRequest r, TextWriter stdout, TextWriter stderr)
    {
        int Usage(string message)
        {
            stderr.WriteLine($"fcgi repro: {message}");
            Commands.Usage.Write(stderr, "repro");
            return UsageError;
        }
        if (r.Debug && !OperatingSystem.IsWindows())
            return Usage("--debug is not available on Linux yet (it runs Windows workers under the debugger engine); " +
                         "run without it, or use `fcgi capture` on the Windows server");
        if (r.Debug) return Usage("--debug is not implemented yet");
        if (OperatingSystem.IsWindows()) return Usage("the Windows named-pipe worker is not supported yet; on Linux it drives php-cgi");
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
        string? worker = WorkerProcess.FindOnPath(r.Worker);
        if (worker is null)
            return Usage(r.Worker == "php-cgi" ? "php-cgi is not on PATH (Debian: apt-get install php-cgi), or give --worker <path>"
                                               : $"--worker {r.Worker}: no such file");
        var options = new ReproOptions
        {
            Worker = worker, WorkerArguments = r.PhpIni is { } ini ? ["-c", ini] : [], Requests = specs,
            Count = r.Count ?? specs.Count, Concurrency = r.Concurrency, InstanceMaxRequests = r.InstanceMaxRequests, Environment = env,
        };
        ReproReport report;
        try
        {
            report = ReproDriver.RunAsync(options).GetAwaiter().GetResult();
        }
        catch (IOException e) when (e.Message.StartsWith("cannot start", StringComparison.Ordinal))
        {
            return Usage($"--worker {worker}: {e.Message}");
        }
        string text = ReproRender.ToText(report), json = ReproRender.ToJson(report, BatchJsonReport.ToolVersion) + "\n";
        stdout.Write(r.Format == "json" ? json : text);
        if (r.Out is { } dir)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "repro.txt"), text);
            File.WriteAllText(Path.Combine(dir, "repro.json"), json);
        }
        return report.UnexpectedExits > 0 ? WorkerDied : NoDeaths;
    }

    static List<RequestSpec> ReadRequests(string file)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
        return File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => RequestSpec.Parse(l, dir)).ToList();
    }
}
