using System.Globalization;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FcgiExt.RulesEngine.Reporting;

/// <summary>
/// The batch report as JSON, the envelope of docs/batch.schema.json:
/// {"schema_version", "tool_version", "dumps": [verdict + dump…], "buckets": [...], "failed": [{dump, error}…]}.
/// </summary>
public static class BatchJsonReport
{
    /// <summary>The envelope's own version; each verdict in `dumps` carries the verdict contract's schema_version.</summary>
    public const int SchemaVersion = 1;

    /// <summary>Relaxed escaping, as the single-verdict JSON: `+0x96`, `'`, `<` and `>` stay as they are, so grep finds
    /// them. The output is JSON, never HTML: the HTML renderer escapes everything itself.</summary>
    public static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>One line per object, for the JSON-lines results file.</summary>
    public static readonly JsonSerializerOptions OneLine = new()
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>This build's informational version ("1.0.0+&lt;commit&gt;" when built from a git checkout).</summary>
    public static string ToolVersion => ProductInfo.Version;

    public static string Render(BatchReport r) => ToJson(r).ToJsonString(Indented) + "\n";

    public static JsonObject ToJson(BatchReport r)
    {
        var dumps = new JsonArray(r.Dumps.Where(d => d.Triaged).Select(d => (JsonNode)d.ToJson()).ToArray());
        var failed = new JsonArray(r.Dumps.Where(d => !d.Triaged).Select(d => (JsonNode)new JsonObject
        {
            ["dump"] = d.Dump,
            ["error"] = d.Error ?? "no verdict",
            ["dump_time"] = Time(d.DumpTime),
        }).ToArray());
        var buckets = new JsonArray(r.Buckets.Select(b => (JsonNode)new JsonObject
        {
            ["bucket"] = b.Bucket,
            ["count"] = b.Count,
            ["owner"] = b.Owner,
            ["owner_module"] = b.OwnerModule,
            ["category"] = b.Category,
            ["confidence"] = b.Confidence,
            ["exception_class"] = b.ExceptionClass,
            ["first_seen"] = Time(b.FirstSeen),
            ["last_seen"] = Time(b.LastSeen),
            ["dumps"] = Strings(b.AllDumps),
            ["example_dumps"] = Strings(b.ExampleDumps),
            ["next_steps"] = Strings(b.NextSteps),
        }).ToArray());
        return new JsonObject
        {
            ["schema_version"] = SchemaVersion,
            ["tool_version"] = ToolVersion,
            ["dumps"] = dumps,
            ["buckets"] = buckets,
            ["failed"] = failed,
        };
    }

    static JsonArray Strings(IEnumerable<string> items) => new(items.Select(e => (JsonNode)JsonValue.Create(e)).ToArray());

    static string? Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
