using System.Text.Json;
using System.Text.Json.Nodes;
using FcgiExt.Cli.Engine;
using FcgiExt.DbgEng;
using FcgiExt.DbgEng.Analysis;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.Cli.Batch;

/// <summary>What every engine session of a batch is asked to do (the options `fcgi triage` shares with !fcgi).</summary>
public sealed record EngineAnalysisOptions
{
    /// <summary>--sympath: symbol folders or srv* elements (paths of this machine). The dump's own folder is always added:
    /// PDBs are often collected next to the dumps.</summary>
    public string? SymbolPath { get; init; }
    public bool Offline { get; init; }
    /// <summary>--rules: site catalogs layered over the built-in one.</summary>
    public IReadOnlyList<string> Rules { get; init; } = [];

    public string SymbolPathFor(string dump)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(dump))!;
        return string.IsNullOrWhiteSpace(SymbolPath) ? folder : $"{SymbolPath};{folder}";
    }
}

/// <summary>
/// Linux: one long-lived `fcgihost serve` under Wine (the Windows build of the same host code) runs the !fcgi procedure
/// per dump, so Wine and engine start-up are paid once per worker, not per dump.
/// </summary>
public sealed class WineDumpAnalyzer(WineRunner wine, EngineAnalysisOptions options) : IDumpAnalyzer
{
    EngineServer? _server;

    /// <summary>Starts `fcgihost serve` and waits for its answer to a ping: under load, Wine and the engine can take a
    /// minute to come up, and that must not count against the first dump's --timeout.</summary>
    public Task StartAsync(CancellationToken cancellation) => Task.Run(() =>
    {
        cancellation.ThrowIfCancellationRequested();
        var server = _server ??= wine.StartServer();
        using (cancellation.Register(server.Kill))
        {
            try { ServeAnswer.Ready(server.Request(ServeAnswer.PingRequest, TimeSpan.FromDays(1))); }
            catch (InvalidOperationException) when (cancellation.IsCancellationRequested)
            {
                DropServer();
                throw new OperationCanceledException(cancellation);
            }
            catch (InvalidOperationException)
            {
                DropServer();
                throw;
            }
        }
    }, cancellation);

    public Task<JsonObject> AnalyzeAsync(string dumpPath, CancellationToken cancellation) => Task.Run(() =>
    {
        cancellation.ThrowIfCancellationRequested();
        var server = _server ??= wine.StartServer();
        var request = new JsonObject
        {
            ["dump"] = WineRunner.ToWinePath(dumpPath),
            ["sympath"] = WineRunner.ToWinePathList(options.SymbolPathFor(dumpPath)),
            ["triage"] = true,
            ["collect"] = false,
            ["offline"] = options.Offline,
            ["rules"] = new JsonArray(options.Rules.Select(r => (JsonNode)WineRunner.ToWinePath(r)).ToArray()),
        };
        string answer;
        using (cancellation.Register(server.Kill))
        {
            // The batch runner enforces --timeout (it cancels, which kills the server).
            try { answer = server.Request(request.ToJsonString(), TimeSpan.FromDays(1)); }
            catch (InvalidOperationException) when (cancellation.IsCancellationRequested)
            {
                DropServer();
                throw new OperationCanceledException(cancellation);
            }
            catch (InvalidOperationException)
            {
                DropServer(); // the engine died: the next dump starts a new one
                throw;
            }
        }
        return ServeAnswer.Verdict(answer, request["dump"]!.GetValue<string>());
    }, cancellation);

    void DropServer()
    {
        _server?.Dispose();   // a killed server: Dispose only removes its answer files
        _server = null;
    }

    public ValueTask DisposeAsync()
    {
        DropServer();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Windows: dbgeng.dll in this process; one engine per worker (DebugCreate once, EndSession between dumps).</summary>
public sealed class InProcessDumpAnalyzer(EngineAnalysisOptions options) : IDumpAnalyzer
{
    DebugEngine? _engine;
    RuleCatalog? _catalog;

    public Task<JsonObject> AnalyzeAsync(string dumpPath, CancellationToken cancellation) => Task.Run(() =>
    {
        _engine ??= DebugEngine.Create();
        _catalog ??= RuleCatalog.Load(options.Rules, includeBuiltIn: true);
        try
        {
            _engine.Open(dumpPath, new SessionOptions { SymbolPath = options.SymbolPathFor(dumpPath) });
            var run = FcgiProcedure.Run(_engine.Interfaces, _catalog, new FcgiOptions { Offline = options.Offline, Cancellation = cancellation });
            return (JsonObject)JsonNode.Parse(JsonRenderer.Render(run.Result, indented: false))!;
        }
        catch (DbgEngException e) { throw new DumpAnalysisException(e.Message); }
        finally { try { _engine.EndSession(); } catch (DbgEngException) { /* the next Open reports its own error */ } }
    }, cancellation);

    public ValueTask DisposeAsync()
    {
        _engine?.Dispose();
        _engine = null;
        return ValueTask.CompletedTask;
    }
}

/// <summary>Reads one `fcgihost serve` answer line: the verdict contract, or the dump's one-line error.</summary>
public static class ServeAnswer
{
    /// <summary>The request `fcgihost serve` answers at once, without a dump, once its engine is up.</summary>
    public const string PingRequest = "{\"ping\":true}";

    /// <summary>Checks the answer to PingRequest: any JSON object without "error" (an older host answers a ping with
    /// "request without dump", and that is not ready: it would not know the request either).</summary>
    public static void Ready(string answerLine)
    {
        JsonObject? answer;
        try { answer = JsonNode.Parse(answerLine) as JsonObject; }
        catch (JsonException) { answer = null; }
        if (answer is null || answer["error"] is not null)
            throw new InvalidOperationException($"the engine host did not answer its ready check: {answerLine}");
    }

    /// <param name="dumpAsSent">The dump path in the request: stripped from the host's error (the batch names the dump itself).</param>
    public static JsonObject Verdict(string answerLine, string? dumpAsSent = null)
    {
        JsonObject answer;
        try { answer = JsonNode.Parse(answerLine) as JsonObject ?? throw new JsonException("not an object"); }
        catch (JsonException e) { throw new InvalidOperationException($"the engine host answered something else than JSON ({e.Message})"); }
        if (answer["error"]?.GetValue<string>() is { } error)
        {
            if (dumpAsSent is not null && error.StartsWith(dumpAsSent + ": ", StringComparison.OrdinalIgnoreCase))
                error = error[(dumpAsSent.Length + 2)..];
            throw new DumpAnalysisException(error);
        }
        if (answer["verdict"]?.GetValue<string>() is not { } verdict) throw new DumpAnalysisException("the engine host gave no verdict");
        return JsonNode.Parse(verdict) as JsonObject ?? throw new DumpAnalysisException("the verdict is not a JSON object");
    }
}
