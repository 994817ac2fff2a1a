using System.Text.Json.Nodes;
using FcgiExt.RulesEngine.Reporting;
using NUnit.Framework;

namespace FcgiExt.Tests.Reporting;

/// <summary>
/// Golden files of whole reports (rust-minidump's snapshot tests): the text and Markdown reports of two TestDumps
/// scenarios alone and of a batch, rendered from contract JSON the real engine wrote. A layout change shows up as a
/// diff here; after reading the diff, accept it with FCGIEXT_UPDATE_GOLDEN=1 ./run-tests --unit.
/// </summary>
public class ReportGoldenTests
{
    static readonly string Fixtures = Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "reports");

    /// <summary>The golden folder in the source tree (the copy in bin is what the test reads when not updating).</summary>
    static string SourceGolden([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "..", "Fixtures", "reports", "golden");

    static List<DumpOutcome> Outcomes() => File.ReadAllLines(Path.Combine(Fixtures, "scenarios.jsonl"))
        .Where(l => l.Length > 0).Select(l => DumpOutcome.FromJson(JsonNode.Parse(l)!.AsObject())).ToList();

    static BatchReport Only(string scenario) =>
        BatchReport.Build(Outcomes().Where(o => o.Dump.Contains($"/{scenario}/", StringComparison.Ordinal)));

    static void Golden(string name, string actual)
    {
        var file = Path.Combine(SourceGolden(), name);
        if (Environment.GetEnvironmentVariable("FCGIEXT_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(SourceGolden());
            File.WriteAllText(file, actual);
            TestContext.Out.WriteLine($"updated {name}");
            return;
        }
        Assert.That(File.Exists(file), Is.True, $"{name} missing: run with FCGIEXT_UPDATE_GOLDEN=1 once and read it");
        Assert.That(actual, Is.EqualTo(File.ReadAllText(file)),
            $"{name} changed; read the diff, then accept it with FCGIEXT_UPDATE_GOLDEN=1");
    }

    [TestCase("xdebug-null-write")]
    [TestCase("php-max-requests-exit")]
    public void One_dump_text(string scenario) => Golden($"{scenario}.txt", BatchTextReport.Render(Only(scenario)));

    [TestCase("xdebug-null-write")]
    [TestCase("php-max-requests-exit")]
    public void One_dump_markdown(string scenario) => Golden($"{scenario}.md", BatchMarkdownReport.Render(Only(scenario)));

    [Test]
    public void Batch_text_at_100_and_80_columns()
    {
        Golden("batch-100.txt", BatchTextReport.Render(BatchReport.Build(Outcomes()), width: 100));
        Golden("batch-80.txt", BatchTextReport.Render(BatchReport.Build(Outcomes()), width: 80));
    }

    [Test]
    public void Batch_markdown() => Golden("batch.md", BatchMarkdownReport.Render(BatchReport.Build(Outcomes())));

    [Test]
    public void Verbose_batch_text_shows_every_frame_of_every_dump_with_its_explanation()
    {
        var report = BatchReport.Build(Outcomes());
        var text = BatchTextReport.Render(report, verbose: true);
        foreach (var dump in report.Dumps.Where(d => d.Triaged))
        {
            Assert.That(text, Does.Contain($"Dump {dump.Dump}"));
            var frames = (JsonArray)dump.Result!["frames"]!;
            var last = frames[^1]!["display"]!.GetValue<string>();
            Assert.That(text, Does.Contain(last), $"the last frame of {dump.Dump}");
        }
        Assert.That(text, Does.Contain("why: "));
    }

    [TestCase(80)]
    [TestCase(100)]
    [TestCase(160)]
    public void Every_line_but_a_copyable_command_fits_the_width(int width)
    {
        var report = BatchReport.Build(Outcomes());
        var commands = report.Buckets.SelectMany(b => b.Detail!.Steps).Select(s => s.ForReader.Command).OfType<string>().ToHashSet();
        foreach (var line in BatchTextReport.Render(report, verbose: true, width: width).Split('\n'))
            if (line.Length > width)
                Assert.That(commands.Any(c => line.TrimStart().EndsWith(c, StringComparison.Ordinal)), Is.True,
                    $"{line.Length} columns: {line}");
    }

    [Test]
    public void A_single_dump_bucket_shows_one_time_and_an_exit_is_not_a_crash()
    {
        var text = BatchTextReport.Render(Only("php-max-requests-exit"));
        Assert.That(text, Does.Not.Contain("first ").And.Not.Contain("none (none)").And.Not.Contain("module -"));
        Assert.That(text, Does.Contain("not a crash: the process ended itself"));
        Assert.That(text, Does.Not.Contain(".:"));
    }
}
