using System.IO.Compression;
using System.Text.Json.Nodes;
using FcgiExt.Cli.Batch;

namespace FcgiExt.Integration.Tests;

/// <summary>`fcgi triage <folder>` with the real engine: bad files mixed in (each a one-line error, the batch goes on,
/// exit 1), a zip pack, an interrupted batch resumed without redoing what was done.</summary>
[Category("Integration")]
[NonParallelizable]
public class BatchTriageTests
{
    string _dir = "";

    [SetUp]
    public void MakeFolder()
    {
        _dir = TestPaths.TempDir();
        foreach (var name in new[] { "xdebug-null-write", "curl-use-after-free", "ruby-nokogiri-null-read" })
        {
            var target = Directory.CreateDirectory(Path.Combine(_dir, "dumps", name)).FullName;
            foreach (var f in Directory.EnumerateFiles(Path.Combine(TestPaths.Scenarios, name))
                .Where(f => Path.GetFileName(f) == "minidump.dmp" || f.EndsWith(".pdb")))
                File.Copy(f, Path.Combine(target, Path.GetFileName(f)));
        }
    }

    [TearDown]
    public void Remove() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    BatchTriageJob Job(string results, bool resume, StringWriter stdout, StringWriter stderr, string format = "json",
        Func<IDumpAnalyzer, IDumpAnalyzer>? wrap = null) => new(
        new BatchTriageRequest
        {
            Paths = [Path.Combine(_dir, "dumps")],
            Format = format,
            ResultsFile = results,
            Resume = resume,
            Options = new BatchOptions { Parallelism = 2, PerDumpTimeout = TimeSpan.FromMinutes(2) },
            ExtractCache = Path.Combine(_dir, "unzipped"),
        },
        () =>
        {
            var engine = new WineDumpAnalyzer(TestPaths.Wine, new EngineAnalysisOptions { Offline = true });
            return wrap is null ? engine : wrap(engine);
        }, stdout, stderr);

    /// <summary>Interrupts the batch the moment one dump's verdict is back, as Ctrl+C would: the dump in flight on the
    /// other engine is abandoned and the third never starts. (Watching the results file for the first line raced with
    /// warm engines that finished all three within one poll.)</summary>
    sealed class InterruptAfterFirst(IDumpAnalyzer inner, CancellationTokenSource interrupt) : IDumpAnalyzer
    {
        public async Task<JsonObject> AnalyzeAsync(string dumpPath, CancellationToken cancellation)
        {
            var verdict = await inner.AnalyzeAsync(dumpPath, cancellation);
            interrupt.Cancel();
            return verdict;
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    [Test]
    public async Task Bad_files_get_one_line_errors_and_the_batch_goes_on()
    {
        var dumps = Path.Combine(_dir, "dumps");
        File.WriteAllText(Path.Combine(dumps, "notes.dmp"), "This is a text file someone named .dmp\n");
        var good = File.ReadAllBytes(Path.Combine(TestPaths.Scenarios, "xdebug-null-write", "minidump.dmp"));
        File.WriteAllBytes(Path.Combine(dumps, "truncated.dmp"), good[..(good.Length / 3)]);
        File.WriteAllBytes(Path.Combine(dumps, "empty.mdmp"), []);
        using (var zip = ZipFile.Open(Path.Combine(dumps, "debugdiag-pack.zip"), ZipArchiveMode.Create))
            zip.CreateEntryFromFile(Path.Combine(TestPaths.Scenarios, "ruby-mysql2-thread", "minidump.dmp"), "w3wp/ruby__PID__42.dmp");

        var stdout = new StringWriter();
        int code = await Job(Path.Combine(_dir, "results.jsonl"), false, stdout, new StringWriter()).RunAsync(CancellationToken.None);
        Assert.That(code, Is.EqualTo(BatchTriageJob.SomeFailed));
        var report = JsonNode.Parse(stdout.ToString())!;
        // The envelope keeps verdicts in `dumps` and the dumps that could not be triaged in `failed`.
        var byName = report["dumps"]!.AsArray().Concat(report["failed"]!.AsArray())
            .ToDictionary(d => Path.GetRelativePath(dumps, d!["dump"]!.GetValue<string>()), d => d!);
        Assert.That(byName.Keys, Is.EquivalentTo(new[] { "xdebug-null-write/minidump.dmp", "curl-use-after-free/minidump.dmp",
            "ruby-nokogiri-null-read/minidump.dmp", "notes.dmp", "truncated.dmp", "empty.mdmp",
            "debugdiag-pack.zip!w3wp/ruby__PID__42.dmp" }));
        Assert.That(byName["notes.dmp"]["error"]!.GetValue<string>(), Does.Contain("notes.dmp").And.Contain("not a Windows dump file"));
        Assert.That(byName["truncated.dmp"]["error"]!.GetValue<string>(), Does.Contain("truncated.dmp").And.Contain("truncated"));
        Assert.That(byName["empty.mdmp"]["error"]!.GetValue<string>(), Does.Contain("empty"));
        foreach (var e in new[] { "notes.dmp", "truncated.dmp", "empty.mdmp" })
            Assert.That(byName[e]["error"]!.GetValue<string>(), Does.Not.Contain("\n"), "one line");
        var zipped = byName["debugdiag-pack.zip!w3wp/ruby__PID__42.dmp"];
        Assert.That(zipped["error"], Is.Null);
        Assert.That(zipped["verdict"]!["owner_module"]!.GetValue<string>(), Is.EqualTo("libmysql.dll"));
        Assert.That(report["dumps"]!.AsArray(), Has.Count.EqualTo(4), "three scenario dumps and the zipped one");
        Assert.That(report["failed"]!.AsArray(), Has.Count.EqualTo(3));
        Assert.That(report["buckets"]!.AsArray().Select(b => b!["count"]!.GetValue<int>()).Sum(), Is.EqualTo(4));
    }

    [Test]
    public async Task An_interrupted_batch_resumes_without_redoing_dumps()
    {
        var results = Path.Combine(_dir, "results.jsonl");
        using var cts = new CancellationTokenSource();
        var first = new StringWriter();
        await Job(results, false, first, new StringWriter(), wrap: engine => new InterruptAfterFirst(engine, cts)).RunAsync(cts.Token);
        var afterInterrupt = ResultsLog.Read(results, out _);
        Assert.That(afterInterrupt.Count, Is.InRange(1, 2), "interrupted before all three were done");

        var stderr = new StringWriter();
        var second = new StringWriter();
        int code = await Job(results, true, second, stderr, "markdown").RunAsync(CancellationToken.None);
        Assert.That(code, Is.EqualTo(BatchTriageJob.AllTriaged), stderr.ToString());
        Assert.That(stderr.ToString(), Does.Contain($"resuming: {afterInterrupt.Count} dump(s) already done"));
        var all = ResultsLog.Read(results, out int torn);
        Assert.That(torn, Is.Zero);
        Assert.That(all.Select(r => r.Dump).Distinct().Count(), Is.EqualTo(3));
        Assert.That(all, Has.Count.EqualTo(3), "no dump was analysed twice");
        Assert.That(second.ToString(), Does.Contain("3 dump(s): 3 triaged"));
        Assert.That(second.ToString(), Does.Contain("Xdebug").And.Contain("Nokogiri"));
    }
}
