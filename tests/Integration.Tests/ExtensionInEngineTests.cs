using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FcgiExt.Cli.Batch;
using FcgiExt.Cli.Engine;
using FcgiExt.DbgEng;

namespace FcgiExt.Integration.Tests;

/// <summary>
/// The cross-linked win-x64 fcgiext.dll loaded by the real dbgeng under Wine (through `fcgihost serve`, the engine
/// session `fcgi engine` uses) on every TestDumps dump and every public dump: `!fcgi -json` equals expected.yaml,
/// the text shows every step, `.unload` works, `!fcgi` twice gives the same answer, and the batch
/// (`fcgi triage`) gives the identical verdict.
/// </summary>
[Category("Integration")]
[NonParallelizable]
public class ExtensionInEngineTests
{
    static string SiteRules => Path.Combine(TestPaths.TestDumps, "rules");

    readonly ExtensionSession _session = new();
    Dictionary<string, JsonObject> _batch = new(StringComparer.Ordinal);

    [OneTimeSetUp]
    public void BuildExtensionAndRunTheBatch()
    {
        ExtensionSession.BuildDllIfStale();
        // The batch over every scenario at once, through the same kind of long-lived engine sessions `fcgi triage` uses.
        var options = new EngineAnalysisOptions { Offline = true, Rules = [SiteRules] };
        var runner = new BatchRunner(() => new WineDumpAnalyzer(TestPaths.Wine, options),
            new BatchOptions { Parallelism = 2, PerDumpTimeout = TimeSpan.FromMinutes(3) });
        var dumps = new DumpFinder(Path.Combine(TestPaths.TempDir(), "unzipped")).Find([TestPaths.Scenarios], []).ToList();
        var results = runner.RunAsync(dumps, CancellationToken.None).GetAwaiter().GetResult();
        foreach (var r in results)
        {
            Assert.That(r.Error, Is.Null, $"batch: {r.Dump}");
            _batch[Path.GetFullPath(r.Dump)] = r.Result!;
        }
    }

    [OneTimeTearDown]
    public void Stop() => _session.Dispose();

    Dictionary<string, string> Session(string dump, string symbolPath, params (string Marker, string Command)[] steps) =>
        _session.Run(dump, symbolPath, steps);

    /// <summary>The output of `!fcgi -json` as one JSON document: it must print nothing else, not even the engine's
    /// symbol loading summary (the extension mutes it while loading).</summary>
    static JsonObject Json(string text)
    {
        JsonNode? node = null;
        Assert.That(() => node = JsonNode.Parse(text), Throws.Nothing, $"not one JSON document:\n{text}");
        return node!.AsObject();
    }

    public static IEnumerable<TestCaseData> Scenarios() => ScenarioTests.Scenarios();

    [TestCaseSource(nameof(Scenarios))]
    public void Fcgi_json_matches_expected_yaml_text_shows_every_step_unload_works_and_the_batch_agrees(Scenario? scenario)
    {
        Assert.That(scenario, Is.Not.Null, "no TestDumps scenarios");
        string dll = ExtensionSession.WineDll;
        var parts = Session(scenario!.Dump, scenario.Folder,
            ("LOAD", $".load {dll}"),
            ("RULES", $"!fcgirules -load {WineRunner.ToWinePath(SiteRules)}"),
            ("JSON1", "!fcgi -json -offline"),
            ("JSON2", "!fcgi -json -offline"),
            ("TEXT", "!fcgi -offline"),
            ("UNLOAD", $".unload {dll}"),
            ("AFTER", ".chain"));

        var json = Json(parts["JSON1"]);
        var verdict = json["verdict"]!;
        Assert.That(verdict["owner"]!.GetValue<string>(), Is.EqualTo(scenario.MinidumpOwner), parts["TEXT"]);
        Assert.That(verdict["category"]!.GetValue<string>(), Is.EqualTo(scenario.MinidumpCategory));
        Assert.That(verdict["owner_module"]?.GetValue<string>(), Is.EqualTo(scenario.MinidumpOwnerModule).IgnoreCase);
        Assert.That(json["exception"]?["class"]?.GetValue<string>(), Is.EqualTo(scenario.ExceptionClass));
        Assert.That(json["exception"]?["code"]?.GetValue<string>(), Is.EqualTo(scenario.ExceptionCode));
        var missing = json["symbols"]!["missing"]!.AsArray().Concat(json["symbols"]!["export_only"]!.AsArray())
            .Select(m => m!["module"]!.GetValue<string>()).ToList();
        foreach (var m in scenario.MissingSymbols)
            Assert.That(missing.Select(x => FcgiExt.RulesEngine.Model.ModuleNames.EngineName(x)),
                Has.Member(FcgiExt.RulesEngine.Model.ModuleNames.EngineName(m)),
                $"{m} must be listed with missing symbols");
        foreach (var p in scenario.PrivateSymbols)
            Assert.That(missing.Select(x => FcgiExt.RulesEngine.Model.ModuleNames.EngineName(x)), Has.No.Member(p), $"{p} has its PDB");

        Assert.That(JsonNode.DeepEquals(json, Json(parts["JSON2"])), Is.True, "!fcgi twice gives the same answer");

        string text = parts["TEXT"];
        Assert.That(text, Does.Match(@"\[1\] Symbol set-up\n  symbol path unchanged;[^\n]*; no reload\n"),
            "a third !fcgi in the session loads and reloads nothing");
        foreach (var step in new[] { "[1] Symbol set-up", "[2] Symbols", "[3] Exception", "[4] Stack", "[5] Verdict", "[6] Next steps" })
            Assert.That(text, Does.Contain(step), $"step '{step}' missing:\n{text}");
        Assert.That(text, Does.Contain(verdict["bucket"]!.GetValue<string>()));

        Assert.That(parts["UNLOAD"], Does.Not.Contain("failed").IgnoreCase, parts["UNLOAD"]);
        Assert.That(parts["LOAD"] + parts["UNLOAD"], Does.Not.Contain("failed").IgnoreCase);
        Assert.That(parts["AFTER"], Does.Not.Contain("fcgiext").IgnoreCase, "after .unload the extension is no longer in the chain");

        Assert.That(_batch.TryGetValue(Path.GetFullPath(scenario.Dump), out var fromBatch), Is.True, "the batch triaged this dump");
        Assert.That(JsonNode.DeepEquals(fromBatch, json), Is.True,
            $"fcgi triage and !fcgi -json differ:\nbatch: {fromBatch!.ToJsonString()}\n!fcgi: {json.ToJsonString()}");
    }

