using System.Text.Json.Nodes;
using System.Threading.Channels;
using FcgiExt.RulesEngine.Reporting;

namespace FcgiExt.Cli.Batch;

/// <summary>A per-dump failure the batch records as a one-line error and goes on.</summary>
public sealed class DumpAnalysisException(string message) : Exception(message);

/// <summary>One engine session that can analyse dumps one after the other (kept alive across dumps).</summary>
public interface IDumpAnalyzer : IAsyncDisposable
{
    /// <summary>The !fcgi -json contract for one dump. Throws DumpAnalysisException for a dump it cannot triage.</summary>
    Task<JsonObject> AnalyzeAsync(string dumpPath, CancellationToken cancellation);

    /// <summary>Brings the session up before its first dump, under its own bound (BatchOptions.StartTimeout), so a slow
    /// start is not charged to that dump's --timeout. Throws for an engine that cannot start.</summary>
    Task StartAsync(CancellationToken cancellation) => Task.CompletedTask;
}

public sealed record BatchOptions
{
    public int Parallelism { get; init; } = Environment.ProcessorCount;
    public TimeSpan PerDumpTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>How long a new engine session may take to come up (Wine and the engine under load: a minute was seen).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>An engine session that did not come up: the dump it was for fails with one line, the next gets a new one.</summary>
sealed class EngineStartException(string message) : Exception(message);

/// <summary>
/// Runs dumps through N long-lived analyzers in parallel. A dump that times out or kills its
/// engine costs only that engine: the worker replaces it and goes on with the next dump.
/// </summary>
public sealed class BatchRunner(Func<IDumpAnalyzer> createAnalyzer, BatchOptions options)
{
    public event Action<DumpOutcome>? DumpFinished;
    public event Action<DumpEntry>? DumpStarted;

    public async Task<List<DumpOutcome>> RunAsync(IReadOnlyList<DumpEntry> dumps, CancellationToken cancellation)
    {
        var results = new List<DumpOutcome>();
        var queue = Channel.CreateUnbounded<DumpEntry>();
        foreach (var d in dumps) queue.Writer.TryWrite(d);
        queue.Writer.Complete();
        int workers = Math.Max(1, Math.Min(options.Parallelism, dumps.Count));
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(() => WorkerAsync(queue.Reader, results, cancellation))).ToArray();
        await Task.WhenAll(tasks);
        return results;
    }

    async Task WorkerAsync(ChannelReader<DumpEntry> queue, List<DumpOutcome> results, CancellationToken cancellation)
    {
        IDumpAnalyzer? analyzer = null;
        try
        {
            while (!cancellation.IsCancellationRequested && queue.TryRead(out var dump))
            {
                DumpStarted?.Invoke(dump);
                var outcome = await AnalyzeOneAsync(dump, async () => analyzer ??= await StartAnalyzerAsync(cancellation), async () =>
                {
                    if (analyzer is not null) await analyzer.DisposeAsync();
                    analyzer = null;
                }, cancellation);
                if (outcome is null) break; // cancelled: leave the dump for --resume
                lock (results) results.Add(outcome);
                DumpFinished?.Invoke(outcome);
            }
        }
        finally
        {
            if (analyzer is not null) await analyzer.DisposeAsync();
        }
    }

    async Task<IDumpAnalyzer> StartAnalyzerAsync(CancellationToken cancellation)
    {
        IDumpAnalyzer? analyzer = null;
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        bound.CancelAfter(options.StartTimeout);
        try
        {
            analyzer = createAnalyzer();
            await analyzer.StartAsync(bound.Token);
            return analyzer;
        }
        catch (Exception e)
        {
            if (analyzer is not null) await analyzer.DisposeAsync();
            if (cancellation.IsCancellationRequested) throw new OperationCanceledException(cancellation);
            throw new EngineStartException(e is OperationCanceledException
                ? $"the engine did not start within {options.StartTimeout.TotalSeconds:0} s"
                : $"the engine did not start: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    async Task<DumpOutcome?> AnalyzeOneAsync(DumpEntry dump, Func<Task<IDumpAnalyzer>> analyzer, Func<Task> dropAnalyzer,
        CancellationToken cancellation)
    {
        if (dump.LocalPath is null)
            return new DumpOutcome { Dump = dump.Name, Error = dump.Error ?? "not available" };
        // A text file named .dmp, a truncated or empty file: one line, and no engine session spent on it.
        if (FcgiExt.DbgEng.DumpFile.Problem(dump.LocalPath) is { } problem)
        {
            string reason = problem.StartsWith(dump.LocalPath + ": ", StringComparison.Ordinal)
                ? problem[(dump.LocalPath.Length + 2)..] : problem;
            return new DumpOutcome { Dump = dump.Name, Error = $"{dump.Name}: {reason}" };
        }
        var time = MinidumpHeader.ReadTime(dump.LocalPath);
        IDumpAnalyzer session;
        try { session = await analyzer(); }   // before the dump's own timer starts
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested) { return null; }
        catch (EngineStartException e) { return new DumpOutcome { Dump = dump.Name, DumpTime = time, Error = $"{dump.Name}: {e.Message}" }; }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(options.PerDumpTimeout);
        try
        {
            var json = await session.AnalyzeAsync(dump.LocalPath, timeout.Token);
            return new DumpOutcome { Dump = dump.Name, Result = json, DumpTime = time };
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            await dropAnalyzer();
            return null;
        }
        catch (OperationCanceledException)
        {
            await dropAnalyzer(); // a hung engine is killed; the next dump gets a fresh one
            return new DumpOutcome { Dump = dump.Name, DumpTime = time,
                Error = $"{dump.Name}: timed out after {options.PerDumpTimeout.TotalSeconds:0} s" };
        }
        catch (DumpAnalysisException e)
        {
            return new DumpOutcome { Dump = dump.Name, DumpTime = time, Error = $"{dump.Name}: {e.Message}" };
        }
        catch (Exception e)
        {
            // Anything else (the engine process died, its pipe broke, an unexpected answer): this dump fails with one
            // line, its engine is replaced, and the batch goes on.
            await dropAnalyzer();
            return new DumpOutcome { Dump = dump.Name, DumpTime = time,
                Error = $"{dump.Name}: engine failed: {e.Message.ReplaceLineEndings(" ")}" };
        }
    }
}
