using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using FcgiExt.Cli.Engine;
using FcgiExt.DbgEng;
using FcgiExt.RulesEngine.Reporting;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.Cli.Commands;

/// <summary>
/// `fcgi capture [--pid N | --name exe | -- command line] [--children] [--out dir] [--first-chance] [--timeout S]
/// [--format text|json]`: procdump's job for FastCGI workers, plus the verdict. The engine host's live mode
/// (fcgihost capture) does the debugging; this front turns paths into the engine's, prints each event as it comes
/// and sets the exit code: 0 nothing crashed, 1 crashes (or voluntary exits) captured, 2 usage.
/// </summary>
public static class CaptureCommand
{
    public const int NothingCaptured = 0, Captured = 1, UsageError = 2;

    static readonly Option<uint?> PidOption = new("--pid") { Description = "Attach to this process id", HelpName = "N" };
    static readonly Option<string?> NameOption = new("--name")
    {
        Description = "Attach to every running process of this image name, and to new ones as they start", HelpName = "exe",
    };
    static readonly Option<bool> ChildrenOption = new("--children")
    {
        Description = "Debug the processes the target creates too (php-cgi.exe under w3wp.exe); with -- only under Wine",
    };
    static readonly Option<string> OutOption = new("--out")
    {
        Description = "Folder for the full dumps (default: fcgi-captures in the current folder)", HelpName = "dir",
        DefaultValueFactory = _ => "fcgi-captures",
    };
    static readonly Option<bool> FirstChanceOption = new("--first-chance")
    {
        Description = "Stop at the first chance of every exception (default: second chance; a stack overflow, fail-fast " +
                      "and heap corruption always at the first)",
    };
    static readonly Option<bool> ExitsOption = new("--exits")
    {
        Description = "Capture every exit through ExitProcess (default: only a FastCGI worker's: PHP_FCGI_MAX_REQUESTS or " +
                      "_FCGI_X_PIPE_ set, or a child under --children)",
    };
    static readonly Option<int?> TimeoutOption = new("--timeout") { Description = "Stop watching after this many seconds", HelpName = "S" };
    static readonly Option<string> FormatOption = new("--format")
    {
        Description = "text: each event with its verdict for a terminal; json: one JSON object per event and line",
        DefaultValueFactory = _ => "text",
    };
    static readonly Option<string?> CommandsOption = new("--commands", "-c")
    {
        Description = "Debugger commands to run at each stop (their output is printed with the event), e.g. \"kn; lmv m php8ts\"",
        HelpName = "commands",
    };
    static readonly Option<string?> SymbolPathOption = new("--sympath") { Description = "Symbol path for the engine", HelpName = "paths" };
    public static readonly Argument<string[]> CommandLineArgument = new("command")
    {
        Description = "After --: the worker to start, with its arguments (paths of this machine are translated for Wine)",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static Command Create()
    {
        FormatOption.AcceptOnlyFromAmong("text", "json");
        var rules = SiteCatalogs.RulesOption();
        var command = new Command("capture",
            "Catch a worker's crash (or voluntary exit) as it happens: write a full dump and print the verdict; keep watching " +
            "until --timeout or Ctrl+C. Exit codes: 0 nothing crashed, 1 crashes captured, 2 usage.");
        foreach (var o in new Option[] { PidOption, NameOption, ChildrenOption, OutOption, FirstChanceOption, ExitsOption, TimeoutOption,
                     FormatOption, SymbolPathOption, CommandsOption, rules })
            command.Options.Add(o);
        command.Arguments.Add(CommandLineArgument);
        command.SetAction(parse => Run(new CaptureRequest
        {
            Pid = parse.GetValue(PidOption), Name = parse.GetValue(NameOption), CommandLine = parse.GetValue(CommandLineArgument) ?? [],
            Children = parse.GetValue(ChildrenOption), Out = parse.GetValue(OutOption)!, FirstChance = parse.GetValue(FirstChanceOption),
            Exits = parse.GetValue(ExitsOption), Timeout = parse.GetValue(TimeoutOption), Format = parse.GetValue(FormatOption)!,
            SymbolPath = parse.GetValue(SymbolPathOption), Rules = parse.GetValue(rules) ?? [], Commands = parse.GetValue(CommandsOption),
        }, Console.Out, Console.Error));
        return command;
    }

    public sealed record CaptureRequest
    {
        public uint? Pid { get; init; }
        public string? Name { get; init; }
        public IReadOnlyList<string> CommandLine { get; init; } = [];
        public bool Children { get; init; }
        public required string Out { get; init; }
        public bool FirstChance { get; init; }
        public bool Exits { get; init; }
        public int? Timeout { get; init; }
        public string Format { get; init; } = "text";
        public string? SymbolPath { get; init; }
        public IReadOnlyList<string> Rules { get; init; } = [];
        public string? Commands { get; init; }
    }

    public static int Run(CaptureRequest r, TextWriter stdout, TextWriter stderr)
    {
        int targets = (r.Pid is null ? 0 : 1) + (r.Name is null ? 0 : 1) + (r.CommandLine.Count == 0 ? 0 : 1);
        if (targets != 1)
        {
            stderr.WriteLine("fcgi capture: give one of --pid N, --name <exe> or -- <command line>");
            stderr.WriteLine("Usage: fcgi capture [--pid N | --name <exe> | -- <command line>] [options]   (fcgi capture --help " +
                "says more)");
            return UsageError;
        }
        if (r.Timeout is <= 0)
        {
            stderr.WriteLine("fcgi capture: --timeout needs a positive number of seconds");
            return UsageError;
        }
        Directory.CreateDirectory(r.Out);
        var args = new List<string> { "capture", "--out", WineRunner.ToWinePath(r.Out) };
        if (r.Pid is { } pid) args.AddRange(["--pid", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (r.Name is { } name) args.AddRange(["--name", name]);
        if (r.Children) args.Add("--children");
        if (r.FirstChance) args.Add("--first-chance");
        if (r.Exits) args.Add("--exits");
        if (r.Timeout is { } t) args.AddRange(["--timeout", t.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        // The symbol path: the given one, and the worker's own folder (its PDBs usually sit beside the images).
        var sympath = new List<string>();
        if (r.SymbolPath is { Length: > 0 } sp) sympath.Add(sp);
        if (r.CommandLine.Count > 0 && File.Exists(r.CommandLine[0])) sympath.AddRange(WorkerSymbolFolders(r.CommandLine[0]));
        string? triageSympath = sympath.Count > 0 ? string.Join(';', sympath) : null;
        if (triageSympath is not null) args.AddRange(["--sympath", WineRunner.ToWinePathList(triageSympath)]);
        foreach (var rule in r.Rules) args.AddRange(["--rules", WineRunner.ToWinePath(rule)]);
        if (r.Commands is { Length: > 0 } commands) args.AddRange(["-c", commands]);
        if (r.CommandLine.Count > 0)
        {
            args.Add("--");
            // Arguments that are files of this machine (the worker, the script) become Wine paths; the rest stays.
            args.AddRange(r.CommandLine.Select(a => File.Exists(a) || Directory.Exists(a) ? WineRunner.ToWinePath(a) : a));
        }

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        int captured = 0;
        try
        {
            var wine = new WineRunner { Progress = m => stderr.WriteLine($"fcgi capture: {m}") };
            // The host, and the worker it starts, inherit this process's environment (the caller's FastCGI settings).
            var run = wine.StreamHost(args, new Dictionary<string, string>(), line =>
            {
                if (Print(line, r.Format, stdout, stderr, triageSympath)) captured++;
            }, cancel.Token);
            // 2: the target could not be started or attached to (the host's error line is printed already).
            if (run.ExitCode == UsageError) return UsageError;
            if (run.ExitCode is not (0 or 1) && !run.TimedOut)
            {
                var last = run.Stderr.Trim().Split('\n').LastOrDefault(l => l.Trim().Length > 0);
                stderr.WriteLine($"fcgi capture: the engine host failed (exit {run.ExitCode})" + (last is null ? "" : $": {last.Trim()}"));
                return Captured;
            }
        }
        catch (Exception e) when (e is InvalidOperationException or PlatformNotSupportedException)
        {
            stderr.WriteLine($"fcgi capture: {e.Message}");
            return UsageError;
        }
        finally { Console.CancelKeyPress -= onCancel; }
        return captured > 0 ? Captured : NothingCaptured;
    }

    /// <summary>The symbol folders of a worker's dumps: its own folder and its ext folder, where PHP's PDBs sit beside the
    /// DLLs (the live session uses them; the dump's triage needs them too to give the same verdict).</summary>
    public static List<string> WorkerSymbolFolders(string worker)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(worker))!;
        var folders = new List<string> { folder };
        if (Directory.Exists(Path.Combine(folder, "ext"))) folders.Add(Path.Combine(folder, "ext"));
        return folders;
    }

    /// <summary>The command that gives the dump's full report with the symbols the live session had.</summary>
    public static string FullReportLine(string dump, string? sympath) =>
        $"  The full report: fcgi triage {(sympath is null ? "" : $"--sympath {Quote(sympath)} ")}{Quote(dump)}";

    static string Quote(string s) => s.IndexOfAny([' ', ';', '\'', '"']) < 0 ? s : $"'{s.Replace("'", "'\\''")}'";

    /// <summary>The verdict of a live stop (the !fcgi -json contract): owner, confidence, bucket, exception, the top of the
    /// stack.</summary>
    public static void WriteVerdict(TextWriter stdout, JsonObject verdict, string? dump)
    {
        var detail = DumpDetail.FromContract(verdict, dump);
        stdout.WriteLine($"  Owner:      {(detail.IsExit ? RenderFormat.NotACrash : detail.Owner)}" +
                         (verdict["verdict"]?["owner_module"]?.GetValue<string>() is { } m && !detail.IsExit ? $", {m}" : ""));
        stdout.WriteLine($"  Confidence: {detail.Confidence}");
        stdout.WriteLine($"  Bucket:     {detail.Bucket}");
        if (detail.ExceptionLine is { } ex)
            foreach (var line in TextLayout.Hanging("  Exception:  ", ex, Batch.BatchTriageJob.TerminalWidth())) stdout.WriteLine(line);
        foreach (var f in detail.Stack.Take(6))
            stdout.WriteLine($"    {(f.Deciding ? ">" : " ")} {f.Index:d2} {f.Display}  {f.Decision}");
    }

    static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Prints one host event; true when it is a capture (a crash or a voluntary exit with its dump).</summary>
    public static bool Print(string line, string format, TextWriter stdout, TextWriter stderr, string? triageSympath = null)
    {
        JsonObject? e;
        try { e = JsonNode.Parse(line) as JsonObject; }
        catch (JsonException) { e = null; }
        if (e is null)
        {
            if (line.Trim().Length > 0) stderr.WriteLine($"fcgi capture: {line.Trim()}");
            return false;
        }
        string kind = e["event"]?.GetValue<string>() ?? "";
        // Dumps are named as this machine sees them.
        if (e["dump"]?.GetValue<string>() is { } dump) e["dump"] = WineRunner.FromWinePath(dump);
        bool capture = kind is "crash" or "exit";
        if (format == "json")
        {
            stdout.WriteLine(e.ToJsonString(Relaxed));
            stdout.Flush();
            return capture;
        }
        string who = $"{e["process"]?.GetValue<string>() ?? "process"} (pid {e["pid"]?.ToString() ?? "?"})";
        switch (kind)
        {
            case "crash" or "exit":
                stdout.WriteLine(kind == "crash"
                    ? $"{who} crashed: {e["code"]} ({(e["firstChance"]?.GetValue<bool>() == true ? "first" : "second")} chance)"
                    : $"{who} is ending itself through ExitProcess: a voluntary exit");
                if (e["verdict"] is JsonObject verdict) WriteVerdict(stdout, verdict, e["dump"]?.GetValue<string>());
                if (e["dump"]?.GetValue<string>() is { } path)
                    stdout.WriteLine($"  Dump:       {path}  (written in {e["dumpSeconds"]} s; verdict in {e["verdictSeconds"]} s)");
                if (e["error"]?.GetValue<string>() is { } error) stdout.WriteLine($"  Error:      {error}");
                if (e["output"]?.GetValue<string>() is { Length: > 0 } output) stdout.Write(output.EndsWith('\n') ? output : output + "\n");
                if (e["dump"]?.GetValue<string>() is { } full) stdout.WriteLine(FullReportLine(full, triageSympath));
                stdout.WriteLine();
                break;
            case "exited":
                uint code = e["exitCode"]?.GetValue<uint>() ?? 0;
                // A normal end is quiet; an exit code that is an exception code is worth a line.
                if (code != 0) stdout.WriteLine($"{who} exited with code 0x{code:x8}");
                break;
            case "timeout":
                stderr.WriteLine("fcgi capture: --timeout reached; stopped watching");
                break;
            case "error":
                stderr.WriteLine($"fcgi capture: {e["error"]}");
                break;
            case "end" when e["error"] is not null:
                stderr.WriteLine($"fcgi capture: {e["error"]}");
                break;
        }
        stdout.Flush();
        return capture;
    }
}
