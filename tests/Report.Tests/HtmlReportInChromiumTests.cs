using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Reporting;
using Microsoft.Playwright;
using NUnit.Framework;

namespace FcgiExt.Tests.Report;

/// <summary>
/// The HTML reports opened from disk in Debian's headless Chromium, at a laptop's 1366 px and a narrow 800 px: nothing
/// scrolls sideways, words do not break, every bucket link and report URL works, and the page loads nothing and raises no
/// error. Full-page screenshots (screen and print) go to the test's work folder as attachments, to be looked at.
/// </summary>
[Category("Integration")]
[NonParallelizable]
public class HtmlReportInChromiumTests
{
    const string ChromiumPath = "/usr/bin/chromium";
    IPlaywright? _playwright;
    IBrowser? _browser;

    [OneTimeSetUp]
    public async Task StartBrowser()
    {
        if (!File.Exists(ChromiumPath))
            Assert.Fail($"{ChromiumPath} is missing: ./run-tests installs Debian's chromium package");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync"],
        });
    }

    [OneTimeTearDown]
    public async Task StopBrowser()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }

    /// <summary>The pages under test: the batch of every scenario dump (three failed), the same with -v and the hostile
    /// dump, and one `--stack-text` result.</summary>
    static (string Html, BatchReport? Report) PageFor(string name) => name switch
    {
        "batch" => Batch([.. ReportFixtures.AllDumps()], verbose: false),
        "batch-verbose-hostile" => Batch([.. ReportFixtures.AllDumps(), ReportFixtures.Hostile()], verbose: true),
        "single" => (HtmlRenderer.Render(ReportFixtures.StackTextSample(), verbose: true), null),
        _ => throw new ArgumentException(name),
    };

    static (string, BatchReport?) Batch(List<DumpOutcome> dumps, bool verbose)
    {
        var report = BatchReport.Build(dumps);
        return (BatchHtmlReport.Render(report, verbose), report);
    }

    static string ArtifactFolder()
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "html-report-screenshots");
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Test]
    public async Task Page_fits_links_work_and_nothing_fails(
        [Values("batch", "batch-verbose-hostile", "single")] string name, [Values(1366, 800)] int width)
    {
        var (html, report) = PageFor(name);
        var file = Path.Combine(Path.GetTempPath(), $"fcgi-report-{Guid.NewGuid():n}.html");
        File.WriteAllText(file, html);
        var pageUrl = new Uri(file).AbsoluteUri;
        try
        {
            var page = await _browser!.NewPageAsync(new() { ViewportSize = new() { Width = width, Height = 900 } });
            var problems = new List<string>();
            page.PageError += (_, e) => problems.Add("page error: " + e);
            page.Console += (_, m) => { if (m.Type is "error" or "warning") problems.Add($"console {m.Type}: {m.Text}"); };
            page.RequestFailed += (_, r) => problems.Add("failed request: " + r.Url);
            page.Request += (_, r) => { if (r.Url != pageUrl) problems.Add("request: " + r.Url); };
            await page.GotoAsync(pageUrl);

            var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, window.innerWidth]");
            var (scrollWidth, innerWidth) = (widths[0], widths[1]);
            var wide = await page.EvaluateAsync<string[]>("""
                () => [...document.querySelectorAll('body *')]
                  .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > window.innerWidth + 0.5; })
                  .map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 80))
                """);
            Assert.That(wide, Is.Empty, "no element reaches past the window");
            Assert.That(scrollWidth, Is.LessThanOrEqualTo(innerWidth), "no horizontal scrolling");
            var overflowing = await page.EvaluateAsync<string[]>("""
                () => [...document.querySelectorAll('p, li, div, td, th, h1, h2, h3, h4, summary, figcaption, code')]
                  .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).display !== 'inline')
                  .map(e => e.tagName + ': ' + (e.textContent || '').slice(0, 80))
                """);
            Assert.That(overflowing, Is.Empty, "no cell or label is clipped or spills over");

            // Words never break across lines, not even at a hyphen; tokens may (code, links, paths, anything over 30
            // characters): they have no spaces to break at.
            var broken = await page.EvaluateAsync<string[]>("""
                () => {
                  const out = [];
                  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                    if (n.parentElement.closest('code, style, a, .token')) continue;
                    for (const m of n.data.matchAll(/\S{2,}/g)) {
                      if (m[0].length > 30 || /[\/\\]/.test(m[0])) continue;
                      const range = document.createRange();
                      range.setStart(n, m.index); range.setEnd(n, m.index + m[0].length);
                      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
                      if (tops.size > 1) out.push(m[0]);
                    }
                  }
                  return out;
                }
                """);
            Assert.That(broken, Is.Empty, "words broken inside");

            // Every in-page link lands on an element; the bucket table has one per bucket.
            var dangling = await page.EvaluateAsync<string[]>("""
                () => [...document.querySelectorAll('a[href^="#"]')].map(a => a.getAttribute('href'))
                  .filter(h => !document.getElementById(decodeURIComponent(h.slice(1))))
                """);
            Assert.That(dangling, Is.Empty, "links to anchors that are not on the page");
            var hrefs = await page.EvaluateAsync<string[]>(
                "() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))");
            if (report is not null)
            {
                var tableLinks = await page.EvaluateAsync<string[]>(
                    "() => [...document.querySelectorAll('#buckets table a[href]')].map(a => a.getAttribute('href'))");
                var anchors = BatchHtmlReport.Anchors(report.Buckets);
                Assert.That(tableLinks, Is.EquivalentTo(report.Buckets.Select(b => "#" + anchors[b.Bucket])));
                foreach (var link in tableLinks)
                    Assert.That(await page.Locator($"[id=\"{link[1..]}\"]").IsVisibleAsync(), Is.True, link);
                // Every report URL in the results (the verdict's and the steps') is a link, when it is a web address.
                var urls = report.Buckets.Select(b => b.Detail).OfType<DumpDetail>()
                    .SelectMany(d => d.Steps.Select(s => s.Url).Append(d.ReportUrl)).OfType<string>()
                    .Where(u => u.StartsWith("https://", StringComparison.Ordinal) || u.StartsWith("http://", StringComparison.Ordinal))
                    .Distinct().ToList();
                Assert.That(urls, Is.Not.Empty);
                Assert.That(hrefs, Is.SupersetOf(urls));
                Assert.That(await page.Locator("#owners-chart .bar span").CountAsync(),
                    Is.EqualTo(report.Buckets.Select(b => b.Owner).Distinct().Count()), "one bar per owner");
            }
            Assert.That(hrefs, Is.All.Matches<string>(h => h.StartsWith('#') || h.StartsWith("https://") || h.StartsWith("http://")));

            var folder = ArtifactFolder();
            var png = Path.Combine(folder, $"{name}-{width}.png");
            await page.ScreenshotAsync(new() { Path = png, FullPage = true });
            TestContext.AddTestAttachment(png);

            // Printed: no backgrounds, and closed <details> (dump lists, -v blocks) print their content.
            await page.EmulateMediaAsync(new() { Media = Media.Print });
            var hidden = await page.EvaluateAsync<int>("""
                () => [...document.querySelectorAll('details:not([open]) > :not(summary)')]
                  .filter(e => e.getBoundingClientRect().height === 0).length
                """);
            Assert.That(hidden, Is.Zero, "closed details print their content");
            var shaded = await page.EvaluateAsync<string[]>("""
                () => [...document.querySelectorAll('body, body *')]
                  .filter(e => !['rgba(0, 0, 0, 0)', 'transparent'].includes(getComputedStyle(e).backgroundColor))
                  .map(e => e.tagName + '.' + e.className)
                """);
            Assert.That(shaded, Is.Empty, "no backgrounds in print");
            var printPng = Path.Combine(folder, $"{name}-{width}-print.png");
            await page.ScreenshotAsync(new() { Path = printPng, FullPage = true });
            TestContext.AddTestAttachment(printPng);
            Assert.That(problems, Is.Empty, "the page is self-contained and raises no error");
            await page.CloseAsync();
        }
        finally { File.Delete(file); }
    }
}
