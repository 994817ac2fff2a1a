using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Reporting;
using NUnit.Framework;

namespace FcgiExt.Tests.Report;

/// <summary>The HTML reports' content and safety, from real contract JSON (no browser: see HtmlReportInChromiumTests).</summary>
public class HtmlReportTests
{
    static string Batch(bool verbose = false) => BatchHtmlReport.Render(BatchReport.Build(ReportFixtures.AllDumps()), verbose);

    static List<string> Ids(string html) => Regex.Matches(html, "\\sid=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();

    static List<string> Hrefs(string html) => Regex.Matches(html, "\\shref=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();

    /// <summary>The text of the element with this id (up to the next element of the same tag), tags removed.</summary>
    static string Section(string html, string id)
    {
        var m = Regex.Match(html, $"<(\\w+)[^>]*\\sid=\"{Regex.Escape(id)}\"[^>]*>");
        Assert.That(m.Success, Is.True, $"no element id=\"{id}\"");
        int end = html.IndexOf($"</{m.Groups[1].Value}>", m.Index, StringComparison.Ordinal);
        return html[m.Index..end];
    }

    static JsonObject Contract(string bucket, string owner) => new()
    {
        ["verdict"] = new JsonObject { ["owner"] = owner, ["confidence"] = "high", ["bucket"] = bucket, ["category"] = "php-extension" },
        ["exception"] = new JsonObject { ["class"] = "NULL_POINTER_READ" },
    };

    [Test]
    public void Bucket_anchors_are_unique_stable_and_linked_from_the_table()
    {
        var html = Batch(verbose: true);
        var ids = Ids(html);
        Assert.That(ids, Is.Unique, "every id on the page is unique");
        var report = BatchReport.Build(ReportFixtures.AllDumps());
        foreach (var b in report.Buckets)
        {
            Assert.That(ids, Does.Contain(b.Anchor), $"section for {b.Bucket}");
            Assert.That(Hrefs(Section(html, "buckets")), Does.Contain("#" + b.Anchor), "the bucket table links it");
        }
        Assert.That(Batch(verbose: true), Is.EqualTo(html), "the same input renders the same page");
        // Every in-page link lands on an element.
        foreach (var href in Hrefs(html).Where(h => h.StartsWith('#')))
            Assert.That(ids, Does.Contain(href[1..]), href);
    }

    [Test]
    public void Bucket_ids_that_share_an_anchor_still_get_their_own()
    {
        // ':' and ' ' both become '_' in BucketSummary.Anchor: three buckets, one plain anchor.
        var report = BatchReport.Build([
            new DumpOutcome { Dump = "a.dmp", Result = Contract("X_c0000005_m!ns::f", "A") },
            new DumpOutcome { Dump = "b.dmp", Result = Contract("X_c0000005_m!ns__f", "B") },
            new DumpOutcome { Dump = "c.dmp", Result = Contract("X_c0000005_m!ns  f", "C") },
            new DumpOutcome { Dump = "d.dmp", Result = Contract("X_c0000005_m!ns::f", "A") },
        ]);
        var anchors = BatchHtmlReport.Anchors(report.Buckets);
        Assert.That(anchors.Values, Is.Unique);
        Assert.That(anchors["X_c0000005_m!ns::f"], Is.EqualTo("bucket-X_c0000005_m!ns__f"), "the biggest bucket keeps the plain anchor");
        Assert.That(anchors.Values,
            Is.EquivalentTo(new[] { "bucket-X_c0000005_m!ns__f", "bucket-X_c0000005_m!ns__f-2", "bucket-X_c0000005_m!ns__f-3" }));
        var html = BatchHtmlReport.Render(report);
        Assert.That(Ids(html), Is.Unique);
        foreach (var a in anchors.Values) Assert.That(Hrefs(html), Does.Contain("#" + a));
    }

    [Test]
    public void Hostile_strings_are_escaped_everywhere()
    {
        var report = BatchReport.Build([ReportFixtures.Hostile(), ReportFixtures.Dump("failed-not-a-dump")]);
        var html = BatchHtmlReport.Render(report, verbose: true);
        Assert.That(html, Does.Not.Contain("<script").And.Not.Contain("<img").And.Not.Contain("<b>").And.Not.Contain("<rule>"));
        Assert.That(html,
            Does.Contain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#39;q&#39;"));
        Assert.That(html, Does.Contain("&lt;/code&gt;&lt;script&gt;alert(4)&lt;/script&gt;"), "a command cannot close its <code>");
        // Only the renderer's own tags appear.
        var tags = Regex.Matches(html, "<(/?)([a-zA-Z][a-zA-Z0-9]*)").Select(m => m.Groups[2].Value).Distinct();
        Assert.That(tags, Is.SubsetOf(new[] {
            "html", "head", "meta", "title", "style", "body", "header", "main", "section", "h1", "h2", "h3", "h4", "p", "div", "span",
            "a", "code", "strong", "table", "thead", "tbody", "tr", "th", "td", "ul", "ol", "li", "details", "summary", "figure",
            "figcaption" }));
        Assert.That(html, Does.Not.Contain("<script").And.Not.Contain("<link").And.Not.Contain("url(").And.Not.Contain("@import"));
    }

    [Test]
    public void Only_http_and_https_urls_become_links()
    {
        Assert.That(Html.Link("javascript:alert(1)"), Is.EqualTo("javascript:alert(1)"));
        Assert.That(Html.Link("file:///etc/passwd"), Does.Not.Contain("href"));
        Assert.That(Html.Link("https://bugs.xdebug.org/"), Does.StartWith("<a href=\"https://bugs.xdebug.org/\""));
        var html = BatchHtmlReport.Render(BatchReport.Build([ReportFixtures.Hostile()]), verbose: true);
        Assert.That(Hrefs(html), Is.All.Matches<string>(h => h.StartsWith('#') || h.StartsWith("https://") || h.StartsWith("http://")));
        Assert.That(html, Does.Contain("javascript:alert(3)").And.Contain("file:///etc/passwd"), "shown as text");
        Assert.That(Hrefs(html), Does.Contain("https://bugs.example.org/new?title=&lt;x&gt;&amp;y=&quot;z&quot;"));
    }

    [Test]
    public void A_voluntary_exit_reads_not_a_crash()
    {
        var html = BatchHtmlReport.Render(BatchReport.Build([ReportFixtures.Dump("php-max-requests-exit")]));
        Assert.That(html, Does.Contain("Not a crash: the process ended itself"));
        var text = Regex.Replace(Regex.Replace(html, "<style>.*?</style>", "", RegexOptions.Singleline), "<[^>]+>", " ");
        Assert.That(text, Does.Not.Match(@"\bnone\b"), "owner and category \"none\" are never printed");
        Assert.That(text, Does.Not.Contain("(none)").And.Not.Contain("owner: none"));
        // The exit steps are the appcmd fix, in copyable code.
        Assert.That(html,
            Does.Contain("<code>%windir%\\system32\\inetsrv\\appcmd.exe list config -section:system.webServer/fastCgi</code>"));
    }

    [Test]
    public void Failed_dumps_have_their_own_section_with_one_line_errors()
    {
        var multiLine = new DumpOutcome { Dump = "x.dmp", Error = "x.dmp: the engine stopped\n   at Host.Run()\n   at Main()" };
        var html = BatchHtmlReport.Render(BatchReport.Build([.. ReportFixtures.AllDumps(), multiLine]));
        var failed = Section(html, "failed");
        Assert.That(failed, Does.Contain("Could not be triaged (4)"));
        Assert.That(Regex.Matches(failed, "<tr>").Count, Is.EqualTo(4 + 1), "a header row and one row per failed dump");
        Assert.That(failed, Does.Contain(
            "<td><code>incoming/not-a-dump.dmp</code></td><td>not a Windows dump file (no MDMP or PAGEDUMP signature)</td>"));
        Assert.That(failed, Does.Contain("<td>the engine stopped</td>").And.Not.Contain("Host.Run"));
        Assert.That(html, Does.Contain("<div class=\"card bad\"><span class=\"n\">4</span> <a href=\"#failed\">could not be triaged</a>"));
        Assert.That(html, Does.Contain("<div class=\"card\"><span class=\"n\">17</span> dumps analysed"));
    }

    [Test]
    public void A_bucket_reads_like_an_analysis_report()
    {
        var report = BatchReport.Build(ReportFixtures.AllDumps());
        var html = BatchHtmlReport.Render(report);
        var xdebug = report.Buckets.Single(b => b.Bucket.StartsWith("NULL_POINTER_WRITE_c0000005_php_xdebug", StringComparison.Ordinal));
        var section = Section(html, xdebug.Anchor);
        Assert.That(section, Does.Contain("<strong>Xdebug</strong> owns this crash: Access violation: write to NULL + 0x8 in " +
                                          "<code>php_xdebug_3_3_1_8_3_vs16_x86_64!xdebug_execute_ex+0x96</code>."));
        Assert.That(section, Does.Contain("Decided by the catalog rule <code>xdebug-any</code> at frame #00."));
        Assert.That(section, Does.Contain("<details class=\"stack\" open>"));
        Assert.That(Regex.Matches(section, "<tr class=\"decided\">").Count, Is.EqualTo(1), "the deciding frame is highlighted");
        Assert.That(section, Does.Contain("more frames below"));
        Assert.That(section, Does.Contain("<code>php_xdebug-3.3.1-8.3-vs16-x86_64.dll</code>").And.Contain("<code>3.3.1.0</code>"));
        Assert.That(section, Does.Contain("<a href=\"https://bugs.xdebug.org/\""));
        Assert.That(section, Does.Contain("<ol class=\"steps\">"));
        // Outside the debugger: the fcgi form of !fcgi -v with this dump's path, the debugger-only command labelled.
        Assert.That(section, Does.Contain("<span class=\"where\">run:</span> " +
                                          "<code>fcgi triage -v TestDumps/scenarios/xdebug-null-write/minidump.dmp</code>"));
        Assert.That(section, Does.Contain("<span class=\"where\">in WinDbg:</span> <code>.dump /ma /u"));
        Assert.That(section, Does.Not.Contain("!fcgi -v").And.Not.Contain("lmv m"));
        Assert.That(section, Does.Contain("<code>TestDumps/scenarios/xdebug-null-write/minidump.dmp</code>"));
        // One dump: one time, not first = last.
        Assert.That(section,
            Does.Contain("<th>Seen</th><td><span class=\"nowrap\">2026-12-02</span> <span class=\"nowrap\">22:29:26Z</span></td>"));
        Assert.That(section, Does.Not.Contain(" – "));
        // The heap corruption bucket has no owner, says so, and lists the suspects.
        var heap = Section(html, report.Buckets.Single(b => b.Bucket.StartsWith("HEAP_CORRUPTION", StringComparison.Ordinal)).Anchor);
        Assert.That(heap, Does.Contain("<strong>No owner found.</strong> Heap corruption."));
        Assert.That(heap, Does.Contain("<table class=\"suspects\">")
            .And.Contain("<code>php_pdo_sqlsrv_83_ts_x64!sqlsrv_stmt_free_metadata+0x1c</code>"));
    }

    [Test]
    public void A_scanned_frame_is_tagged_and_explained()
    {
        var dump = ReportFixtures.Dump("xdebug-null-write");
        var result = (JsonObject)dump.Result!.DeepClone();
        result["frames"]![1]!["trust"] = "scan";
        var html = BatchHtmlReport.Render(BatchReport.Build([dump with { Result = result }]));
        Assert.That(html, Does.Contain("php8ts!zend_execute+0x31</code> <span class=\"src\"><code>[TestDumps\\src\\php\\php8ts.c @ 209]" +
                                       "</code></span> <span class=\"tag scan\">scanned</span>"));
        Assert.That(html, Does.Contain("they may not be real callers"));
        Assert.That(BatchHtmlReport.Render(BatchReport.Build([dump])), Does.Not.Contain("real callers"));
    }

    [Test]
    public void A_bucket_of_many_dumps_shows_first_and_last_time()
    {
        var a = ReportFixtures.Dump("xdebug-null-write");
        var later = a with { Dump = "later.dmp", DumpTime = a.DumpTime!.Value.AddHours(5) };
        var html = BatchHtmlReport.Render(BatchReport.Build([a, later]));
        Assert.That(html, Does.Contain("<th>First, last seen</th><td><span class=\"nowrap\">2026-12-02</span> " +
            "<span class=\"nowrap\">22:29:26Z</span> – <span class=\"nowrap\">2026-12-03</span> " +
            "<span class=\"nowrap\">03:29:26Z</span></td>"));
    }

    [Test]
    public void Steps_are_for_a_reader_outside_the_debugger()
    {
        var html = BatchHtmlReport.Render(BatchReport.Build([ReportFixtures.Hostile()]));
        var steps = Regex.Match(html, "<ol class=\"steps\">(.*?)</ol>", RegexOptions.Singleline).Groups[1].Value;
        Assert.That(steps, Does.Contain("<span class=\"where\">in WinDbg:</span> <code>.dump /ma /u"));
        Assert.That(steps,
            Does.Contain("<span class=\"where\">at a command prompt:</span> <code>gflags /p /enable php-cgi.exe /full</code>"));
        // The outside form replaces the debugger one.
        Assert.That(steps, Does.Contain("(outside form)").And.Not.Contain("lmv m php_evil"));
        Assert.That(steps, Does.Contain("<span class=\"where\">run:</span> <code>fcgi triage -v &quot;").And.Not.Contain("!fcgi -v"));
        Assert.That(Regex.Matches(steps, "<li>").Count, Is.EqualTo(7));
    }

    [Test]
    public void Verbose_adds_every_dump_with_every_frame()
    {
        var report = BatchReport.Build(ReportFixtures.AllDumps());
        Assert.That(BatchHtmlReport.Render(report), Does.Not.Contain("id=\"every-dump\""));
        var html = BatchHtmlReport.Render(report, verbose: true);
        var every = Section(html, "every-dump");
        Assert.That(Regex.Matches(every, "<details class=\"dump\"").Count, Is.EqualTo(13));
        var exit = report.Dumps.Single(d => d.Dump.Contains("php-max-requests-exit", StringComparison.Ordinal));
        Assert.That(Regex.Matches(every, "<tr").Count, Is.GreaterThan(exit.Detail!.AllFrames.Count));
        Assert.That(every, Does.Contain("<h4>Decision trace</h4>"));
        Assert.That(every, Does.Contain("skipped by rule <span class=\"nowrap\">win-waits</span> (ignore)"));
    }

    [Test]
    public void The_single_result_page_is_the_same_bucket_section()
    {
        var r = ReportFixtures.StackTextSample();
        var html = HtmlRenderer.Render(r, verbose: true);
        Assert.That(html, Does.StartWith("<!DOCTYPE html>"));
        Assert.That(html, Does.Contain($"<section class=\"bucket conf-{RenderFormat.Lower(r.Verdict.Confidence)}\" id=\"" +
                                       BucketSummary.BucketAnchor(r.Verdict.Bucket) + "\">"));
        Assert.That(html, Does.Contain($"<code>{Html.Escape(r.Verdict.Bucket)}</code>"));
        Assert.That(html, Does.Contain("<h3>Next steps</h3>").And.Contain("<details class=\"stack\" open>"));
        Assert.That(html, Does.Contain("Read from <span class=\"nowrap\">windbg-text</span>"));
        Assert.That(html, Does.Not.Contain("id=\"buckets\""), "one result needs no bucket table");
        Assert.That(Ids(html), Is.Unique);
    }
}
