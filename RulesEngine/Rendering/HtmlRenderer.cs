using FcgiExt.RulesEngine.Model;
using System.Text;
using FcgiExt.RulesEngine.Triage;

namespace FcgiExt.RulesEngine.Rendering;

/// <summary>
/// The report as one self-contained HTML file: inline CSS, no scripts, no fonts, images or style sheets from
/// anywhere, so it opens the same from a mail attachment on a machine without network. Every string is escaped;
/// only http(s) URLs become links.
/// </summary>
public static class HtmlRenderer
{
    /// <summary>The style sheet, public so the batch report can share the look.</summary>
    public const string Styles = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#1b1b1b;background:#fff;max-width:80em}
        h1{font-size:1.5em;margin-bottom:.3em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
        table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
        th{background:#f3f3f3}code,pre{font-family:Consolas,"DejaVu Sans Mono",monospace;font-size:.92em}
        pre{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap}
        .owner{font-weight:bold}.decided td{background:#fff4d6;font-weight:bold}.scan{color:#a15c00}
        .conf-high{color:#166b1a}.conf-medium{color:#8a6100}.conf-low{color:#a11}
        .onstack{font-weight:bold}ol li{margin-bottom:.4em}
        """;

    public static string Render(TriageResult r, bool verbose = false)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append("<title>FcgiExt triage: ").Append(Html.Escape(r.Verdict.Bucket)).Append("</title>\n");
        sb.Append("<style>\n").Append(Styles).Append("</style>\n</head>\n<body>\n");
        RenderSection(sb, r, verbose);
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>One result as an &lt;article&gt; (the batch report puts many on one page).</summary>
    public static void RenderSection(StringBuilder sb, TriageResult r, bool verbose)
    {
        var v = r.Verdict;
        var crash = r.Crash;
        sb.Append("<article>\n<h1>Crash triage: ").Append(Html.Escape(crash.Process.Name ?? "process unknown")).Append("</h1>\n");
        sb.Append("<table class=\"verdict\">\n");
        Row(sb, "Owner", $"<span class=\"owner\">{Html.Escape(RenderFormat.OwnerLine(v))}</span>");
        if (v.OwnerFrame is not null) Row(sb, "Frame", $"<code>{Html.Escape(v.OwnerFrame)}</code>" + (v.OwnerModule is null ? "" : $" in <code>{Html.Escape(v.OwnerModule)}</code>"));
        if (v.Rule is not null) Row(sb, "Rule", $"<code>{Html.Escape(v.Rule)}</code>");
        var conf = RenderFormat.Lower(v.Confidence);
        Row(sb, "Confidence", $"<span class=\"conf-{conf}\">{conf}</span>" +
            (v.ConfidenceReasons.Count == 0 ? "" : "<ul>" + string.Concat(v.ConfidenceReasons.Select(x => $"<li>{Html.Escape(x)}</li>")) + "</ul>"));
        Row(sb, "Bucket", $"<code>{Html.Escape(v.Bucket)}</code>");
        Row(sb, "Exception", Html.Escape(RenderFormat.ExceptionHeadline(r)) + (r.Exception is null ? "" : $" (<code>{Html.Escape(r.Exception.Class)}</code>)"));
        if (r.Exception?.Detail is { } detail) Row(sb, "Detail", Html.Escape(detail));
        if (v.ReportUrl is not null) Row(sb, "Report to", Html.Link(v.ReportUrl));
        if (v.SymbolsHint is not null) Row(sb, "Symbols", Html.Escape(v.SymbolsHint));
        if (v.Advice is not null) Row(sb, "Advice", Html.Escape(v.Advice));
        Row(sb, "Source", Html.Escape(crash.Source.Kind + (crash.Source.Path is null ? "" : " " + crash.Source.Path)) +
            (crash.Source.SkippedLines.Count == 0 ? "" : $" ({crash.Source.SkippedLines.Count} line(s) skipped by the reader)"));
        sb.Append("</table>\n");

        sb.Append("<h2>Symbols</h2>\n");
        var s = r.Symbols;
        if (s.Missing.Count + s.ExportOnly.Count + s.Mismatched.Count == 0)
            sb.Append("<p>").Append(Html.Escape(RenderFormat.NoSymbolProblems(crash))).Append("</p>\n");
        else
        {
            sb.Append("<table class=\"symbols\">\n<tr><th>Module</th><th>Problem</th><th>On the faulting stack</th><th>Where to get them</th></tr>\n");
            foreach (var (list, label) in new[] { (s.Missing, "missing"), (s.ExportOnly, "export only"), (s.Mismatched, "mismatched") })
                foreach (var m in list)
                    sb.Append("<tr").Append(m.OnFaultingStack ? " class=\"onstack\"" : "").Append("><td><code>").Append(Html.Escape(m.Module))
                      .Append("</code></td><td>").Append(label).Append("</td><td>").Append(m.OnFaultingStack ? "yes" : "no")
                      .Append("</td><td>").Append(Html.Escape(m.WhereToGet ?? "unknown")).Append("</td></tr>\n");
            sb.Append("</table>\n");
        }

        sb.Append("<h2>Stack</h2>\n");
        if (r.Frames.Count == 0) sb.Append("<p>No frames.</p>\n");
        else
        {
            sb.Append("<table class=\"stack\">\n<tr><th>#</th><th>Frame</th><th>Decision</th>").Append(verbose ? "<th>Why</th>" : "").Append("</tr>\n");
            foreach (var d in r.Frames)
            {
                bool decided = d.Action.NamesOwner() && d.Frame.Display == v.OwnerFrame;
                sb.Append(decided ? "<tr class=\"decided\">" : "<tr>")
                  .Append("<td>").Append(d.Frame.Index.ToString("d2")).Append("</td><td><code>")
                  .Append(Html.Escape(RenderFormat.FrameWithSource(d.Frame))).Append("</code>")
                  .Append(d.Frame.Trust == Model.FrameTrust.Scan ? " <span class=\"scan\">(scanned)</span>" : "")
                  .Append("</td><td>").Append(Html.Escape(RenderFormat.DecisionTag(d))).Append("</td>");
                if (verbose) sb.Append("<td>").Append(Html.Escape(d.Explanation)).Append("</td>");
                sb.Append("</tr>\n");
            }
            sb.Append("</table>\n");
        }

        sb.Append("<h2>Next steps</h2>\n<ol>\n");
        foreach (var step in r.NextSteps)
        {
            sb.Append("<li>").Append(Html.Escape(step.Text));
            if (step.Command is not null) sb.Append("<pre>").Append(Html.Escape(step.Command)).Append("</pre>");
            sb.Append("</li>\n");
        }
        sb.Append("</ol>\n");

        if (verbose && r.Explanation.Count > 0)
            sb.Append("<h2>Explanation</h2>\n<pre>").Append(Html.Escape(string.Join("\n", r.Explanation))).Append("</pre>\n");
        sb.Append("</article>\n");
    }

    static void Row(StringBuilder sb, string key, string valueHtml) =>
        sb.Append("<tr><th>").Append(key).Append("</th><td>").Append(valueHtml).Append("</td></tr>\n");
}

/// <summary>HTML escaping and the one kind of link the reports make.</summary>
public static class Html
{
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length + 16);
        foreach (var ch in text)
            sb.Append(ch switch { '&' => "&amp;", '<' => "&lt;", '>' => "&gt;", '"' => "&quot;", '\'' => "&#39;", _ => ch.ToString() });
        return sb.ToString();
    }

    /// <summary>An http(s) URL as a link (opening in a new tab, no referrer); anything else as text.</summary>
    public static string Link(string url)
    {
        bool web = Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
        return web ? $"<a href=\"{Escape(url)}\" rel=\"noreferrer noopener\" target=\"_blank\">{Escape(url)}</a>" : Escape(url);
    }
}
