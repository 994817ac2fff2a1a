using System.Text.Json.Nodes;

namespace FcgiExt.RulesEngine.Reporting;

// The batch report of `fcgi triage <folder>`: one entry per dump (the !fcgi -json contract plus
// `dump`, or `dump` and `error`), grouped into buckets. Built from the JSON contract so that a
// results file written by an earlier (interrupted) run reads back the same as a fresh result.

/// <summary>One dump's outcome: the contract JSON (with "dump") or an error line.</summary>
public sealed record DumpOutcome
{
    public required string Dump { get; init; }
    public JsonObject? Result { get; init; }
    public string? Error { get; init; }
    /// <summary>When the dump was written (minidump header), if known.</summary>
    public DateTimeOffset? DumpTime { get; init; }

    public bool Triaged => Error is null && Result is not null;

    /// <summary>What the reports show of this dump (null when it was not triaged).</summary>
    public DumpDetail? Detail => _detail ??= Result is null || Error is not null ? null : DumpDetail.FromContract(Result, Dump);
    DumpDetail? _detail;

    public string? Get(params string[] path)
    {
        JsonNode? node = Result;
        foreach (var p in path) node = node is JsonObject o && o.TryGetPropertyValue(p, out var n) ? n : null;
        return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    }

    /// <summary>The JSON line stored in the results file and printed in `dumps`.</summary>
    public JsonObject ToJson()
    {
        var o = Result is null ? new JsonObject() : (JsonObject)Result.DeepClone();
        o.Remove("dump");
        var ordered = new JsonObject { ["dump"] = Dump };
        if (Error is not null) ordered["error"] = Error;
        if (DumpTime is { } t) ordered["dump_time"] = t.ToString("yyyy-MM-ddTHH:mm:ssZ");
        foreach (var (k, v) in o.ToList())
        {
            if (k is "error" or "dump_time") continue;
            o.Remove(k);
            ordered[k] = v;
        }
        return ordered;
    }

    public static DumpOutcome FromJson(JsonObject o)
    {
        string dump = o["dump"]?.GetValue<string>() ?? throw new FormatException("a result line has no \"dump\"");
        string? error = o["error"]?.GetValue<string>();
        DateTimeOffset? time = o["dump_time"]?.GetValue<string>() is { } ts && DateTimeOffset.TryParse(ts, out var t) ? t : null;
        var result = (JsonObject)o.DeepClone();
        foreach (var k in new[] { "dump", "error", "dump_time" }) result.Remove(k);
        return new DumpOutcome { Dump = dump, Error = error, DumpTime = time, Result = error is null ? result : null };
    }
}

public sealed record BucketSummary
{
    public required string Bucket { get; init; }
    public int Count { get; init; }
    public required string Owner { get; init; }
    public string? OwnerModule { get; init; }
    public required string Category { get; init; }
    public required string Confidence { get; init; }
    public string? ExceptionClass { get; init; }
    public DateTimeOffset? FirstSeen { get; init; }
    public DateTimeOffset? LastSeen { get; init; }
    public IReadOnlyList<string> ExampleDumps { get; init; } = [];
    /// <summary>Every dump in the bucket, in name order.</summary>
    public IReadOnlyList<string> AllDumps { get; init; } = [];
    public IReadOnlyList<string> NextSteps { get; init; } = [];
    /// <summary>The bucket's first dump as the reports show it: exception line, stack excerpt, symbols, steps.</summary>
    public DumpDetail? Detail { get; init; }
    /// <summary>"bucket-&lt;id&gt;": a stable anchor (#bucket-…) that shares one bucket as a link.</summary>
    public string Anchor => BucketAnchor(Bucket);

    /// <summary>The bucket id itself, with any character a URL fragment would need escaped replaced by '_'.</summary>
    public static string BucketAnchor(string bucket) =>
        "bucket-" + new string(bucket.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '!' or '+' ? c : '_')
            .ToArray());
}

public sealed record BatchReport
{
    public IReadOnlyList<DumpOutcome> Dumps { get; init; } = [];
    public IReadOnlyList<BucketSummary> Buckets { get; init; } = [];
    public int Failed => Dumps.Count(d => !d.Triaged);

    public const int ExamplesPerBucket = 3;

    /// <summary>Groups triaged dumps by bucket, biggest first (ties by name, so the order is stable).</summary>
    public static BatchReport Build(IEnumerable<DumpOutcome> outcomes)
    {
        var dumps = outcomes.OrderBy(d => d.Dump, StringComparer.Ordinal).ToList();
        var buckets = dumps.Where(d => d.Triaged)
            .GroupBy(d => d.Get("verdict", "bucket") ?? "UNKNOWN")
            .Select(g =>
            {
                var first = g.First();
                var times = g.Select(d => d.DumpTime).OfType<DateTimeOffset>().ToList();
                // The lowest confidence in the bucket is the honest one for the whole bucket.
                var confidence = g.Select(d => d.Get("verdict", "confidence") ?? "low")
                                  .OrderBy(ConfidenceRank).First();
                return new BucketSummary
                {
                    Bucket = g.Key,
                    Count = g.Count(),
                    Owner = first.Get("verdict", "owner") ?? "unknown",
                    OwnerModule = first.Get("verdict", "owner_module"),
                    Category = first.Get("verdict", "category") ?? "unknown",
                    Confidence = confidence,
                    ExceptionClass = first.Get("exception", "class"),
                    FirstSeen = times.Count > 0 ? times.Min() : null,
                    LastSeen = times.Count > 0 ? times.Max() : null,
                    ExampleDumps = g.Select(d => d.Dump).Take(ExamplesPerBucket).ToList(),
                    AllDumps = g.Select(d => d.Dump).ToList(),
                    NextSteps = NextStepTexts(first.Detail),
                    Detail = first.Detail,
                };
            })
            .OrderByDescending(b => b.Count).ThenBy(b => b.Bucket, StringComparer.Ordinal)
            .ToList();
        return new BatchReport { Dumps = dumps, Buckets = buckets };
    }

    static int ConfidenceRank(string c) => c switch { "low" => 0, "medium" => 1, "high" => 2, _ => 0 };

    /// <summary>The steps as one line each, in the form a reader outside the debugger follows.</summary>
    static IReadOnlyList<string> NextStepTexts(DumpDetail? detail) => detail?.Steps.Select(s => s.ForReader.Line).ToList() ?? [];
}