    public static IEnumerable<TestCaseData> PublicDumps() =>
        Directory.Exists(TestPaths.PublicDumps)
            ? Directory.EnumerateFiles(TestPaths.PublicDumps, "*.dmp", SearchOption.AllDirectories).Order()
                .Select(f => new TestCaseData(f).SetName("Public_" + Path.GetFileNameWithoutExtension(f)))
            : [new TestCaseData("").SetName("No_public_dumps")];

    [TestCaseSource(nameof(PublicDumps))]
    public void Fcgi_on_a_public_dump_without_pdbs_gives_a_low_confidence_verdict_and_the_missing_symbols(string dump)
    {
        Assert.That(File.Exists(dump), Is.True, $"{TestPaths.PublicDumps} has no dumps");
        string empty = TestPaths.TempDir();
        string dll = ExtensionSession.WineDll;
        var parts = Session(dump, empty, ("LOAD", $".load {dll}"), ("JSON", "!fcgi -json -offline"), ("TEXT", "!fcgi -offline"),
            ("UNLOAD", $".unload {dll}"));
        var json = Json(parts["JSON"]);
        Assert.That(json["verdict"]!["confidence"]!.GetValue<string>(), Is.Not.EqualTo("high"));
        Assert.That(json["verdict"]!["bucket"]!.GetValue<string>(), Is.Not.Empty);
        Assert.That(json["symbols"]!["missing"]!.AsArray().Count + json["symbols"]!["export_only"]!.AsArray().Count, Is.GreaterThan(0));
        Assert.That(parts["TEXT"], Does.Not.Match(@"(?m)^!fcgi: "), "no error line");
        Assert.That(parts["TEXT"], Does.Contain("[5] Verdict"));
    }

    /// <summary>Full-memory dumps are not in git: the test builds them (TestDumps/make.sh --full) and checks that
    /// !fcgi gives the same verdict on them as on the minidumps.</summary>
    [Test]
    public void Full_memory_dumps_built_on_demand_give_the_same_verdict()
    {
        var withFull = Directory.EnumerateFiles(TestPaths.Scenarios, "expected.yaml", SearchOption.AllDirectories)
            .Where(f => File.ReadAllText(f).Contains("full_dump:")).Select(Scenario.Load).ToList();
        Assert.That(withFull, Is.Not.Empty, "no scenario declares a full_dump");
        var psi = new ProcessStartInfo(Path.Combine(TestPaths.TestDumps, "make.sh"), "--full") { RedirectStandardOutput = true,
            RedirectStandardError = true };
        using (var p = Process.Start(psi)!)
        {
            string err = p.StandardError.ReadToEndAsync().GetAwaiter().GetResult();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Assert.That(p.ExitCode, Is.Zero, $"TestDumps/make.sh --full: {err}");
        }
        string dll = ExtensionSession.WineDll;
        foreach (var scenario in withFull)
        {
            string full = Path.Combine(scenario.Folder, "full.dmp");
            Assert.That(new FileInfo(full).Length, Is.GreaterThan(new FileInfo(scenario.Dump).Length * 20),
                $"{full} is not a full-memory dump");
            var parts = Session(full, scenario.Folder, ("LOAD", $".load {dll}"),
                ("RULES", $"!fcgirules -load {WineRunner.ToWinePath(SiteRules)}"),
                ("JSON", "!fcgi -json -offline"), ("UNLOAD", $".unload {dll}"));
            var json = Json(parts["JSON"]);
            Assert.That(json["verdict"]!["owner"]!.GetValue<string>(), Is.EqualTo(scenario.Owner), scenario.Name);
            Assert.That(json["exception"]?["class"]?.GetValue<string>(), Is.EqualTo(scenario.ExceptionClass), scenario.Name);
            Assert.That(json["verdict"]!["bucket"]!.GetValue<string>(),
                Is.EqualTo(_batch[Path.GetFullPath(scenario.Dump)]["verdict"]!["bucket"]!.GetValue<string>()),
                $"{scenario.Name}: the full dump lands in the minidump's bucket");
        }
    }
}
