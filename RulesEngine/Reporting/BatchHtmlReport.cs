using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.RulesEngine.Reporting;

/// <summary>
/// The batch report as one self-contained HTML page, laid out like DebugDiag's analysis report: a summary (counts,
/// owners and classes as bars), a bucket table linking to one section per bucket (verdict, why, stack, deciding module,
/// symbols, next steps, dumps), the dumps that failed, and with -v one block per dump. Inline CSS only: no scripts,
/// fonts, images or style sheets from anywhere. Every string goes through <see cref="Html.Escape"/>; only http(s) URLs
/// become links (<see cref="Html.Link"/>). The single-result page (<see cref="HtmlRenderer"/>) is the same bucket section.
/// </summary>
public static partial class BatchHtmlReport
{
    public static string Render(BatchReport r, bool verbose = false)
    {
        var page = new Page(r, verbose);
        var sb = new StringBuilder();
        Head(sb, "FastCGI crash triage");
        sb.Append("<header>\n<h1>FastCGI crash triage</h1>\n");
        Summary(sb, r);
        sb.Append("</header>\n<main>\n");
        if (r.Buckets.Count > 0) Charts(sb, r);
        BucketTable(sb, page);
        for (int i = 0; i < r.Buckets.Count; i++) BucketSection(sb, page, r.Buckets[i], i + 1);
        Failed(sb, r);
        DumpTable(sb, page);
        if (verbose) EveryDump(sb, page);
        sb.Append("</main>\n</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>One result on its own page (`fcgi triage --stack-text f --format html`): the batch page's bucket section,
    /// with where the input came from instead of the bucket's dump list.</summary>
    public static string RenderSingle(BatchReport r, bool verbose, string? processName, string? sourceLine)
    {
        var page = new Page(r, verbose) { Single = true };
        var sb = new StringBuilder();
        var bucket = r.Buckets.Count > 0 ? r.Buckets[0] : null;
        Head(sb, "FcgiExt triage: " + (bucket?.Bucket ?? "not triaged"));
        sb.Append("<header>\n<h1>Crash triage").Append(processName is null ? "" : ": " + Text(processName)).Append("</h1>\n");
        if (sourceLine is not null) sb.Append("<p class=\"source\">Read from ").Append(Text(sourceLine)).Append("</p>\n");
        sb.Append("</header>\n<main>\n");
        if (bucket is not null) BucketSection(sb, page, bucket, 0);
        Failed(sb, r);
        if (verbose) EveryDump(sb, page);
        sb.Append("</main>\n</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>What one rendering needs across sections: each bucket's anchor (unique on the page) and each dump's block id.</summary>
    sealed class Page
    {
        public BatchReport Report { get; }
        public bool Verbose { get; }
        public bool Single { get; init; }
        readonly Dictionary<string, string> _anchors;
        readonly Dictionary<string, int> _dumpIndex = new(StringComparer.Ordinal);
        readonly Dictionary<string, DumpOutcome> _outcomes = new(StringComparer.Ordinal);

        public Page(BatchReport r, bool verbose)
        {
            Report = r;
            Verbose = verbose;
            _anchors = Anchors(r.Buckets);
            for (int i = 0; i < r.Dumps.Count; i++)
            {
                _dumpIndex.TryAdd(r.Dumps[i].Dump, i + 1);
                _outcomes.TryAdd(r.Dumps[i].Dump, r.Dumps[i]);
            }
        }

        public string Anchor(BucketSummary b) => _anchors[b.Bucket];
        public string DumpId(string dump) => "dump-" + _dumpIndex[dump].ToString(CultureInfo.InvariantCulture);
        public DumpOutcome? Outcome(string dump) => _outcomes.GetValueOrDefault(dump);
    }

    /// <summary>Each bucket's anchor: <see cref="BucketSummary.Anchor"/>, and when two bucket ids map to the same anchor
    /// (it replaces characters a fragment would escape), "-2", "-3" … on the later ones in report order, so every link
    /// still lands on its own bucket and the biggest bucket keeps the plain anchor.</summary>
    public static Dictionary<string, string> Anchors(IReadOnlyList<BucketSummary> buckets)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in buckets)
        {
            if (map.ContainsKey(b.Bucket)) continue;
            string anchor = b.Anchor;
            for (int n = 2; !taken.Add(anchor); n++) anchor = $"{b.Anchor}-{n}";
            map[b.Bucket] = anchor;
        }
        return map;
    }

    // ---------------------------------------------------------------- page parts

    static void Head(StringBuilder sb, string title)
    {
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append("<title>").Append(H(title)).Append("</title>\n");
        sb.Append("<style>\n").Append(HtmlRenderer.Styles).Append("</style>\n</head>\n<body>\n");
    }

    static void Summary(StringBuilder sb, BatchReport r)
    {
        int triaged = r.Dumps.Count - r.Failed;
        sb.Append("<div class=\"cards\" id=\"summary\">\n");
        Card(sb, r.Dumps.Count, "dumps analysed", null, null);
        Card(sb, triaged, "triaged", null, null);
        Card(sb, r.Failed, "could not be triaged", r.Failed > 0 ? "#failed" : null, r.Failed > 0 ? "bad" : null);
        Card(sb, r.Buckets.Count, r.Buckets.Count == 1 ? "bucket" : "buckets", r.Buckets.Count > 0 ? "#buckets" : null, null);
        int exits = r.Buckets.Where(IsExit).Sum(b => b.Count);
        string exitLabel = exits == 1 ? "not a crash (the process ended itself)" : "not crashes (the processes ended themselves)";
        if (exits > 0) Card(sb, exits, exitLabel, null, "calm");
        sb.Append("</div>\n");
    }

    static void Card(StringBuilder sb, int n, string label, string? href, string? kind)
    {
        sb.Append("<div class=\"card").Append(kind is null ? "" : " " + kind).Append("\"><span class=\"n\">").Append(n).Append("</span> ");
        sb.Append(href is null ? H(label) : $"<a href=\"{H(href)}\">{H(label)}</a>").Append("</div>\n");
    }

    /// <summary>Owners and exception classes by dump count, as HTML bars: labels wrap instead of being clipped.</summary>
    static void Charts(StringBuilder sb, BatchReport r)
    {
        sb.Append("<section id=\"mix\">\n<h2>What crashed</h2>\n<div class=\"charts\">\n");
        var owners = r.Buckets.GroupBy(b => IsExit(b) ? "" : b.Owner)
            .Select(g => (Label: g.Key.Length == 0 ? "not a crash (the process ended itself)" : g.Key, Code: false,
                          Count: g.Sum(b => b.Count)));
        Chart(sb, "owners-chart", "Owners", owners);
        var classes = r.Buckets.GroupBy(b => b.ExceptionClass ?? "unknown")
            .Select(g => (Label: g.Key, Code: true, Count: g.Sum(b => b.Count)));
        Chart(sb, "classes-chart", "Exception classes", classes);
        sb.Append("</div>\n</section>\n");
    }

    static void Chart(StringBuilder sb, string id, string title, IEnumerable<(string Label, bool Code, int Count)> rows)
    {
        var list = rows.OrderByDescending(x => x.Count).ThenBy(x => x.Label, StringComparer.Ordinal).ToList();
        int max = Math.Max(1, list.Max(x => x.Count));
        sb.Append("<figure class=\"chart\" id=\"").Append(id).Append("\">\n<figcaption>").Append(H(title))
          .Append(" by dumps</figcaption>\n");
        sb.Append("<div class=\"bars\">\n");
        foreach (var (label, code, count) in list)
        {
            double pct = Math.Max(1.5, 100.0 * count / max);
            sb.Append("<div class=\"label\">").Append(code ? C(label) : Text(label)).Append("</div>");
            sb.Append("<div class=\"bar\"><span style=\"width:").Append(pct.ToString("0.#", CultureInfo.InvariantCulture))
              .Append("%\"></span></div>");
            sb.Append("<div class=\"count\">").Append(count).Append("</div>\n");
        }
        sb.Append("</div>\n</figure>\n");
    }

    static void BucketTable(StringBuilder sb, Page page)
    {
        var r = page.Report;
        sb.Append("<section id=\"buckets\">\n<h2>Buckets</h2>\n");
        if (r.Buckets.Count == 0)
        {
            sb.Append("<p>No dump could be triaged.</p>\n</section>\n");
            return;
        }
        sb.Append("<p class=\"note\">One bucket per distinct crash (exception class and deciding frame), biggest first; ")
          .Append("each row links to its section.</p>\n");
        sb.Append("<table class=\"buckets\">\n<thead><tr><th>#</th><th>owner</th><th>class</th><th>confidence</th><th>dumps</th>")
          .Append("<th>seen</th></tr></thead>\n<tbody>\n");
        for (int i = 0; i < r.Buckets.Count; i++)
        {
            var b = r.Buckets[i];
            string href = "#" + page.Anchor(b);
            sb.Append("<tr><td class=\"num\">").Append(i + 1).Append("</td><td><a href=\"").Append(H(href)).Append("\">")
              .Append(Text(OwnerLabel(b))).Append("</a></td><td>").Append(C(b.ExceptionClass ?? "unknown")).Append("</td><td>")
              .Append(Confidence(b.Confidence)).Append("</td><td class=\"num\">").Append(b.Count).Append("</td><td>")
              .Append(Seen(b)).Append("</td></tr>\n");
        }
        sb.Append("</tbody>\n</table>\n</section>\n");
    }

    static void BucketSection(StringBuilder sb, Page page, BucketSummary b, int number)
    {
        var d = b.Detail;
        var first = b.AllDumps.Count > 0 ? page.Outcome(b.AllDumps[0])?.Result : null;
        bool exit = IsExit(b);
        sb.Append("<section class=\"bucket").Append(exit ? " exit" : " conf-" + Lower(b.Confidence)).Append("\" id=\"")
          .Append(H(page.Anchor(b))).Append("\">\n");
        sb.Append("<h2>").Append(number > 0 ? $"<span class=\"num\">{number}.</span> " : "").Append(Text(OwnerLabel(b)));
        sb.Append(" <span class=\"sub\">").Append(C(b.ExceptionClass ?? "unknown"));
        if (!page.Single) sb.Append(" · ").Append(b.Count).Append(b.Count == 1 ? " dump" : " dumps");
        sb.Append("</span></h2>\n");
        sb.Append("<p class=\"verdict\">").Append(VerdictSentence(b, first)).Append("</p>\n");

        sb.Append("<table class=\"facts\">\n");
        Fact(sb, "Bucket", $"<code>{H(b.Bucket)}</code>");
        if (d?.ExceptionLine is { } line) Fact(sb, "Exception", Text(line));
        if (d?.ExceptionDetail is { } detail && !exit) Fact(sb, "Detail", Text(detail));
        Fact(sb, "Confidence", Confidence(b.Confidence));
        if (!exit && b.Category is { } cat && cat != "unknown") Fact(sb, "Category", Text(cat));
        if (d?.ReportUrl is { } url) Fact(sb, "Report to", Html.Link(url));
        if (!page.Single) Fact(sb, b.Count == 1 ? "Seen" : "First, last seen", Seen(b));
        sb.Append("</table>\n");

        Why(sb, b, d, first);
        if (d is not null)
        {
            Stack(sb, page, b, d);
            Module(sb, d, first);
            Symbols(sb, d, first);
            Steps(sb, d);
        }
        if (!page.Single) BucketDumps(sb, page, b);
        sb.Append("</section>\n");
    }

    static void Fact(StringBuilder sb, string key, string valueHtml) =>
        sb.Append("<tr><th>").Append(H(key)).Append("</th><td>").Append(valueHtml).Append("</td></tr>\n");

    /// <summary>The verdict in one sentence: who owns it and what happened where, or that nothing crashed.</summary>
    static string VerdictSentence(BucketSummary b, JsonObject? first)
    {
        if (IsExit(b)) return "<strong>Not a crash: the process ended itself.</strong>";
        string what = Str(first, "exception", "name") ?? b.ExceptionClass ?? "A crash";
        string where = Str(first, "verdict", "owner_frame") is { } frame ? $" in <code>{H(frame)}</code>" : "";
        if (b.Owner is "unknown" or "") return $"<strong>No owner found.</strong> {Text(what)}{where}.";
        string verb = b.Confidence switch
        {
            "high" => "owns this crash", "medium" => "most likely owns this crash", _ => "may own this crash",
        };
        return $"<strong>{Text(b.Owner)}</strong> {verb}: {Text(what)}{where}.";
    }

    static void Why(StringBuilder sb, BucketSummary b, DumpDetail? d, JsonObject? first)
    {
        sb.Append("<h3>Why</h3>\n<ul class=\"why\">\n");
        var deciding = d?.Stack.FirstOrDefault(f => f.Deciding);
        if (IsExit(b))
            sb.Append("<li>").Append(Text(d?.ExceptionDetail ?? "The stack shows the process shutting itself down.")).Append("</li>\n");
        else if (d?.Rule is { } rule)
            sb.Append("<li>Decided by the catalog rule <code>").Append(H(rule)).Append("</code>")
              .Append(deciding is null ? "" : $" at frame #{deciding.Index:d2}").Append(".</li>\n");
        else
            sb.Append("<li>No catalog rule named an owner for any frame of the stack.</li>\n");
        foreach (var reason in d?.ConfidenceReasons ?? [])
            sb.Append("<li>").Append(Text(reason)).Append("</li>\n");
        if (!IsExit(b) && b.Confidence == "high" && (d?.ConfidenceReasons.Count ?? 0) == 0)
            sb.Append("<li>Confidence high: nothing on the stack weakens the verdict.</li>\n");
        if (d?.Advice is { } advice) sb.Append("<li>From the catalog: ").Append(Text(advice)).Append("</li>\n");
        sb.Append("</ul>\n");

        var suspects = (first?["verdict"]?["suspects"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (suspects.Count == 0) return;
        sb.Append("<table class=\"suspects\">\n<thead><tr><th>suspect</th><th>frame</th><th>why</th></tr></thead>\n<tbody>\n");
        foreach (var s in suspects)
            sb.Append("<tr><td>").Append(Text(Str(s, "owner") ?? "unknown")).Append(Str(s, "module") is { } m ? $" ({C(m)})" : "")
              .Append("</td><td>").Append(C(Str(s, "frame") ?? "-")).Append("</td><td>").Append(Text(Str(s, "why")))
              .Append("</td></tr>\n");
        sb.Append("</tbody>\n</table>\n");
    }

    static void Stack(StringBuilder sb, Page page, BucketSummary b, DumpDetail d)
    {
        int at = d.Stack.ToList().FindIndex(f => f.Deciding);
        int below = at < 0 ? 0 : d.Stack.Count - 1 - at;
        sb.Append("<details class=\"stack\" open>\n<summary>Stack");
        if (d.Stack.Count > 0)
            sb.Append(at < 0
                ? $": the top {(d.Stack.Count == 1 ? "frame" : $"{d.Stack.Count} frames")} (no frame decided)"
                : $": to the deciding frame #{d.Stack[at].Index:d2}" + (below == 0 ? "" : $" and {below} below it"));
        sb.Append("</summary>\n");
        if (d.Stack.Count == 0)
        {
            sb.Append("<p>The input has no stack.</p>\n</details>\n");
            return;
        }
        FrameTable(sb, d.Stack.Select(f => (f, (string?)null)), explain: false);
        if (d.Stack.Any(f => f.Scanned))
            sb.Append("<p class=\"note\"><span class=\"tag scan\">scanned</span> frames were found by scanning the stack for ")
              .Append("return addresses, not by unwinding it: they may not be real callers.</p>\n");
        if (d.FramesNotShown > 0)
        {
            string where = page.Verbose && b.AllDumps.Count > 0
                ? $"<a href=\"#{page.DumpId(b.AllDumps[0])}\">this dump's block</a> shows them all"
                : "fcgi triage -v shows them all";
            sb.Append("<p class=\"more\">").Append(d.FramesNotShown).Append(d.FramesNotShown == 1 ? " more frame" : " more frames")
              .Append(" below (").Append(where).Append(").</p>\n");
        }
        sb.Append("</details>\n");
    }

    static void FrameTable(StringBuilder sb, IEnumerable<(ReportFrame Frame, string? Explanation)> frames, bool explain)
    {
        sb.Append(explain ? "<table class=\"frames explain\">" : "<table class=\"frames\">")
          .Append("\n<thead><tr><th>#</th><th>frame</th><th>decision</th><th>symbols</th>")
          .Append(explain ? "<th>explanation</th>" : "").Append("</tr></thead>\n<tbody>\n");
        foreach (var (f, why) in frames)
        {
            sb.Append(f.Deciding ? "<tr class=\"decided\">" : f.Action == "not-reached" ? "<tr class=\"below\">" : "<tr>");
            sb.Append("<td class=\"num\">").Append(f.Index.ToString("d2", CultureInfo.InvariantCulture)).Append("</td><td>")
              .Append(C(f.Display.Length > 0 ? f.Display : f.Text));
            if (f.Source is { } source) sb.Append(" <span class=\"src\">").Append(C(source)).Append("</span>");
            if (f.Scanned) sb.Append(" <span class=\"tag scan\">scanned</span>");
            if (f.Inline) sb.Append(" <span class=\"tag\">inline</span>");
            sb.Append("</td><td>").Append(f.Deciding ? "<span class=\"tag decides\">decides</span> " : "").Append(Text(f.Decision))
              .Append("</td><td>").Append(Text(f.Symbols ?? "-")).Append("</td>");
            if (explain) sb.Append("<td>").Append(Text(why)).Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n");
    }

    static void Module(StringBuilder sb, DumpDetail d, JsonObject? first)
    {
        if (d.DecidingModule is not { } m) return;
        sb.Append("<h3>Deciding module</h3>\n<table class=\"facts module\">\n");
        Fact(sb, "File", C(m.FileName));
        Fact(sb, "Version", m.Version is null ? "not in the dump" : C(m.Version));
        Fact(sb, "Path", m.Path is null ? "not in the dump" : C(m.Path));
        Fact(sb, "Symbols", Text(m.Symbols ?? "unknown"));
        if (Str(first, "verdict", "symbols_hint") is { } hint) Fact(sb, "Its symbols", Text(hint));
        sb.Append("</table>\n");
    }

    static void Symbols(StringBuilder sb, DumpDetail d, JsonObject? first)
    {
        sb.Append("<h3>Symbols</h3>\n");
        if (d.SymbolProblems.Count == 0)
        {
            bool known = (first?["modules"] as JsonArray ?? []).OfType<JsonObject>()
                .Any(m => Str(m, "symbols") is { } s && s != "unknown");
            sb.Append(known ? "<p>Every module has symbols.</p>\n"
                : "<p>Symbol status unknown: the input does not say (<code>lml</code> or <code>lmv</code> output shows it).</p>\n");
            return;
        }
        sb.Append("<table class=\"symbols\">\n<thead><tr><th>module</th><th>problem</th><th>on the faulting stack</th>")
          .Append("<th>where to get them</th></tr></thead>\n<tbody>\n");
        foreach (var s in d.SymbolProblems.OrderByDescending(s => s.OnFaultingStack))
            sb.Append(s.OnFaultingStack ? "<tr class=\"onstack\">" : "<tr>").Append("<td>").Append(C(s.Module)).Append("</td><td>")
              .Append(Text(s.Problem)).Append("</td><td>").Append(s.OnFaultingStack ? "yes" : "no").Append("</td><td>")
              .Append(Text(s.WhereToGet ?? "unknown")).Append("</td></tr>\n");
        sb.Append("</tbody>\n</table>\n");
    }

    /// <summary>Next steps as a numbered list. This page is read outside the debugger: each step shows its form for that
    /// reader (<see cref="ReportStep.ForReader"/>), and a command says where it runs ("in WinDbg:" for a debugger one).</summary>
    static void Steps(StringBuilder sb, DumpDetail d)
    {
        if (d.Steps.Count == 0) return;
        sb.Append("<h3>Next steps</h3>\n<ol class=\"steps\">\n");
        foreach (var step in d.Steps)
        {
            var shown = step.ForReader;
            sb.Append("<li>").Append(LinkedText(shown.Text, step.Url));
            if (shown.Command is { } cmd)
                sb.Append("<div class=\"cmd\">").Append(WhereItRuns(shown)).Append("<code>").Append(H(cmd)).Append("</code></div>");
            sb.Append("</li>\n");
        }
        sb.Append("</ol>\n");
    }

    static string WhereItRuns(ReportStep step)
    {
        string? where = step.Label ?? step.Runs switch { "prompt" => "at a command prompt:", "fcgi" => "run:", _ => null };
        return where is null ? "" : $"<span class=\"where\">{H(where)}</span> ";
    }

    static void BucketDumps(StringBuilder sb, Page page, BucketSummary b)
    {
        sb.Append("<details class=\"dumps\"").Append(b.AllDumps.Count <= 5 ? " open" : "").Append(">\n<summary>")
          .Append(b.AllDumps.Count == 1 ? "The dump" : $"The {b.AllDumps.Count} dumps").Append(" in this bucket</summary>\n<ul>\n");
        foreach (var dump in b.AllDumps)
        {
            sb.Append("<li>").Append(page.Verbose ? $"<a href=\"#{page.DumpId(dump)}\">{C(dump)}</a>" : C(dump));
            if (page.Outcome(dump)?.DumpTime is { } t) sb.Append(" <span class=\"time\">").Append(Time(t)).Append("</span>");
            sb.Append("</li>\n");
        }
        sb.Append("</ul>\n</details>\n");
    }

    static void Failed(StringBuilder sb, BatchReport r)
    {
        var failed = r.Dumps.Where(d => !d.Triaged).ToList();
        if (failed.Count == 0) return;
        sb.Append("<section id=\"failed\">\n<h2>Could not be triaged (").Append(failed.Count).Append(")</h2>\n");
        sb.Append("<table class=\"failed\">\n<thead><tr><th>dump</th><th>error</th></tr></thead>\n<tbody>\n");
        foreach (var d in failed)
            sb.Append("<tr><td>").Append(C(d.Dump)).Append("</td><td>").Append(Text(OneLineError(d))).Append("</td></tr>\n");
        sb.Append("</tbody>\n</table>\n</section>\n");
    }

    /// <summary>The error's first line, without the dump path the row already shows.</summary>
    public static string OneLineError(DumpOutcome d)
    {
        string e = (d.Error ?? "no result").Split('\n', 2)[0].TrimEnd('\r');
        return e.StartsWith(d.Dump + ": ", StringComparison.Ordinal) && e.Length > d.Dump.Length + 2 ? e[(d.Dump.Length + 2)..] : e;
    }

    static void DumpTable(StringBuilder sb, Page page)
    {
        var r = page.Report;
        if (r.Dumps.Count == 0) return;
        sb.Append("<details class=\"all-dumps\"").Append(r.Dumps.Count <= 20 ? " open" : "").Append(">\n<summary>All ")
          .Append(r.Dumps.Count).Append(r.Dumps.Count == 1 ? " dump" : " dumps").Append("</summary>\n");
        sb.Append("<table id=\"dumps\">\n<thead><tr><th>dump</th><th>time</th><th>owner</th><th>bucket</th></tr></thead>\n<tbody>\n");
        var byBucket = r.Buckets.ToDictionary(b => b.Bucket, StringComparer.Ordinal);
        foreach (var d in r.Dumps)
        {
            sb.Append(d.Triaged ? "<tr>" : "<tr class=\"err\">").Append("<td>")
              .Append(page.Verbose && d.Triaged ? $"<a href=\"#{page.DumpId(d.Dump)}\">{C(d.Dump)}</a>" : C(d.Dump))
              .Append("</td><td>").Append(d.DumpTime is { } t ? Time(t) : "-").Append("</td>");
            if (d.Triaged && d.Get("verdict", "bucket") is { } id && byBucket.TryGetValue(id, out var b))
                sb.Append("<td>").Append(Text(OwnerLabel(b))).Append("</td><td><a href=\"#").Append(H(page.Anchor(b))).Append("\">")
                  .Append(C(id)).Append("</a></td>");
            else
                sb.Append("<td>-</td><td>error: ").Append(Text(OneLineError(d))).Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n</details>\n");
    }

    /// <summary>-v: every dump with all its frames and their explanations, and the decision trace.</summary>
    static void EveryDump(StringBuilder sb, Page page)
    {
        var triaged = page.Report.Dumps.Where(d => d.Triaged && d.Detail is not null).ToList();
        if (triaged.Count == 0) return;
        sb.Append("<section id=\"every-dump\">\n<h2>").Append(page.Single ? "Every frame" : "Every dump").Append("</h2>\n");
        foreach (var d in triaged)
        {
            var detail = d.Detail!;
            sb.Append("<details class=\"dump\" id=\"").Append(page.DumpId(d.Dump)).Append('"').Append(page.Single ? " open" : "")
              .Append(">\n<summary>").Append(C(d.Dump)).Append(" — ").Append(Text(detail.IsExit ? "not a crash" : detail.Owner))
              .Append("</summary>\n");
            if (detail.ExceptionLine is { } line) sb.Append("<p>").Append(Text(line)).Append("</p>\n");
            if (detail.AllFrames.Count == 0) sb.Append("<p>The input has no stack.</p>\n");
            else FrameTable(sb, detail.AllFrames.Select(x => (x.Frame, (string?)x.Explanation)), explain: true);
            var trace = (d.Result?["explanation"] as JsonArray ?? [])
                .Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList();
            if (trace.Count > 0)
            {
                sb.Append("<h4>Decision trace</h4>\n<ol class=\"trace\">\n");
                foreach (var t in trace) sb.Append("<li>").Append(Text(t)).Append("</li>\n");
                sb.Append("</ol>\n");
            }
            sb.Append("</details>\n");
        }
        sb.Append("</section>\n");
    }

    // ---------------------------------------------------------------- words and escaping

    static bool IsExit(BucketSummary b) => b.Owner == "none" || b.Detail?.IsExit == true;

    /// <summary>The owner as a table cell or heading: a voluntary exit never reads "none".</summary>
    static string OwnerLabel(BucketSummary b) => IsExit(b) ? "Not a crash: the process ended itself" : b.Owner;

    static string Lower(string? confidence) => confidence is "high" or "medium" or "low" ? confidence : "low";

    static string Confidence(string? c) => $"<span class=\"conf conf-{Lower(c)}\">{H(Lower(c))}</span>";

    /// <summary>One time for a single-dump bucket (or when first and last agree), else "first – last".</summary>
    static string Seen(BucketSummary b)
    {
        if (b.FirstSeen is not { } f) return "-";
        if (b.LastSeen is not { } l || b.Count == 1 || l == f) return Time(f);
        return $"{Time(f)} – {Time(l)}";
    }

    /// <summary>The date and the time each stay whole; a narrow column puts them on two lines.</summary>
    static string Time(DateTimeOffset t) =>
        string.Join(" ", BatchReportRenderers.Time(t).Split(' ').Select(part => $"<span class=\"nowrap\">{H(part)}</span>"));

    static string H(string? s) => Html.Escape(s);

    /// <summary>A token (frame, path, id) in code: it may wrap anywhere, unlike words.</summary>
    static string C(string? s) => $"<code>{Html.Escape(s)}</code>";

    /// <summary>Escaped prose whose `quoted` commands are code and whose http(s) URLs are links (<see cref="Html.Link"/>
    /// decides); everything else stays text.</summary>
    static string Text(string? s)
    {
        if (string.IsNullOrEmpty(s)) return "";
        var sb = new StringBuilder();
        int at = 0;
        foreach (Match m in Quoted().Matches(s))
        {
            sb.Append(Linked(s[at..m.Index])).Append(C(m.Groups[1].Value));
            at = m.Index + m.Length;
        }
        return sb.Append(Linked(s[at..])).ToString();
    }

    static string Linked(string s)
    {
        var sb = new StringBuilder();
        int at = 0;
        foreach (Match m in WebUrl().Matches(s))
        {
            string url = m.Value.TrimEnd('.', ',', ';', ':', ')');
            sb.Append(Prose(s[at..m.Index])).Append(Html.Link(url));
            at = m.Index + url.Length;
        }
        return sb.Append(Prose(s[at..])).ToString();
    }

    /// <summary>Words never break, not even at a hyphen ("export-only", rule ids); a token too long for a narrow column
    /// (a path, a PDB name) may break anywhere instead of pushing the page sideways.</summary>
    static string Prose(string s) => Word().Replace(s, m =>
        m.Value.Length > LongToken ? $"<span class=\"token\">{Html.Escape(m.Value)}</span>"
        : m.Value.Contains('-') ? $"<span class=\"nowrap\">{Html.Escape(m.Value)}</span>"
        : Html.Escape(m.Value));

    const int LongToken = 30;

    [GeneratedRegex("`([^`\n]+)`")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"\S+")]
    private static partial Regex Word();

    /// <summary>A step's text with its report URL as a link, appended when the text does not name it.</summary>
    static string LinkedText(string text, string? url)
    {
        string html = Text(text);
        if (url is null || text.Contains(url, StringComparison.Ordinal)) return html;
        return html + " " + Html.Link(url);
    }

    [GeneratedRegex(@"https?://[^\s<>""'`]+")]
    private static partial Regex WebUrl();

    static string? Str(JsonNode? node, params string[] path)
    {
        foreach (var p in path) node = node is JsonObject o && o.TryGetPropertyValue(p, out var n) ? n : null;
        return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    }
}
