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
        Description = "Dumps (.dmp, .mdmp), folders searched recursively, or .zip files holding dumps (DebugDiag packs). A `rules` folder at the top of a dump folder is layered over the built-in catalog",
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
        Description = "Engine sessions in parallel (default: the number of cores)",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static readonly Option<int> TimeoutOption = new("--timeout")
    {
        Description = "Seconds one dump may take before its engine is killed and the batch goes on",
        DefaultValueFactory = _ => 300,
    };

    public static readonly Option<bool> ResumeOption = new("--resume")
    {
        Description = "Skip dumps already in the results file (an interrupted batch goes on where it stopped)",
    };

    public static readonly Option<string?> ResultsOption = new("--results")
    {
        Description = "The JSON-lines results file, appended as each dump finishes (default: <--out>.results.jsonl, else fcgi-triage-results.jsonl)",
        HelpName = "file",
    };

    public static void AddTo(Command triage)
    {
        triage.Arguments.Add(PathsArgument);
        foreach (var o in new Option[] { SymbolPathOption, OfflineOption, ParallelOption, TimeoutOption, ResumeOption, ResultsOption })
            triage.Options.Add(o);
    }

    public static int Run(IReadOnlyList<string> paths, string format, IReadOnlyList<string> rules, string? outFile,
        string? symbolPath, bool offline, int jobs, int timeoutSeconds, bool resume, string? resultsFile, TextWriter stdout, TextWriter stderr)
    {
        if (jobs < 1) { stderr.WriteLine("fcgi triage: -j needs a number of 1 or more"); return BatchTriageJob.UsageError; }
        if (timeoutSeconds < 1) { stderr.WriteLine("fcgi triage: --timeout needs a number of seconds, 1 or more"); return BatchTriageJob.UsageError; }
        // Layers as every front end orders them; the engine host gets this list and does not layer again.
        var layers = SiteCatalogs.Plan(paths, rules);
        SiteCatalogs.Announce(layers, "fcgi triage", stderr);
        // A broken site catalog stops the batch before any engine starts, with its file:line:col.
        if (!TriageCommand.TryLoadCatalog(layers, stderr, out _)) return BatchTriageJob.UsageError;
        rules = layers.Select(l => l.Path).ToList();

        var root = WineRunner.FindRepoRoot();
        var options = new EngineAnalysisOptions { SymbolPath = symbolPath, Offline = offline, Rules = rules.Select(Path.GetFullPath).ToList() };
        Func<IDumpAnalyzer> analyzer;
        if (OperatingSystem.IsWindows()) analyzer = () => new InProcessDumpAnalyzer(options);
        else
        {
            var wine = new WineRunner(root);
            try { wine.EnsureReady(); }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
                stderr.WriteLine($"fcgi triage: the engine cannot run: {e.Message}");
                return BatchTriageJob.UsageError;
            }
            analyzer = () => new WineDumpAnalyzer(wine, options);
        }
        var request = new BatchTriageRequest
        {
            Paths = paths,
            Format = format,
            OutFile = outFile,
            ResultsFile = resultsFile,
            Resume = resume,
            Options = new BatchOptions { Parallelism = jobs, PerDumpTimeout = TimeSpan.FromSeconds(timeoutSeconds) },
            ExtractCache = Path.Combine(Environment.GetEnvironmentVariable("FCGIEXT_CACHE") is { Length: > 0 } c ? c : Path.Combine(root, ".cache"), "unzipped"),
        };
        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; interrupt.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            return new BatchTriageJob(request, analyzer, stdout, stderr).RunAsync(interrupt.Token).GetAwaiter().GetResult();
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }
}
