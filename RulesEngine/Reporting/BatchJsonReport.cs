using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.RulesEngine.Reporting;

/// <summary>The batch report as JSON: {"dumps": [...], "buckets": [...]}.</summary>
public static class BatchJsonReport
{
    // ---------- JSON: {"dumps": [...], "buckets": [...]} ----------
    public static string Render(BatchReport r)
    {
        var dumps = new JsonArray(r.Dumps.Select(d => (JsonNode)d.ToJson()).ToArray());
        var buckets = new JsonArray(r.Buckets.Select(b => (JsonNode)new JsonObject
        {
            ["bucket"] = b.Bucket,
            ["count"] = b.Count,
            ["owner"] = b.Owner,
            ["owner_module"] = b.OwnerModule,
            ["category"] = b.Category,
            ["confidence"] = b.Confidence,
            ["exception_class"] = b.ExceptionClass,
            ["first_seen"] = b.FirstSeen?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["last_seen"] = b.LastSeen?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["example_dumps"] = new JsonArray(b.ExampleDumps.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()),
            ["next_steps"] = new JsonArray(b.NextSteps.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()),
        }).ToArray());
        var doc = new JsonObject { ["dumps"] = dumps, ["buckets"] = buckets };
        return doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
