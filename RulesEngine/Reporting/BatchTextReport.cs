using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.RulesEngine.Reporting;

/// <summary>The batch report as text for a terminal.</summary>
public static class BatchTextReport
{
    // ---------- Text tables for the terminal ----------
    public static string Render(BatchReport r, bool verbose = false)
    {
        var sb = new StringBuilder();
        sb.AppendLine(BatchReportRenderers.Summary(r)).AppendLine();
        sb.AppendLine("Buckets");
        sb.Append(Table(["#", "count", "owner", "category", "confidence", "class", "first", "last", "bucket"],
            r.Buckets.Select((b, i) => new[] { (i + 1).ToString(CultureInfo.InvariantCulture), b.Count.ToString(CultureInfo.InvariantCulture),
                b.Owner, b.Category, b.Confidence, b.ExceptionClass ?? "-", BatchReportRenderers.Time(b.FirstSeen), BatchReportRenderers.Time(b.LastSeen), b.Bucket })));
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
                ? new[] { d.Dump, BatchReportRenderers.Time(d.DumpTime), d.Get("verdict", "owner") ?? "-", d.Get("exception", "class") ?? "-",
                          d.Get("verdict", "confidence") ?? "-", d.Get("verdict", "bucket") ?? "-" }
                : [d.Dump, BatchReportRenderers.Time(d.DumpTime), "-", "-", "-", "error: " + d.Error])));
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
}
