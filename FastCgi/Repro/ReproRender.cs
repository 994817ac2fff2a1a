using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.FastCgi.Repro;

/// <summary>The report as text for a terminal, or as the JSON of docs/repro.schema.json.</summary>
public static class ReproRender
{
    /// <summary>Source-generated (the engine host that drives Windows workers is NativeAOT, without reflection).</summary>
    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, TypeInfoResolver = ReproJson.Default,
    };

    public static string ToJson(ReproReport report, string toolVersion)
    {
        var node = JsonSerializer.SerializeToNode(report, Json.GetTypeInfo(typeof(ReproReport)))!.AsObject();
        node.Insert(1, "tool_version", toolVersion);
        return node.ToJsonString(Json);
    }

    /// <summary>The report back from its JSON (what the engine host prints for a Windows worker).</summary>
    public static ReproReport FromJson(string json) =>
        (ReproReport?)JsonSerializer.Deserialize(json, Json.GetTypeInfo(typeof(ReproReport)))
        ?? throw new JsonException("the repro report is empty");

    /// <summary>The options as the engine host reads them (the launcher and the debugger hook stay on each side).</summary>
    public static string OptionsToJson(ReproOptions options) => JsonSerializer.Serialize(options, Json.GetTypeInfo(typeof(ReproOptions)));

    public static ReproOptions OptionsFromJson(string json) =>
        (ReproOptions?)JsonSerializer.Deserialize(json, Json.GetTypeInfo(typeof(ReproOptions)))
        ?? throw new JsonException("the repro options are empty");

    /// <summary>The report for a terminal, wrapped at <paramref name="width"/> columns (80–160; 100 when unknown), continuation
    /// lines indented under their first.</summary>
    public static string ToText(ReproReport report, int? width = null)
    {
        int columns = TextLayout.ClampWidth(width);
        var s = report.Settings;
        var t = new StringBuilder();
        void Line(string text, int indent = 0, int hang = 4)
        {
            string flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            string first = TextLayout.Wrap(flat, columns - indent)[0];
            t.Append(' ', indent).AppendLine(first);
            string rest = flat[first.Length..].TrimStart();
            if (rest.Length > 0)
                foreach (var l in TextLayout.Wrap(rest, columns - indent - hang)) t.Append(' ', indent + hang).AppendLine(l);
        }
        string requests = report.Requests.Count == 1 ? "1 request" : $"{report.Requests.Count} requests";
        Line($"fcgi repro: {requests} to {s.Worker} over {s.Concurrency} worker(s), " +
             $"instanceMaxRequests={s.InstanceMaxRequests}, " +
             (s.PhpFcgiMaxRequests is null ? "PHP_FCGI_MAX_REQUESTS unset (500)" : $"PHP_FCGI_MAX_REQUESTS={s.PhpFcgiMaxRequests}") +
             (s.KeepConn ? ", FCGI_KEEP_CONN" : ""));
        var durations = report.Requests.Where(r => r.Completed).Select(r => r.DurationMs).Order().ToList();
        Line($"served {report.Served}, failed {report.Failed}; workers started {report.Workers.Count}, recycled by the driver " +
             $"{report.Workers.Count(w => w.End == WorkerEnd.Recycled)}, died unexpectedly {report.UnexpectedExits}" +
             (durations.Count == 0 ? "" : $"; request time min {durations[0]:0.0} ms, " +
                                          $"median {durations[durations.Count / 2]:0.0} ms, max {durations[^1]:0.0} ms") +
             $"; {report.ElapsedMs:0} ms in all");
        var statuses = report.Requests.Where(r => r.HttpStatus is not null).GroupBy(r => r.HttpStatus!.Value).OrderBy(g => g.Key)
            .Select(g => $"{g.Key} ×{g.Count()}").ToList();
        if (statuses.Count > 0) Line($"responses: {string.Join(", ", statuses)}");
        t.AppendLine();
        if (report.Findings.Count == 0)
            Line("No worker died: every request completed with END_REQUEST.");
        foreach (var f in report.Findings)
        {
            string more = f.Count <= 1 ? ""
                : f.Requests is { Count: > 1 } hits
                    ? $" (×{f.Count}, at requests {string.Join(", ", hits.Take(8))}{(hits.Count > 8 ? ", …" : "")})"
                    : $" (×{f.Count})";
            Line($"[{f.Kind}] {f.Message}{more}");
            if (f.Fix is not null) Line($"fix: {f.Fix}", indent: 4, hang: 5);
        }
        t.AppendLine();
        t.AppendLine("Workers");
        foreach (var w in report.Workers)
        {
            string exit = w.Signal is { } sig ? sig + (w.CoreDumped ? " (core)" : "") : w.Exception ?? $"status {w.ExitCode}";
            string range = w.FirstRequest is null ? "no requests"
                : $"requests {w.FirstRequest}–{w.LastCompletedRequest?.ToString() ?? "none"}";
            string at = w.RequestAtEnd is { } n ? $", at request {n} ({ReproVerdicts.Step(w.StepAtEnd)}: {w.FailureAtEnd})" : "";
            string gap = w.End != WorkerEnd.Died ? "" : w.ExitAfterLastEndRequestMs switch
            {
                >= 0 and var ms => $", exit {ms:0.0} ms after its last END_REQUEST was read",
                { } => ", already gone when its last END_REQUEST was read",
                null => "",
            };
            Line($"#{w.Index} pid {w.Pid}: {w.End.ToString().ToLowerInvariant()}, {exit}, {w.RequestsServed} served " +
                 $"({range}){at}{gap}, lived {w.LifetimeMs:0} ms", indent: 2);
        }
        var failed = report.Requests.Where(r => !r.Completed).ToList();
        if (failed.Count > 0)
        {
            t.AppendLine();
            t.AppendLine("Failed requests");
            foreach (var r in failed)
                Line($"{r.Number} on worker #{r.Worker}: {ReproVerdicts.Step(r.Step)}: {r.Failure} ({r.DurationMs:0.0} ms)", indent: 2);
        }
        return t.ToString();
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ReproReport))]
[JsonSerializable(typeof(ReproOptions))]
internal sealed partial class ReproJson : JsonSerializerContext;
