using System.Text;
using System.Text.Json.Nodes;
using FcgiExt.RulesEngine.Reporting;
using FcgiExt.RulesEngine.Triage;

namespace FcgiExt.RulesEngine.Rendering;

/// <summary>
/// The report as one self-contained HTML file: inline CSS, no scripts, no fonts, images or style sheets from
/// anywhere, so it opens the same from a mail attachment on a machine without network. Every string is escaped;
/// only http(s) URLs become links. One result renders as the batch report's bucket section (<see cref="BatchHtmlReport"/>),
/// built from the same JSON contract, so both pages read alike.
/// </summary>
public static class HtmlRenderer
{
    /// <summary>The one style sheet of every HTML report. Words never break; tokens in code (bucket ids, frames, paths) may
    /// break anywhere, so nothing scrolls sideways down to 800 px. No url(): nothing is fetched.</summary>
    public const string Styles = """
        :root{color-scheme:light;--line:#d9dce1;--soft:#f4f6f8;--ink:#1b1f24;--muted:#5a6270;--accent:#2f5f98}
        *,*::before,*::after{box-sizing:border-box}
        html{-webkit-text-size-adjust:100%}
        body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:#fff;
          margin:0 auto;padding:1.2em 1.6em 3em;max-width:82em;word-break:normal;overflow-wrap:normal;hyphens:manual}
        h1{font-size:1.6em;margin:.2em 0 .5em}
        h2{font-size:1.25em;margin:1.8em 0 .5em;padding-bottom:.2em;border-bottom:2px solid var(--line)}
        h3{font-size:1.02em;margin:1.3em 0 .4em}h4{font-size:.95em;margin:1em 0 .3em}
        a{color:var(--accent);overflow-wrap:anywhere}.token{overflow-wrap:anywhere}
        p{margin:.5em 0}.note,.source,.more,.time{color:var(--muted)}.nowrap{white-space:nowrap}
        code{font-family:Consolas,"DejaVu Sans Mono","Liberation Mono",monospace;font-size:.9em;overflow-wrap:anywhere;word-break:normal}
        table{border-collapse:collapse;margin:.5em 0 1em;width:100%}
        th,td{border:1px solid var(--line);padding:.3em .6em;text-align:left;vertical-align:top}
        thead th{background:var(--soft);font-weight:600;white-space:nowrap}
        td.num{text-align:right;white-space:nowrap;width:1%}
        .cards{display:flex;flex-wrap:wrap;gap:.6em;margin:.6em 0 1em}
        .card{border:1px solid var(--line);border-radius:6px;padding:.5em .9em;background:var(--soft);min-width:9em}
        .card .n{display:block;font-size:1.6em;font-weight:700;line-height:1.2}.card.bad .n{color:#a4161a}.card.calm .n{color:#3d5a80}
        .charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,26em),1fr));gap:1em 2.5em}
        figure.chart{margin:0}figcaption{font-weight:600;margin-bottom:.4em}
        .bars{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr) auto;gap:.35em .6em;align-items:center}
        .bars .label{overflow-wrap:break-word}.bars .count{text-align:right;font-variant-numeric:tabular-nums}
        .bar{background:var(--soft);border-radius:3px;height:1.1em}
        .bar span{display:block;height:100%;background:#4a78b5;border-radius:3px}
        section.bucket{border:1px solid var(--line);border-left:6px solid #8a96a8;border-radius:6px;padding:.2em 1.1em .8em;margin:1.6em 0}
        section.bucket.conf-high{border-left-color:#2e7d32}section.bucket.conf-medium{border-left-color:#c98a00}
        section.bucket.conf-low{border-left-color:#b3261e}section.bucket.exit{border-left-color:#3d5a80}
        section.bucket h2{border-bottom:0;margin-top:.7em}section.bucket h2 .num{color:var(--muted)}
        h2 .sub{font-size:.8em;font-weight:400;color:var(--muted)}
        .verdict{font-size:1.08em;margin:.3em 0 .8em}
        table.facts th{width:11em;background:var(--soft);font-weight:600}
        .conf{font-weight:600}.conf.conf-high{color:#1e6b22}.conf.conf-medium{color:#8a5d00}.conf.conf-low{color:#a4161a}
        ul.why{margin:.3em 0;padding-left:1.3em}
        details{margin:.6em 0}summary{cursor:pointer;font-weight:600;margin:.4em 0}
        .src{display:block;color:var(--muted);font-weight:400}
        tr.decided td{background:#fff3c4;font-weight:600}tr.below td{color:var(--muted)}
        .tag{display:inline-block;font-size:.78em;font-weight:600;border:1px solid var(--line);border-radius:3px;padding:0 .35em;
          white-space:nowrap;color:var(--muted)}
        .tag.decides{color:#5c4400;border-color:#d9b54a;background:#fff8dc}.tag.scan{color:#a15c00}
        tr.onstack td:nth-child(3){font-weight:600}
        table.frames td:nth-child(2){width:46%;min-width:15em}table.symbols td:first-child{min-width:9em}
        table.frames.explain td:nth-child(2){width:34%;min-width:9em}
        table.symbols td:nth-child(2){white-space:nowrap}table.symbols td:nth-child(3){min-width:5.5em}
        #dumps td:first-child,table.failed td:first-child,table.suspects td:nth-child(2){min-width:14em}
        table.buckets td:nth-child(3){min-width:9em}
        ol.steps{padding-left:1.6em}ol.steps li{margin-bottom:.6em}
        .cmd{margin:.3em 0}.cmd code{display:block;background:var(--soft);border:1px solid var(--line);border-radius:4px;
          padding:.35em .6em;margin-top:.15em;user-select:all;-webkit-user-select:all;white-space:pre-wrap}
        .where{font-size:.88em;color:var(--muted);font-weight:600}
        tr.err td{color:#a4161a}ol.trace{font-size:.92em}
        details.dump{border:1px solid var(--line);border-radius:6px;padding:.1em .9em;margin:.6em 0}
        @media (max-width:60em){body{padding:1em 1em 2em}th,td{padding:.25em .4em}section.bucket{padding:.2em .7em .6em}}
        @media print{
          body{max-width:none;padding:0;font-size:10.5pt;color:#000}
          *{background:transparent!important;box-shadow:none!important}
          a{color:#000}section.bucket{border-left-width:3px;break-inside:auto}h2,h3,summary{break-after:avoid}
          tr{break-inside:avoid}tr.decided td{font-weight:700}
          .bar span{height:0;border-top:.9em solid #444}
          details::details-content{content-visibility:visible;display:block}
          .cmd code{border-color:#999}
        }
        """;

    public static string Render(TriageResult r, bool verbose = false)
    {
        // The batch page's section from the same contract JSON: one layout and one escaping path for both pages.
        var json = (JsonObject)JsonNode.Parse(JsonRenderer.Render(r, indented: false))!;
        var outcome = new DumpOutcome { Dump = r.Crash.Source.Path ?? "input", Result = json, DumpTime = r.Crash.Time };
        var source = r.Crash.Source;
        string sourceLine = source.Kind + (source.Path is null ? "" : " " + source.Path) +
            (source.SkippedLineCount == 0 ? "" : $" ({source.SkippedLineCount} line(s) skipped by the reader)");
        return BatchHtmlReport.RenderSingle(BatchReport.Build([outcome]), verbose, r.Crash.Process.Name, sourceLine);
    }
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
        bool web = Uri.TryCreate(url, UriKind.Absolute, out var uri)
                   && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);
        return web ? $"<a href=\"{Escape(url)}\" rel=\"noreferrer noopener\" target=\"_blank\">{Escape(url)}</a>" : Escape(url);
    }
}
