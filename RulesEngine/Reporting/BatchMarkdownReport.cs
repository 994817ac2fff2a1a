using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.RulesEngine.Reporting;

/// <summary>The batch report as Markdown, for an issue or a wiki page.</summary>
public static class BatchMarkdownReport
{
    // ---------- Markdown ----------
    // Escaping is the single-report renderers' (Rendering.Md, Rendering.Html): one place decides what is safe.
    static string MdText(string? s) => s is null ? "-" : Md.Text(s);

    public static string Render(BatchReport r, bool verbose = false)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# FastCGI crash triage").AppendLine().AppendLine(BatchReportRenderers.Summary(r) + ".").AppendLine();
        sb.AppendLine("## Buckets").AppendLine();
        sb.AppendLine("| # | count | owner | category | confidence | class | first | last | bucket |");
        sb.AppendLine("|---|---:|---|---|---|---|---|---|---|");
        for (int i = 0; i < r.Buckets.Count; i++)
        {
            var b = r.Buckets[i];
            sb.AppendLine($"| {i + 1} | {b.Count} | {MdText(b.Owner)} | {MdText(b.Category)} | {MdText(b.Confidence)} | {MdText(b.ExceptionClass)} | {BatchReportRenderers.Time(b.FirstSeen)} | {BatchReportRenderers.Time(b.LastSeen)} | {Md.Code(b.Bucket)} |");
        }
        for (int i = 0; i < r.Buckets.Count; i++)
        {
            var b = r.Buckets[i];
            sb.AppendLine().AppendLine($"### {i + 1}. {MdText(b.Owner)} — {b.Count} dump(s)").AppendLine();
            sb.AppendLine($"- bucket: {Md.Code(b.Bucket)}");
            sb.AppendLine($"- owner module: {MdText(b.OwnerModule)}; category {MdText(b.Category)}; confidence {MdText(b.Confidence)}");
            sb.AppendLine($"- example dumps: {string.Join(", ", b.ExampleDumps.Select(MdText))}");
            if (b.NextSteps.Count > 0)
            {
                sb.AppendLine("- next steps:");
                foreach (var s in b.NextSteps) sb.AppendLine($"  - {MdText(s)}");
            }
        }
        sb.AppendLine().AppendLine("## Dumps").AppendLine();
        sb.AppendLine("| dump | time | owner | class | confidence | bucket or error |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var d in r.Dumps)
            sb.AppendLine(d.Triaged
                ? $"| {MdText(d.Dump)} | {BatchReportRenderers.Time(d.DumpTime)} | {MdText(d.Get("verdict", "owner"))} | {MdText(d.Get("exception", "class"))} | {MdText(d.Get("verdict", "confidence"))} | {Md.Code(d.Get("verdict", "bucket") ?? "-")} |"
                : $"| {MdText(d.Dump)} | {BatchReportRenderers.Time(d.DumpTime)} | - | - | - | error: {MdText(d.Error)} |");
        return sb.ToString();
    }
}
