using System.IO.Compression;
using System.Text.Json.Nodes;
using FcgiExt.Cli.Batch;
using FcgiExt.RulesEngine.Reporting;
using NUnit.Framework;

namespace FcgiExt.Tests.Batch;

public class BatchPiecesTests
{
    string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "fcgi-batch-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(_dir);
    }
    [TearDown] public void TearDown() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    static byte[] FakeMinidump(uint time = 1_700_000_000)
    {
        var b = new byte[64];
        BitConverter.GetBytes(0x504D444Du).CopyTo(b, 0);
        BitConverter.GetBytes(0xA793u).CopyTo(b, 4);
        BitConverter.GetBytes(1u).CopyTo(b, 8);     // one stream
        BitConverter.GetBytes(32u).CopyTo(b, 12);   // directory right after the header
        BitConverter.GetBytes(time).CopyTo(b, 20);
        return b;
    }

    [Test]
    public void Header_time_is_read_from_a_minidump_and_absent_otherwise()
    {
        Assert.That(MinidumpHeader.ReadTime(new MemoryStream(FakeMinidump())),
            Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000)));
        Assert.That(MinidumpHeader.ReadTime(new MemoryStream(
            System.Text.Encoding.ASCII.GetBytes("not a dump at all, only some text here"))), Is.Null);
        Assert.That(MinidumpHeader.ReadTime(new MemoryStream([0x4D, 0x44])), Is.Null);
    }

    [Test]
    public void Finder_finds_dumps_recursively_and_inside_zips_and_reports_missing_paths()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "a", "b"));
        File.WriteAllBytes(Path.Combine(_dir, "a", "one.dmp"), FakeMinidump());
        File.WriteAllBytes(Path.Combine(_dir, "a", "b", "two.MDMP"), FakeMinidump());
        File.WriteAllText(Path.Combine(_dir, "a", "notes.txt"), "x");
        using (var zip = ZipFile.Open(Path.Combine(_dir, "pack.zip"), ZipArchiveMode.Create))
        {
            using (var s = zip.CreateEntry("w3wp/php-cgi__PID__1.dmp").Open()) s.Write(FakeMinidump());
            using (var s = zip.CreateEntry("readme.txt").Open()) s.WriteByte(65);
        }
        File.WriteAllText(Path.Combine(_dir, "broken.zip"), "not a zip");

        var missing = new List<string>();
        var found = new DumpFinder(Path.Combine(_dir, "cache")).Find([_dir, Path.Combine(_dir, "nope")], missing).ToList();

        Assert.That(missing, Is.EqualTo(new[] { Path.Combine(_dir, "nope") }));
        var names = found.Select(f => f.Name.Replace(_dir, "")).ToList();
        Assert.That(names, Is.EquivalentTo(new[] { "/a/b/two.MDMP", "/a/one.dmp", "/broken.zip", "/pack.zip!w3wp/php-cgi__PID__1.dmp" }));
        var zipped = found.Single(f => f.Name.Contains('!'));
        Assert.That(File.ReadAllBytes(zipped.LocalPath!), Is.EqualTo(FakeMinidump()));
        Assert.That(found.Single(f => f.Name.EndsWith("broken.zip")).Error, Does.StartWith("not a readable zip"));
    }

    [Test]
    public void Finder_reports_a_folder_it_cannot_read_with_the_reason()
    {
        // Tests run as root, which no permission stops: the folder listing is where the denial is played.
        Directory.CreateDirectory(Path.Combine(_dir, "ok"));
        Directory.CreateDirectory(Path.Combine(_dir, "locked"));
        File.WriteAllBytes(Path.Combine(_dir, "ok", "one.dmp"), FakeMinidump());
        File.WriteAllBytes(Path.Combine(_dir, "locked", "two.dmp"), FakeMinidump());
        var finder = new DumpFinder(Path.Combine(_dir, "cache"), folder => folder.EndsWith("locked", StringComparison.Ordinal)
            ? throw new UnauthorizedAccessException("Access to the path is denied.")
            : new DumpFinder.FolderListing(Directory.GetDirectories(folder), Directory.GetFiles(folder)));
        var found = finder.Find([_dir], []).ToList();
        Assert.That(found.Select(f => (f.Name.Replace(_dir, ""), f.Error)), Is.EqualTo(new (string, string?)[]
        {
            ("/locked", "cannot read the folder (permission denied)"), ("/ok/one.dmp", null),
        }));
    }

    static JsonObject Contract(string bucket, string owner, string confidence = "high") => new()
    {
        ["schema_version"] = 1,
        ["verdict"] = new JsonObject { ["owner"] = owner, ["category"] = "php-extension", ["confidence"] = confidence, ["bucket"] = bucket,
            ["owner_module"] = "php_xdebug.dll" },
        ["exception"] = new JsonObject { ["code"] = "0xc0000005", ["class"] = "NULL_POINTER_WRITE" },
        ["next_steps"] = new JsonArray(new JsonObject { ["text"] = "Take a full dump", ["command"] = ".dump /ma x.dmp" }),
    };

    [Test]
    public void Report_groups_buckets_biggest_first_with_times_examples_and_lowest_confidence()
    {
        var t1 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var t2 = t1.AddHours(5);
        var report = BatchReport.Build([
            new DumpOutcome { Dump = "d1.dmp", Result = Contract("B_small", "Ruby core"), DumpTime = t1 },
            new DumpOutcome { Dump = "d2.dmp", Result = Contract("A_big", "Xdebug"), DumpTime = t2 },
            new DumpOutcome { Dump = "d3.dmp", Result = Contract("A_big", "Xdebug", "medium"), DumpTime = t1 },
            new DumpOutcome { Dump = "bad.dmp", Error = "bad.dmp: not a minidump (it is a text file)" },
        ]);
        Assert.That(report.Buckets.Select(b => (b.Bucket, b.Count)), Is.EqualTo(new[] { ("A_big", 2), ("B_small", 1) }));
        var big = report.Buckets[0];
        Assert.That((big.Owner, big.Confidence, big.FirstSeen, big.LastSeen),
            Is.EqualTo(("Xdebug", "medium", (DateTimeOffset?)t1, (DateTimeOffset?)t2)));
        Assert.That(big.ExampleDumps, Is.EqualTo(new[] { "d2.dmp", "d3.dmp" }));
        Assert.That(big.NextSteps, Is.EqualTo(new[] { "Take a full dump: .dump /ma x.dmp" }));
        Assert.That(report.Failed, Is.EqualTo(1));

        var json = JsonNode.Parse(BatchJsonReport.Render(report))!.AsObject();
        Assert.That(json["dumps"]!.AsArray().Count, Is.EqualTo(3), "the triaged dumps");
        var bad = json["failed"]!.AsArray().Single()!;
        Assert.That((bad["dump"]!.GetValue<string>(), bad["error"]!.GetValue<string>()),
            Is.EqualTo(("bad.dmp", "bad.dmp: not a minidump (it is a text file)")));
        var good = json["dumps"]!.AsArray().Single(d => d!["dump"]!.GetValue<string>() == "d1.dmp")!;
        Assert.That(good["verdict"]!["owner"]!.GetValue<string>(), Is.EqualTo("Ruby core"));
        Assert.That(json["buckets"]![0]!["count"]!.GetValue<int>(), Is.EqualTo(2));

        var md = BatchMarkdownReport.Render(report);
        Assert.That(md, Does.Contain("| 1 | Xdebug | NULL\\_POINTER\\_WRITE | 2 |").And.Contain("`bad.dmp`: bad.dmp: not a minidump"));
        var text = BatchTextReport.Render(report);
        Assert.That(text, Does.Contain("4 dump(s): 3 triaged, 1 could not be triaged; 2 bucket(s)"));
        var html = BatchHtmlReport.Render(report);
        Assert.That(html, Does.Contain("<figure class=\"chart\" id=\"owners-chart\">").And.Contain("<table id=\"dumps\">"));
    }

    [Test]
    public void Html_escapes_text_from_dumps_and_catalogs()
    {
        var report = BatchReport.Build([new DumpOutcome { Dump = "<script>alert(1)</script>.dmp",
            Result = Contract("B<img src=x>", "<b>evil</b>") }]);
        var html = BatchHtmlReport.Render(report);
        Assert.That(html, Does.Not.Contain("<script>").And.Not.Contain("<b>evil").And.Not.Contain("<img"));
    }

    [Test]
    public void Results_log_round_trips_and_ignores_a_torn_last_line()
    {
        var path = Path.Combine(_dir, "results.jsonl");
        using (var log = new ResultsLog(path, append: false))
        {
            log.Append(new DumpOutcome { Dump = "a.dmp", Result = Contract("X", "Xdebug"),
                DumpTime = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000) });
            log.Append(new DumpOutcome { Dump = "b.dmp", Error = "b.dmp: timed out after 5 s" });
        }
        File.AppendAllText(path, "{\"dump\": \"c.dmp\", \"verd");
        var read = ResultsLog.Read(path, out int torn);
        Assert.That(torn, Is.EqualTo(1));
        Assert.That(read.Select(r => r.Dump), Is.EqualTo(new[] { "a.dmp", "b.dmp" }));
        Assert.That(read[0].Get("verdict", "owner"), Is.EqualTo("Xdebug"));
        Assert.That(read[0].DumpTime, Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000)));
        Assert.That(read[1].Error, Is.EqualTo("b.dmp: timed out after 5 s"));

        // Resuming after the torn line: the next result starts on a line of its own and is kept.
        using (var log = new ResultsLog(path, append: true))
            log.Append(new DumpOutcome { Dump = "c.dmp", Error = "c.dmp: timed out after 5 s" });
        var resumed = ResultsLog.Read(path, out int tornAfter);
        Assert.That(resumed.Select(r => r.Dump), Is.EqualTo(new[] { "a.dmp", "b.dmp", "c.dmp" }));
        Assert.That(tornAfter, Is.EqualTo(1), "only the torn fragment itself is unreadable");
    }

    sealed class FakeAnalyzer(Func<string, CancellationToken, Task<JsonObject>> analyze, List<FakeAnalyzer> created,
        Func<CancellationToken, Task>? start = null) : IDumpAnalyzer
    {
        public bool Disposed;
        public Task StartAsync(CancellationToken cancellation) => start?.Invoke(cancellation) ?? Task.CompletedTask;
        public Task<JsonObject> AnalyzeAsync(string dumpPath, CancellationToken cancellation) => analyze(dumpPath, cancellation);
        public ValueTask DisposeAsync() { Disposed = true; return ValueTask.CompletedTask; }
        public FakeAnalyzer Register() { lock (created) created.Add(this); return this; }
    }

    [Test]
    public async Task Runner_keeps_going_past_bad_hung_and_failing_dumps_and_replaces_a_hung_engine()
    {
        foreach (var n in new[] { "ok1", "hang", "ok2", "fail" })
            File.WriteAllBytes(Path.Combine(_dir, n + ".dmp"), FakeMinidump());
        File.WriteAllText(Path.Combine(_dir, "text.dmp"), "hello, I am text\n");
        var created = new List<FakeAnalyzer>();
        var runner = new BatchRunner(() => new FakeAnalyzer(async (path, ct) =>
        {
            if (path.EndsWith("hang.dmp")) await Task.Delay(Timeout.Infinite, ct);
            if (path.EndsWith("fail.dmp")) throw new DumpAnalysisException("the engine could not open the dump");
            return Contract("B", "Xdebug");
        }, created).Register(), new BatchOptions { Parallelism = 1, PerDumpTimeout = TimeSpan.FromMilliseconds(300) });

        var missing = new List<string>();
        var dumps = new DumpFinder(Path.Combine(_dir, "cache")).Find([_dir], missing).ToList();
        var results = await runner.RunAsync(dumps, CancellationToken.None);

        Assert.That(results, Has.Count.EqualTo(5));
        string? Err(string n) => results.Single(r => r.Dump.EndsWith(n)).Error;
        Assert.That(Err("ok1.dmp"), Is.Null);
        Assert.That(Err("ok2.dmp"), Is.Null);
        Assert.That(Err("hang.dmp"), Does.EndWith("timed out after 0 s"));
        Assert.That(Err("fail.dmp"), Does.EndWith(": the engine could not open the dump"));
        Assert.That(Err("text.dmp"), Does.EndWith("text.dmp: not a Windows dump file (no MDMP or PAGEDUMP signature)"));
        Assert.That(created, Has.Count.EqualTo(2), "the hung engine is replaced by a fresh one");
        Assert.That(created.All(a => a.Disposed), Is.True);
    }

    [Test]
    public async Task A_slow_engine_start_is_not_charged_to_the_first_dump_and_a_start_that_never_ends_is_one_line()
    {
        foreach (var n in new[] { "a", "b", "c" })
            File.WriteAllBytes(Path.Combine(_dir, n + ".dmp"), FakeMinidump());
        var created = new List<FakeAnalyzer>();
        var dumps = new DumpFinder(Path.Combine(_dir, "cache")).Find([_dir], []).OrderBy(d => d.Name).ToList();
        var slow = await new BatchRunner(() => new FakeAnalyzer((_, _) => Task.FromResult(Contract("B", "Xdebug")), created,
                ct => Task.Delay(600, ct)).Register(),
            new BatchOptions { Parallelism = 1, PerDumpTimeout = TimeSpan.FromMilliseconds(200), StartTimeout = TimeSpan.FromSeconds(5) })
            .RunAsync(dumps, CancellationToken.None);
        Assert.That(slow.Select(r => r.Error), Is.All.Null, "a 0.6 s start does not count against the 0.2 s per-dump bound");
        Assert.That(created, Has.Count.EqualTo(1), "one start serves every dump");

        var hung = await new BatchRunner(() => new FakeAnalyzer((_, _) => Task.FromResult(Contract("B", "Xdebug")), created,
                ct => Task.Delay(Timeout.Infinite, ct)).Register(),
            new BatchOptions { Parallelism = 1, StartTimeout = TimeSpan.FromMilliseconds(300) }).RunAsync(dumps, CancellationToken.None);
        Assert.That(hung.Select(r => r.Error), Is.EqualTo(dumps.Select(d => $"{d.Name}: the engine did not start within 0 s")),
            "every dump gets its one line, and each one gets a fresh try at an engine");
        Assert.That(created, Has.Count.EqualTo(1 + dumps.Count));
        Assert.That(created.Skip(1).All(a => a.Disposed), Is.True, "an engine that did not start is disposed");

        var broken = await new BatchRunner(() => throw new InvalidOperationException("no engine here"),
            new BatchOptions { Parallelism = 1 }).RunAsync(dumps.Take(1).ToList(), CancellationToken.None);
        Assert.That(broken.Single().Error, Is.EqualTo($"{dumps[0].Name}: the engine did not start: no engine here"));
    }

    [Test]
    public async Task Runner_uses_N_engines_in_parallel()
    {
        for (int i = 0; i < 6; i++) File.WriteAllBytes(Path.Combine(_dir, $"d{i}.dmp"), FakeMinidump());
        int running = 0, peak = 0;
        var created = new List<FakeAnalyzer>();
        var runner = new BatchRunner(() => new FakeAnalyzer(async (_, ct) =>
        {
            int now = Interlocked.Increment(ref running);
            lock (created) peak = Math.Max(peak, now);
            await Task.Delay(100, ct);
            Interlocked.Decrement(ref running);
            return Contract("B", "Xdebug");
        }, created).Register(), new BatchOptions { Parallelism = 3 });
        var dumps = new DumpFinder(Path.Combine(_dir, "cache")).Find([_dir], []).ToList();
        var results = await runner.RunAsync(dumps, CancellationToken.None);
        Assert.That(results, Has.Count.EqualTo(6));
        Assert.That(created, Has.Count.EqualTo(3), "one long-lived engine per worker");
        Assert.That(peak, Is.EqualTo(3));
    }
}
