using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.RulesEngine.Reporting;

/// <summary>Text, JSON, Markdown and HTML forms of a batch report: one file per form, the same content in each.</summary>
public static class BatchReportRenderers
{
    public const string Formats = "text, json, markdown, html";

    /// <param name="verbose">-v: every dump's own block (stack with each frame's explanation), not only one per bucket.</param>
    /// <param name="width">Terminal columns for the text form (clamped to 80–160).</param>
    public static string Render(BatchReport report, string format, bool verbose = false, int width = TextLayout.DefaultWidth)
        => format switch
    {
        "text" => BatchTextReport.Render(report, verbose, width),
        "json" => BatchJsonReport.Render(report),
        "markdown" => BatchMarkdownReport.Render(report, verbose),
        "html" => BatchHtmlReport.Render(report, verbose),
        _ => throw new ArgumentException($"unknown format '{format}' ({Formats})"),
    };

    public static string Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";

    public static string Summary(BatchReport r) =>
        $"{r.Dumps.Count} dump(s): {r.Dumps.Count - r.Failed} triaged, {r.Failed} could not be triaged; {r.Buckets.Count} bucket(s)";
}
