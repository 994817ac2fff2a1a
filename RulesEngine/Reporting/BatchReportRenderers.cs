using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.RulesEngine.Reporting;

/// <summary>Text, JSON, Markdown and HTML forms of a batch report. Same content in each.</summary>
public static class BatchReportRenderers
{
    public static string Render(BatchReport report, string format) => format switch
    {
        "text" => Text(report),
        "json" => Json(report),
        "markdown" => Markdown(report),
        "html" => Html(report),
        _ => throw new ArgumentException($"unknown format '{format}' (text, json, markdown, html)"),
    };

    static string Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";

    static string Summary(BatchReport r) =>
        $"{r.Dumps.Count} dump(s): {r.Dumps.Count - r.Failed} triaged, {r.Failed} could not be triaged; {r.Buckets.Count} bucket(s)";

    // ---------- JSON: {"dumps": [...], "buckets": [...]} ----------
    public static string Json(BatchReport r)
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

    // ---------- Text tables for the terminal ----------
    public static string Text(BatchReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(Summary(r)).AppendLine();
        sb.AppendLine("Buckets");
        sb.Append(Table(["#", "count", "owner", "category", "confidence", "class", "first", "last", "bucket"],
            r.Buckets.Select((b, i) => new[] { (i + 1).ToString(CultureInfo.InvariantCulture), b.Count.ToString(CultureInfo.InvariantCulture),
                b.Owner, b.Category, b.Confidence, b.ExceptionClass ?? "-", Time(b.FirstSeen), Time(b.LastSeen), b.Bucket })));
        for (int i = 0; i < r.Buckets.Count; i++)
        {
            var b = r.Buckets[i];
            sb.AppendLine().AppendLine($"[{i + 1}] {b.Bucket}");
            sb.AppendLine($"    owner: {b.Owner} ({b.Category}), module {b.OwnerModule ?? "-"}, confidence {b.Confidence}");
            sb.AppendLine($"    examples: {string.Join(", ", b.ExampleDumps)}");
            foreach (var s in b.NextSteps) sb.AppendLine($"    - {s}");
        }
        sb.AppendLine().AppendLine("Dumps");
        sb.Append(Table(["dump", "time", "owner", "class", "confidence", "bucket / error"],
            r.Dumps.Select(d => d.Triaged
                ? new[] { d.Dump, Time(d.DumpTime), d.Get("verdict", "owner") ?? "-", d.Get("exception", "class") ?? "-",
                          d.Get("verdict", "confidence") ?? "-", d.Get("verdict", "bucket") ?? "-" }
                : [d.Dump, Time(d.DumpTime), "-", "-", "-", "error: " + d.Error])));
        return sb.ToString();
    }

    static string Table(string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = new int[header.Length];
        foreach (var row in all)
            for (int c = 0; c < row.Length; c++) widths[c] = Math.Max(widths[c], row[c].Length);
        var sb = new StringBuilder();
        for (int r = 0; r < all.Count; r++)
        {
            var row = all[r];
            sb.AppendLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
            if (r == 0) sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        }
        return sb.ToString();
    }

    // ---------- Markdown ----------
    // Escaping is the single-report renderers' (Rendering.Md, Rendering.Html): one place decides what is safe.
    static string MdText(string? s) => s is null ? "-" : Md.Text(s);

    public static string Markdown(BatchReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# FastCGI crash triage").AppendLine().AppendLine(Summary(r) + ".").AppendLine();
        sb.AppendLine("## Buckets").AppendLine();
        sb.AppendLine("| # | count | owner | category | confidence | class | first | last | bucket |");
        sb.AppendLine("|---|---:|---|---|---|---|---|---|---|");
        for (int i = 0; i < r.Buckets.Count; i++)
        {
            var b = r.Buckets[i];
            sb.AppendLine($"| {i + 1} | {b.Count} | {MdText(b.Owner)} | {MdText(b.Category)} | {MdText(b.Confidence)} | {MdText(b.ExceptionClass)} | {Time(b.FirstSeen)} | {Time(b.LastSeen)} | {Md.Code(b.Bucket)} |");
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
                ? $"| {MdText(d.Dump)} | {Time(d.DumpTime)} | {MdText(d.Get("verdict", "owner"))} | {MdText(d.Get("exception", "class"))} | {MdText(d.Get("verdict", "confidence"))} | {Md.Code(d.Get("verdict", "bucket") ?? "-")} |"
                : $"| {MdText(d.Dump)} | {Time(d.DumpTime)} | - | - | - | error: {MdText(d.Error)} |");
        return sb.ToString();
    }

    // ---------- HTML: one self-contained file, inline CSS and SVG bar chart, no scripts or external resources ----------
    static string H(string? s) => s is null ? "-" : Rendering.Html.Escape(s);

    public static string Html(BatchReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("<!DOCTYPE html>");
        sb.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\"><title>FastCGI crash triage</title>");
        sb.AppendLine("<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}" +
                      "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f0f0}" +
                      "code{font-size:90%;word-break:break-all}td ul{margin:0;padding-left:1.2em;min-width:18em}.err{color:#a00}svg text{font-size:12px;font-family:system-ui,sans-serif}</style>");
        sb.AppendLine("</head><body>");
        sb.AppendLine("<h1>FastCGI crash triage</h1>");
        sb.AppendLine($"<p id=\"summary\">{H(Summary(r))}</p>");
        sb.AppendLine("<h2>Buckets by count</h2>");
        sb.Append(BarChart(r.Buckets));
        sb.AppendLine("<table id=\"buckets\"><thead><tr><th>#</th><th>count</th><th>owner</th><th>category</th><th>confidence</th><th>class</th><th>first</th><th>last</th><th>bucket</th><th>examples</th><th>next steps</th></tr></thead><tbody>");
        for (int i = 0; i < r.Buckets.Count; i++)
        {
            var b = r.Buckets[i];
            sb.AppendLine($"<tr><td>{i + 1}</td><td>{b.Count}</td><td>{H(b.Owner)}</td><td>{H(b.Category)}</td><td>{H(b.Confidence)}</td><td>{H(b.ExceptionClass)}</td>" +
                          $"<td>{Time(b.FirstSeen)}</td><td>{Time(b.LastSeen)}</td><td><code>{H(b.Bucket)}</code></td>" +
                          $"<td>{string.Join("<br>", b.ExampleDumps.Select(H))}</td><td><ul>{string.Concat(b.NextSteps.Select(s => $"<li>{H(s)}</li>"))}</ul></td></tr>");
        }
        sb.AppendLine("</tbody></table>");
        sb.AppendLine("<h2>Dumps</h2>");
        sb.AppendLine("<table id=\"dumps\"><thead><tr><th>dump</th><th>time</th><th>owner</th><th>class</th><th>confidence</th><th>bucket or error</th></tr></thead><tbody>");
        foreach (var d in r.Dumps)
            sb.AppendLine(d.Triaged
                ? $"<tr><td>{H(d.Dump)}</td><td>{Time(d.DumpTime)}</td><td>{H(d.Get("verdict", "owner"))}</td><td>{H(d.Get("exception", "class"))}</td><td>{H(d.Get("verdict", "confidence"))}</td><td><code>{H(d.Get("verdict", "bucket"))}</code></td></tr>"
                : $"<tr class=\"err\"><td>{H(d.Dump)}</td><td>{Time(d.DumpTime)}</td><td>-</td><td>-</td><td>-</td><td>error: {H(d.Error)}</td></tr>");
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
