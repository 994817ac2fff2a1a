using System.Text.Json.Nodes;
using FcgiExt.RulesEngine.Reporting;
using Microsoft.Playwright;
using NUnit.Framework;

namespace FcgiExt.Tests.Report;

/// <summary>The self-contained HTML batch report, opened from disk in Debian's headless Chromium: the bar chart
/// and both tables must render (visible, non-zero sizes, one bar per bucket, widths ordered by count).</summary>
[Category("Integration")]
public class HtmlReportInChromiumTests
{
    const string ChromiumPath = "/usr/bin/chromium";

    static JsonObject Contract(string bucket, string owner, string cls) => new()
    {
        ["schema_version"] = 1,
        ["verdict"] = new JsonObject { ["owner"] = owner, ["category"] = "php-extension", ["confidence"] = "high", ["bucket"] = bucket },
        ["exception"] = new JsonObject { ["code"] = "0xc0000005", ["class"] = cls },
        ["next_steps"] = new JsonArray(new JsonObject { ["text"] = "Share the dump with the owner" }),
    };

    [Test]
    public async Task Chart_and_tables_render_in_headless_chromium()
    {
        if (!File.Exists(ChromiumPath))
            Assert.Fail($"{ChromiumPath} is missing: ./run-tests installs Debian's chromium package");
        var report = BatchReport.Build([
            new DumpOutcome { Dump = "a1.dmp", Result = Contract("NULL_POINTER_WRITE_c0000005_php_xdebug.dll!xdebug_execute_ex", "Xdebug", "NULL_POINTER_WRITE") },
            new DumpOutcome { Dump = "a2.dmp", Result = Contract("NULL_POINTER_WRITE_c0000005_php_xdebug.dll!xdebug_execute_ex", "Xdebug", "NULL_POINTER_WRITE") },
            new DumpOutcome { Dump = "a3.dmp", Result = Contract("NULL_POINTER_WRITE_c0000005_php_xdebug.dll!xdebug_execute_ex", "Xdebug", "NULL_POINTER_WRITE") },
            new DumpOutcome { Dump = "b1.dmp", Result = Contract("STACK_OVERFLOW_c00000fd_php8ts.dll!execute_ex", "PHP core", "STACK_OVERFLOW") },
            new DumpOutcome { Dump = "bad.dmp", Error = "bad.dmp: not a minidump (it is a text file)" },
        ]);
        var file = Path.Combine(Path.GetTempPath(), $"fcgi-report-{Guid.NewGuid():n}.html");
        File.WriteAllText(file, BatchHtmlReport.Render(report));
        try
        {
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync"],
            });
            var page = await browser.NewPageAsync();
            var failedRequests = new List<string>();
            page.RequestFailed += (_, r) => failedRequests.Add(r.Url);
            await page.GotoAsync(new Uri(file).AbsoluteUri);

            var bars = page.Locator("#bucket-chart rect");
            Assert.That(await bars.CountAsync(), Is.EqualTo(2), "one bar per bucket");
            var big = await bars.Nth(0).BoundingBoxAsync();
            var small = await bars.Nth(1).BoundingBoxAsync();
            Assert.That(big, Is.Not.Null);
            Assert.That(small, Is.Not.Null);
            Assert.That(big!.Width, Is.GreaterThan(small!.Width * 2.5), "bar widths follow the counts 3 : 1");
            Assert.That(small.Height, Is.GreaterThan(5));
            Assert.That(await page.Locator("#bucket-chart").IsVisibleAsync(), Is.True);
            Assert.That(await page.Locator("#bucket-chart text").AllTextContentsAsync(), Has.Some.Contains("Xdebug"));

            Assert.That(await page.Locator("#buckets tbody tr").CountAsync(), Is.EqualTo(2));
            Assert.That(await page.Locator("#dumps tbody tr").CountAsync(), Is.EqualTo(5));
            Assert.That(await page.Locator("#dumps").IsVisibleAsync(), Is.True);
            Assert.That(await page.Locator("#dumps tr.err").InnerTextAsync(), Does.Contain("not a minidump"));
            Assert.That(failedRequests, Is.Empty, "the report is self-contained: no external requests");

            var png = Path.Combine(TestContext.CurrentContext.WorkDirectory, "batch-report.png");
            await page.ScreenshotAsync(new() { Path = png, FullPage = true });
            TestContext.AddTestAttachment(png);
        }
        finally { File.Delete(file); }
    }
}
