using System.CommandLine;
using FcgiExt.Cli.Batch;
using FcgiExt.Cli.Engine;

namespace FcgiExt.Cli.Commands;

/// <summary>
/// The batch form of `fcgi triage`: dumps and folders of dumps (also inside .zip files) analysed by the real engine
/// with the same collector and RulesEngine as !fcgi, in parallel long-lived engine sessions, with a bucketed report.
/// </summary>
public static class TriageBatchCommand
{
    public static readonly Argument<string[]> PathsArgument = new("paths")
    {
        Description = "Dumps (.dmp, .mdmp), folders searched recursively, or .zip files holding dumps (DebugDiag packs). A `rules` " +
            "folder at the top of a dump folder is layered over the built-in catalog",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static readonly Option<string?> SymbolPathOption = new("--sympath")
    {
        Description = "Symbol path for the engine (folders or srv* elements, ';'-separated); each dump's own folder is always added",
        HelpName = "paths",
    };

    public static readonly Option<bool> OfflineOption = new("--offline")
    {
        Description = "Never add Microsoft's symbol server to the symbol path (as !fcgi -offline)",
    };

    public static readonly Option<int> ParallelOption = new("-j", "--jobs")
    {
        Description = "Engine sessions in parallel; the default is this machine's number of cores",
        HelpName = "N",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static readonly Option<int> TimeoutOption = new("--timeout")
    {
        Description = "Seconds one dump may take before its engine is killed and the batch goes on",
        HelpName = "seconds",
        DefaultValueFactory = _ => 300,
    };

    public static readonly Option<bool> ResumeOption = new("--resume")
    {
        Description = "Skip dumps already in the results file (an interrupted batch goes on where it stopped)",
    };

    public static readonly Option<string?> ResultsOption = new("--results")
    {
        Description = "The JSON-lines results file, appended as each dump finishes (default: <--out>.results.jsonl, else " +
            "fcgi-triage-results.jsonl)",
        HelpName = "file",
    };

    public static void AddTo(Command triage)
    {
        triage.Arguments.Add(PathsArgument);
        foreach (var o in new Option[] { SymbolPathOption, OfflineOption, ParallelOption, TimeoutOption, ResumeOption, ResultsOption })
            triage.Options.Add(o);
    }

    /// <summary>The batch's settings from the command line (the options are defined here and in TriageCommand).</summary>
    public sealed record Settings
    {
        public required IReadOnlyList<string> Paths { get; init; }
        public string Format { get; init; } = "text";
        public IReadOnlyList<string> Rules { get; init; } = [];
        public bool Verbose { get; init; }
        public string? OutFile { get; init; }
        public string? SymbolPath { get; init; }
        public bool Offline { get; init; }
        public int Jobs { get; init; } = Environment.ProcessorCount;
        public int TimeoutSeconds { get; init; } = 300;
        public bool Resume { get; init; }
        public string? ResultsFile { get; init; }
    }

    public static Settings FromParse(ParseResult parse) => new()
    {
        Paths = parse.GetValue(PathsArgument) ?? [],
        Format = parse.GetValue(TriageCommand.FormatOption) ?? "text",
        Rules = parse.GetValue(TriageCommand.RulesOption) ?? [],
        Verbose = parse.GetValue(TriageCommand.VerboseOption),
        OutFile = parse.GetValue(TriageCommand.OutOption),
        SymbolPath = parse.GetValue(SymbolPathOption),
        Offline = parse.GetValue(OfflineOption),
        Jobs = parse.GetValue(ParallelOption),
        TimeoutSeconds = parse.GetValue(TimeoutOption),
        Resume = parse.GetValue(ResumeOption),
        ResultsFile = parse.GetValue(ResultsOption),
    };

    /// <param name="analyzer">The engine sessions; null for the real engine (in process on Windows, under Wine on Linux).
    /// Tests give a fake one to run the whole command without an engine.</param>
    public static int Run(Settings s, TextWriter stdout, TextWriter stderr,
        Func<EngineAnalysisOptions, Func<IDumpAnalyzer>>? analyzer = null)
    {
        if (s.Jobs < 1) return UsageError(stderr, "-j needs a number of 1 or more");
        if (s.TimeoutSeconds < 1) return UsageError(stderr, "--timeout needs a number of seconds, 1 or more");
        // Layers as every front end orders them, announced here once for the whole run; the engine host gets this list
        // and does not layer (or announce) again.
        var layers = SiteCatalogs.Plan(s.Paths, s.Rules);
        SiteCatalogs.Announce(layers, "fcgi triage", stderr);
        // A broken site catalog stops the batch before any engine starts, with its file:line:col.
        if (!TriageCommand.TryLoadCatalog(layers, stderr, out _)) return BatchTriageJob.UsageError;

        var options = new EngineAnalysisOptions
        {
            SymbolPath = s.SymbolPath, Offline = s.Offline, Rules = layers.Select(l => Path.GetFullPath(l.Path)).ToList(),
        };
        string cacheRoot = Environment.GetEnvironmentVariable("FCGIEXT_CACHE") is { Length: > 0 } c
            ? c : Path.Combine(RepoRootOrHere(), ".cache");
        // The real engine is set up (Wine, the host build: minutes on first use) only once there are dumps to do.
        Func<bool>? prepare = null;
        Func<IDumpAnalyzer> createAnalyzer;
        if (analyzer is not null) createAnalyzer = analyzer(options);
        else if (OperatingSystem.IsWindows()) createAnalyzer = () => new InProcessDumpAnalyzer(options);
        else if (TryRepoRoot(out string repo, out string why))
        {
            var wine = new WineRunner(repo) { Progress = message => stderr.WriteLine($"fcgi triage: {message}") };
            prepare = () => PrepareWine(wine, stderr);
            createAnalyzer = () => new WineDumpAnalyzer(wine, options);
        }
        else
        {
            // An installed tool without the sources: say what to do once, when there are dumps to do.
            prepare = () => { stderr.WriteLine($"fcgi triage: {why}"); return false; };
            createAnalyzer = () => throw new InvalidOperationException(why);
        }

        var request = new BatchTriageRequest
        {
            Paths = s.Paths,
            Format = s.Format,
            Verbose = s.Verbose,
            OutFile = s.OutFile,
            ResultsFile = s.ResultsFile,
            Resume = s.Resume,
            Options = new BatchOptions { Parallelism = s.Jobs, PerDumpTimeout = TimeSpan.FromSeconds(s.TimeoutSeconds) },
            ExtractCache = Path.Combine(cacheRoot, "unzipped"),
        };
        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; interrupt.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            var job = new BatchTriageJob(request, createAnalyzer, stdout, stderr) { PrepareEngine = prepare };
            return job.RunAsync(interrupt.Token).GetAwaiter().GetResult();
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }

    /// <summary>Wine installed, the engine host built and current, the Wine prefix made, each slow step said on stderr
    /// (WineRunner.Progress). False after a one-line error.</summary>
    static bool PrepareWine(WineRunner wine, TextWriter stderr)
    {
        try
        {
            wine.EnsureReady();
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            stderr.WriteLine($"fcgi triage: the engine cannot run: {e.Message}");
            return false;
        }
    }

    static bool TryRepoRoot(out string root, out string why)
    {
        try { root = WineRunner.FindRepoRoot(); why = ""; return true; }
        catch (InvalidOperationException e) { root = ""; why = e.Message; return false; }
    }

    static string RepoRootOrHere()
    {
        try { return WineRunner.FindRepoRoot(); }
        catch (InvalidOperationException) { return Directory.GetCurrentDirectory(); }
    }

    static int UsageError(TextWriter stderr, string message)
    {
        stderr.WriteLine($"fcgi triage: {message}");
        Usage.Write(stderr, "triage");
        return BatchTriageJob.UsageError;
    }
}
