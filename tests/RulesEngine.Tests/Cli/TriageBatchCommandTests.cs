using System.Text.Json.Nodes;
using FcgiExt.Cli;
using FcgiExt.Cli.Batch;
using FcgiExt.Cli.Commands;
using FcgiExt.RulesEngine.Reporting;
using NUnit.Framework;

namespace FcgiExt.Tests.Cli;

/// <summary>The whole `fcgi triage <folder>` command in process, with a fake engine: what it says on stderr, what it
/// passes to the report, what it does with a folder without dumps.</summary>
public class TriageBatchCommandTests
{
    string _dir = "";

    [SetUp]
    public void SetUp() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(),
        "fcgi-batch-cmd-" + Guid.NewGuid().ToString("N")));
    [TearDown] public void TearDown() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    static byte[] FakeMinidump()
    {
        var b = new byte[64];
        BitConverter.GetBytes(0x504D444Du).CopyTo(b, 0);
        BitConverter.GetBytes(0xA793u).CopyTo(b, 4);
        BitConverter.GetBytes(1u).CopyTo(b, 8);
        BitConverter.GetBytes(32u).CopyTo(b, 12);
        return b;
    }

    sealed class FakeAnalyzer : IDumpAnalyzer
    {
        public Task<JsonObject> AnalyzeAsync(string dumpPath, CancellationToken cancellation) => Task.FromResult(new JsonObject
        {
            ["schema_version"] = 1,
            ["verdict"] = new JsonObject
            {
                ["owner"] = "Xdebug", ["owner_module"] = "php_xdebug.dll", ["owner_frame"] = "php_xdebug!xdebug_execute_ex+0x1a",
                ["category"] = "php-extension", ["confidence"] = "high",
                ["bucket"] = "NULL_POINTER_WRITE_c0000005_php_xdebug!xdebug_execute_ex",
            },
            ["exception"] = new JsonObject { ["code"] = "0xc0000005", ["class"] = "NULL_POINTER_WRITE" },
        });
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    (int Code, string Out, string Err) Run(TriageBatchCommand.Settings settings)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = TriageBatchCommand.Run(settings with { ResultsFile = Path.Combine(_dir, "results.jsonl"), Jobs = 2 }, stdout, stderr,
            _ => () => new FakeAnalyzer());
        return (code, stdout.ToString(), stderr.ToString());
    }

    void MakeSite(int dumps)
    {
        for (int i = 0; i < dumps; i++)
        {
            Directory.CreateDirectory(Path.Combine(_dir, "site", $"w{i}"));
            File.WriteAllBytes(Path.Combine(_dir, "site", $"w{i}", "minidump.dmp"), FakeMinidump());
        }
        Directory.CreateDirectory(Path.Combine(_dir, "site", "rules"));
        File.WriteAllText(Path.Combine(_dir, "site", "rules", "site.yaml"),
            "owners:\n  - id: intranet\n    name: Intranet\n    category: application\n");
    }

    [Test]
    public void The_site_catalog_line_is_printed_once_per_run()
    {
        MakeSite(dumps: 4);
        var r = Run(new TriageBatchCommand.Settings { Paths = [Path.Combine(_dir, "site")], Format = "json" });
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        var lines = r.Err.Split('\n').Where(l => l.Contains("site catalog", StringComparison.Ordinal)).ToList();
        var rules = Path.Combine(_dir, "site", "rules");
        Assert.That(lines, Is.EqualTo(new[] { $"fcgi triage: using the site catalog {rules} (the dump folder's rules folder)" }));
        Assert.That(JsonNode.Parse(r.Out)!["dumps"]!.AsArray(), Has.Count.EqualTo(4));
    }

    [Test]
    public void Verbose_reaches_the_report()
    {
        MakeSite(dumps: 2);
        var settings = TriageBatchCommand.FromParse(FcgiCli.CreateRoot().Parse(["triage", "-v", Path.Combine(_dir, "site")]));
        Assert.That(settings.Verbose, Is.True, "-v is read for dumps, not only for --stack-text");
        var r = Run(settings);
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        var outcomes = ResultsLog.Read(Path.Combine(_dir, "results.jsonl"), out _);
        Assert.That(r.Out, Is.EqualTo(BatchReportRenderers.Render(BatchReport.Build(outcomes), "text", verbose: true)));
    }

    [Test]
    public void A_folder_without_dumps_is_a_usage_error_that_says_what_was_looked_for()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "empty"));
        File.WriteAllText(Path.Combine(_dir, "empty", "readme.txt"), "no dumps here");
        var r = Run(new TriageBatchCommand.Settings { Paths = [Path.Combine(_dir, "empty")] });
        Assert.That(r.Code, Is.EqualTo(2));
        Assert.That(r.Out, Is.Empty);
        Assert.That(r.Err, Does.StartWith(
            $"fcgi triage: no dumps in {Path.Combine(_dir, "empty")} (*.dmp, *.mdmp, also inside *.zip)\nUsage: fcgi triage"));
    }

    [Test]
    public void The_engine_is_not_set_up_when_there_is_nothing_to_do()
    {
        bool prepared = false;
        var nothing = new BatchTriageRequest { Paths = [Path.Combine(_dir, "nope")], ExtractCache = Path.Combine(_dir, "cache") };
        var job = new BatchTriageJob(nothing, () => new FakeAnalyzer(), new StringWriter(), new StringWriter())
        {
            PrepareEngine = () => prepared = true,
        };
        Assert.That(job.RunAsync(CancellationToken.None).GetAwaiter().GetResult(), Is.EqualTo(2));
        Assert.That(prepared, Is.False, "a mistyped path costs no Wine set-up or host build");

        MakeSite(dumps: 1);
        var some = new BatchTriageRequest
        {
            Paths = [Path.Combine(_dir, "site")], ExtractCache = Path.Combine(_dir, "cache"), ResultsFile = Path.Combine(_dir, "r.jsonl"),
        };
        var ready = new BatchTriageJob(some, () => new FakeAnalyzer(), new StringWriter(), new StringWriter())
        {
            PrepareEngine = () => prepared = true,
        };
        Assert.That(ready.RunAsync(CancellationToken.None).GetAwaiter().GetResult(), Is.EqualTo(0));
        Assert.That(prepared, Is.True);
    }

    [Test]
    public void One_missing_path_among_good_ones_stops_the_batch_before_any_dump()
    {
        MakeSite(dumps: 2);
        var typo = Path.Combine(_dir, "sitee");
        var r = Run(new TriageBatchCommand.Settings { Paths = [Path.Combine(_dir, "site"), typo] });
        Assert.That(r.Code, Is.EqualTo(2));
        Assert.That(r.Out, Is.Empty);
        Assert.That(r.Err, Does.Contain($"fcgi triage: {typo}: no such file or folder\nUsage: fcgi triage"));
        Assert.That(File.Exists(Path.Combine(_dir, "results.jsonl")), Is.False, "no dump was triaged");
    }

    [Test]
    public void Progress_labels_are_paths_below_the_folder_given()
    {
        MakeSite(dumps: 2);
        var single = Path.Combine(_dir, "site", "w1", "minidump.dmp");
        var found = new DumpFinder(Path.Combine(_dir, "cache")).Find([Path.Combine(_dir, "site"), single], []).ToList();
        Assert.That(found.Select(f => f.Label),
            Is.EqualTo(new[] { Path.Combine("w0", "minidump.dmp"), Path.Combine("w1", "minidump.dmp") }),
            "the file given again is found once");
        var alone = new DumpFinder(Path.Combine(_dir, "cache")).Find([single], []).Single();
        Assert.That(alone.Label, Is.EqualTo(single), "a dump given as a file keeps the path as typed");
    }
}
