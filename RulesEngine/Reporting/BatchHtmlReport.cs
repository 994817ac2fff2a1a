using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.RulesEngine.Reporting;

/// <summary>The batch report as one self-contained HTML page.</summary>
public static class BatchHtmlReport
{
    // ---------- HTML: one self-contained file, inline CSS and SVG bar chart, no scripts or external resources ----------
    static string H(string? s) => s is null ? "-" : Rendering.Html.Escape(s);

    public static string Render(BatchReport r, bool verbose = false)
    {
        var sb = new StringBuilder();
        sb.AppendLine("<!DOCTYPE html>");
        sb.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\"><title>FastCGI crash triage</title>");
        sb.AppendLine("<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}" +
                      "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f0f0}" +
                      "code{font-size:90%;word-break:break-all}td ul{margin:0;padding-left:1.2em;min-width:18em}.err{color:#a00}svg text{font-size:12px;font-family:system-ui,sans-serif}</style>");
        sb.AppendLine("</head><body>");
        sb.AppendLine("<h1>FastCGI crash triage</h1>");
        sb.AppendLine($"<p id=\"summary\">{H(BatchReportRenderers.Summary(r))}</p>");
        sb.AppendLine("<h2>Buckets by count</h2>");
        sb.Append(BarChart(r.Buckets));
        sb.AppendLine("<table id=\"buckets\"><thead><tr><th>#</th><th>count</th><th>owner</th><th>category</th><th>confidence</th><th>class</th><th>first</th><th>last</th><th>bucket</th><th>examples</th><th>next steps</th></tr></thead><tbody>");
        for (int i = 0; i < r.Buckets.Count; i++)
        {
            var b = r.Buckets[i];
            sb.AppendLine($"<tr><td>{i + 1}</td><td>{b.Count}</td><td>{H(b.Owner)}</td><td>{H(b.Category)}</td><td>{H(b.Confidence)}</td><td>{H(b.ExceptionClass)}</td>" +
                          $"<td>{BatchReportRenderers.Time(b.FirstSeen)}</td><td>{BatchReportRenderers.Time(b.LastSeen)}</td><td><code>{H(b.Bucket)}</code></td>" +
                          $"<td>{string.Join("<br>", b.ExampleDumps.Select(H))}</td><td><ul>{string.Concat(b.NextSteps.Select(s => $"<li>{H(s)}</li>"))}</ul></td></tr>");
        }
        sb.AppendLine("</tbody></table>");
        sb.AppendLine("<h2>Dumps</h2>");
        sb.AppendLine("<table id=\"dumps\"><thead><tr><th>dump</th><th>time</th><th>owner</th><th>class</th><th>confidence</th><th>bucket or error</th></tr></thead><tbody>");
        foreach (var d in r.Dumps)
            sb.AppendLine(d.Triaged
                ? $"<tr><td>{H(d.Dump)}</td><td>{BatchReportRenderers.Time(d.DumpTime)}</td><td>{H(d.Get("verdict", "owner"))}</td><td>{H(d.Get("exception", "class"))}</td><td>{H(d.Get("verdict", "confidence"))}</td><td><code>{H(d.Get("verdict", "bucket"))}</code></td></tr>"
                : $"<tr class=\"err\"><td>{H(d.Dump)}</td><td>{BatchReportRenderers.Time(d.DumpTime)}</td><td>-</td><td>-</td><td>-</td><td>error: {H(d.Error)}</td></tr>");
        sb.AppendLine("</tbody></table>");
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }

    static string BarChart(IReadOnlyList<BucketSummary> buckets)
    {
        const int barHeight = 22, gap = 6, labelWidth = 360, chartWidth = 420;
        int max = buckets.Count == 0 ? 1 : buckets.Max(b => b.Count);
        int height = Math.Max(1, buckets.Count) * (barHeight + gap) + gap;
        var sb = new StringBuilder();
        sb.AppendLine($"<svg id=\"bucket-chart\" role=\"img\" aria-label=\"dumps per bucket\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{labelWidth + chartWidth + 60}\" height=\"{height}\">");
        if (buckets.Count == 0)
            sb.AppendLine($"<text x=\"4\" y=\"{barHeight}\">no triaged dumps</text>");
        for (int i = 0; i < buckets.Count; i++)
        {
            var b = buckets[i];
            int y = gap + i * (barHeight + gap);
            int w = Math.Max(2, (int)Math.Round((double)b.Count / max * chartWidth));
            var label = $"{b.Owner} — {b.ExceptionClass ?? "?"}";
            if (label.Length > 55) label = label[..54] + "…";
            sb.AppendLine($"<g class=\"bar\"><title>{H(b.Bucket)}</title>" +
                          $"<text x=\"{labelWidth - 6}\" y=\"{y + barHeight - 6}\" text-anchor=\"end\">{H(label)}</text>" +
                          $"<rect x=\"{labelWidth}\" y=\"{y}\" width=\"{w}\" height=\"{barHeight}\" fill=\"#4a78b5\"></rect>" +
                          $"<text x=\"{labelWidth + w + 6}\" y=\"{y + barHeight - 6}\">{b.Count}</text></g>");
        }
        sb.AppendLine("</svg>");
        return sb.ToString();
    }
}
