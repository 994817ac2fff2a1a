using FcgiExt.RulesEngine.Reporting;
using Spectre.Console;

namespace FcgiExt.Cli.Batch;

public sealed record BatchTriageRequest
{
    public required IReadOnlyList<string> Paths { get; init; }
    public string Format { get; init; } = "text";
    /// <summary>-v: every dump's own block in the report, not only one per bucket.</summary>
    public bool Verbose { get; init; }
    public string? OutFile { get; init; }
    /// <summary>The JSON-lines results file (default: next to --out, else fcgi-triage-results.jsonl in the current folder).</summary>
    public string? ResultsFile { get; init; }
    public bool Resume { get; init; }
    public BatchOptions Options { get; init; } = new();
    public required string ExtractCache { get; init; }
}

/// <summary>
/// `fcgi triage <path>…`: find dumps, skip those already in the results file with --resume, run the
/// rest through long-lived engine sessions, append each result as it finishes, then print the report.
/// Exit codes: 0 all triaged; 1 some dumps could not be triaged; 2 usage error.
/// </summary>
public sealed class BatchTriageJob(BatchTriageRequest request, Func<IDumpAnalyzer> createAnalyzer, TextWriter stdout, TextWriter stderr)
{
    public const int AllTriaged = 0, SomeFailed = 1, UsageError = 2;

    /// <summary>Sets the engine up once the batch knows it has dumps to do (nothing to do costs no host build); false
    /// stops the batch with a usage error, the reason already on stderr.</summary>
    public Func<bool>? PrepareEngine { get; init; }

    public string ResultsPath => request.ResultsFile
        ?? (request.OutFile is { } o ? o + ".results.jsonl" : Path.GetFullPath("fcgi-triage-results.jsonl"));

    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        // A mistyped path stops the batch before any work (zip extraction, engine set-up, minutes of dumps), as
        // every usage error does: the user meant a batch with that path in it.
        var missing = request.Paths.Where(p => !File.Exists(p) && !Directory.Exists(p)).ToList();
        if (missing.Count > 0)
        {
            foreach (var m in missing) stderr.WriteLine($"fcgi triage: {m}: no such file or folder");
            Commands.Usage.Write(stderr, "triage");
            return UsageError;
        }
        var dumps = new DumpFinder(request.ExtractCache).Find(request.Paths, missing).ToList();
        if (dumps.Count == 0)
        {
            // A folder without dumps is a wrong path as much as a missing one: say what was looked for.
            stderr.WriteLine($"fcgi triage: no dumps in {string.Join(", ", request.Paths)} (*.dmp, *.mdmp, also inside *.zip)");
            Commands.Usage.Write(stderr, "triage");
            return UsageError;
        }

        var previous = new List<DumpOutcome>();
        if (request.Resume)
        {
            previous = ResultsLog.Read(ResultsPath, out int torn);
            if (torn > 0) stderr.WriteLine($"fcgi triage: {ResultsPath}: ignored {torn} unreadable line(s) (an interrupted write)");
            // Keep only the results of dumps that are still part of this batch.
            var names = dumps.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
            previous = previous.Where(p => names.Contains(p.Dump)).GroupBy(p => p.Dump).Select(g => g.Last()).ToList();
            var done = previous.Select(p => p.Dump).ToHashSet(StringComparer.Ordinal);
            dumps = dumps.Where(d => !done.Contains(d.Name)).ToList();
            stderr.WriteLine($"fcgi triage: resuming: {done.Count} dump(s) already done, {dumps.Count} to go");
        }

        if (dumps.Count > 0 && PrepareEngine is { } prepare && !prepare()) return UsageError;

        List<DumpOutcome> fresh;
        using (var log = new ResultsLog(ResultsPath, append: request.Resume))
        {
            var runner = new BatchRunner(createAnalyzer, request.Options);
            runner.DumpFinished += log.Append;
            fresh = await RunWithProgressAsync(runner, dumps, cancellation);
        }

        var report = BatchReport.Build(previous.Concat(fresh));
        var text = BatchReportRenderers.Render(report, request.Format, request.Verbose, TerminalWidth());
        if (request.OutFile is { } outFile)
        {
            File.WriteAllText(outFile, text);
            stderr.WriteLine($"fcgi triage: report written to {outFile}; results in {ResultsPath}");
        }
        else stdout.Write(text);
        if (cancellation.IsCancellationRequested)
        {
            stderr.WriteLine($"fcgi triage: interrupted; run again with --resume to finish ({ResultsPath} keeps what is done)");
            return SomeFailed;
        }
        return report.Failed > 0 ? SomeFailed : AllTriaged;
    }

    /// <summary>The text report's width: COLUMNS when set, else the console's when it is a terminal, else 100
    /// (clamped to 80–160 by the renderer).</summary>
    public static int TerminalWidth()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int columns) && columns > 0) return columns;
        try { if (!Console.IsOutputRedirected && Console.WindowWidth > 0) return Console.WindowWidth; }
        catch (IOException) { /* no console */ }
        return RulesEngine.Rendering.TextLayout.DefaultWidth;
    }

    async Task<List<DumpOutcome>> RunWithProgressAsync(BatchRunner runner, List<DumpEntry> dumps, CancellationToken cancellation)
    {
        // A progress bar only when a person watches (stderr is a terminal); quiet otherwise.
        if (Console.IsErrorRedirected || dumps.Count == 0 || !ReferenceEquals(stderr, Console.Error))
            return await runner.RunAsync(dumps, cancellation);

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        List<DumpOutcome> results = [];
        await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(),
                new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask($"triage 0/{dumps.Count}", maxValue: dumps.Count);
                int done = 0, failed = 0;
                runner.DumpStarted += dump => task.Description =
                    Markup.Escape($"triage {Volatile.Read(ref done)}/{dumps.Count} ({Volatile.Read(ref failed)} failed) {dump.Label}");
                runner.DumpFinished += outcome =>
                {
                    Interlocked.Increment(ref done);
                    if (!outcome.Triaged) Interlocked.Increment(ref failed);
                    task.Increment(1);
                };
                results = await runner.RunAsync(dumps, cancellation);
            });
        return results;
    }
}
