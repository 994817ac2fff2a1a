using System.Text.Json;
using System.Text.RegularExpressions;
using FcgiExt.Cli.Engine;
using FcgiExt.DbgEng;
using FcgiExt.RulesEngine.Model;
using YamlDotNet.RepresentationModel;

namespace FcgiExt.Integration.Tests;

/// <summary>What a TestDumps scenario's expected.yaml says the engine must show.</summary>
public sealed record Scenario(string Name, string Folder, string Dump, string? Module, string? Function, string? SourceFile,
    int? SourceLine, IReadOnlyList<string> PrivateSymbols, IReadOnlyList<string> MissingSymbols, IReadOnlyList<string> ExportOnlySymbols)
{
    /// <summary>The verdict part of expected.yaml: what `!fcgi -json` and `fcgi triage` must say.</summary>
    public string? Owner { get; init; }
    public string? OwnerModule { get; init; }
    public string? Category { get; init; }
    public string? ExceptionCode { get; init; }
    public string? ExceptionClass { get; init; }
    /// <summary>What the minidump alone supports (expected.yaml's minidump_verdict, else the verdict): a minidump may
    /// lack memory the verdict needs (the heap's failure information), and then triage must say less.</summary>
    public string? MinidumpOwner { get; init; }
    public string? MinidumpOwnerModule { get; init; }
    public string? MinidumpCategory { get; init; }
    /// <summary>expected.yaml's versions: image file name → the file version its VS_VERSIONINFO carries.</summary>
    public IReadOnlyDictionary<string, string> Versions { get; init; } = new Dictionary<string, string>();

    public override string ToString() => Name;

    public static Scenario Load(string expectedYaml)
    {
        string folder = Path.GetDirectoryName(expectedYaml)!;
        var yaml = new YamlStream();
        using (var reader = new StreamReader(expectedYaml)) yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        string? Scalar(string section, string key) =>
            Child(root, section) is YamlMappingNode m && Child(m, key) is YamlScalarNode s && !string.IsNullOrWhiteSpace(s.Value)
                && s.Value is not ("~" or "null") ? s.Value : null;
        IReadOnlyList<string> List(string section, string key) =>
            Child(root, section) is YamlMappingNode m && Child(m, key) is YamlSequenceNode seq
                ? seq.Children.OfType<YamlScalarNode>().Select(n => n.Value!).Where(v => v.Length > 0).ToList() : [];

        // source_line: 40, "xdebug.c:40" or "xdebug.c @ 40".
        string? sourceLine = Scalar("faulting", "source_line");
        string? file = Scalar("faulting", "source_file");
        int? line = null;
        if (sourceLine is not null)
        {
            var m = Regex.Match(sourceLine, @"^(?:(?<file>.+?)\s*(?::|@)\s*)?(?<line>\d+)$");
            if (!m.Success) throw new FormatException($"{expectedYaml}: faulting.source_line '{sourceLine}' is not 'file:line' or a number");
            line = int.Parse(m.Groups["line"].Value);
            if (m.Groups["file"].Success) file = m.Groups["file"].Value.Trim();
        }
        string dump = Path.Combine(folder, "minidump.dmp");
        return new Scenario(Path.GetFileName(folder), folder, dump, Scalar("faulting", "module"), Scalar("faulting", "function"),
            file, line, List("symbols", "private"), List("symbols", "missing"), List("symbols", "system_export_only"))
        {
            Owner = Scalar("verdict", "owner"),
            OwnerModule = Scalar("verdict", "owner_module"),
            Category = Scalar("verdict", "category"),
            ExceptionCode = Scalar("exception", "code"),
            ExceptionClass = Scalar("exception", "class"),
            MinidumpOwner = Child(root, "minidump_verdict") is null ? Scalar("verdict", "owner") : Scalar("minidump_verdict", "owner"),
            MinidumpOwnerModule = Child(root, "minidump_verdict") is null
                ? Scalar("verdict", "owner_module") : Scalar("minidump_verdict", "owner_module"),
            MinidumpCategory = Child(root, "minidump_verdict") is null ? Scalar("verdict", "category") : Scalar("minidump_verdict", "category"),
            Versions = Child(root, "versions") is YamlMappingNode versions
                ? versions.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!)
                : new Dictionary<string, string>(),
        };
    }

    static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;
}

/// <summary>Every TestDumps scenario in the real engine: `.ecxr; kn; lml` shows the intended faulting frame with its
/// function and source line, and each module's intended symbol status. Data-driven over
/// TestDumps/scenarios/*/expected.yaml, so new scenarios are tested without touching this file; no scenario at all
/// is a failure, not a pass.</summary>
[Category("Integration")]
[NonParallelizable]
public class ScenarioTests
{
    public static IEnumerable<TestCaseData> Scenarios()
    {
        var files = Directory.Exists(TestPaths.Scenarios)
            ? Directory.EnumerateFiles(TestPaths.Scenarios, "expected.yaml", SearchOption.AllDirectories).Order().ToList()
            : [];
        if (files.Count == 0)
        {
            yield return new TestCaseData(null).SetName("No_scenarios_found");
            yield break;
        }
        foreach (var file in files)
            yield return new TestCaseData(Scenario.Load(file)).SetName($"Scenario_{Path.GetFileName(Path.GetDirectoryName(file))}");
    }

    EngineServer? _server;

    [OneTimeTearDown]
    public void StopServer() => _server?.Dispose();

    /// <summary>Runs the commands on the scenario's dump in the engine host and collects the crash report (symbol path:
    /// the scenario folder).</summary>
    public static ServeResponse Collect(EngineServer server, Scenario scenario, string commands)
    {
        var request = new ServeRequest
        {
            Dump = WineRunner.ToWinePath(scenario.Dump),
            SymbolPath = WineRunner.ToWinePath(scenario.Folder),
            Commands = commands,
            Collect = true,
        };
        string answer = server.Request(JsonSerializer.Serialize(request, HostJson.Default.ServeRequest), TimeSpan.FromMinutes(2));
        var response = JsonSerializer.Deserialize(answer, HostJson.Default.ServeResponse)!;
        Assert.That(response.Error, Is.Null, answer);
        return response;
    }

    [TestCaseSource(nameof(Scenarios))]
    public void Engine_shows_the_intended_faulting_frame_and_symbol_status(Scenario? scenario)
    {
        Assert.That(scenario, Is.Not.Null, $"no TestDumps/scenarios/*/expected.yaml under {TestPaths.Scenarios}");
        Assert.That(File.Exists(scenario!.Dump), Is.True, $"{scenario.Dump} missing");
        _server ??= TestPaths.Wine.StartServer();
        var response = Collect(_server, scenario, ".ecxr; kn; lml");
        string text = response.Output ?? "";

        // kn: "NN <child-sp> <retaddr> module!function+0xNN [file @ line]"
        if (scenario.Function is not null)
        {
            string module = ModuleNames.EngineName(scenario.Module) ?? @"\S+";
            var frame = new Regex(@"^[0-9a-f]{2} .*\s" + (scenario.Module is null ? module : Regex.Escape(module)) + "!" +
                Regex.Escape(scenario.Function) + @"(\+0x[0-9a-f`]+)?(\s+\[(?<file>[^\]]*) @ (?<line>\d+)\])?\s*$",
                RegexOptions.Multiline | RegexOptions.IgnoreCase);
            var match = frame.Match(text);
            Assert.That(match.Success, Is.True, $"kn shows no frame {scenario.Module}!{scenario.Function}:\n{text}");
            if (scenario.SourceLine is { } line)
            {
                Assert.That(match.Groups["line"].Success, Is.True, $"the frame has no source line: {match.Value}");
                Assert.That(int.Parse(match.Groups["line"].Value), Is.EqualTo(line), match.Value);
            }
            if (scenario.SourceFile is { } file)
                Assert.That(match.Groups["file"].Value.Replace('\\', '/'), Does.EndWith(file.Replace('\\', '/')).IgnoreCase, match.Value);
        }

        // lml: "<start> <end>   module  C (private pdb symbols)  <pdb path>"
        var report = response.Report!;
        foreach (var name in scenario.PrivateSymbols)
        {
            string module = ModuleNames.EngineName(name)!;
            Assert.That(text, Does.Match(@"(?m)^[0-9a-f`]+\s+[0-9a-f`]+\s+" + Regex.Escape(module) + @"\s+(\w\s+)?\(private pdb symbols\)"),
                $"lml: {name} should have private symbols:\n{text}");
            Assert.That(report.FindModule(name)?.Symbols, Is.EqualTo(SymbolStatus.PrivatePdb), $"collector: {name}");
        }
        foreach (var name in scenario.MissingSymbols)
        {
            string module = ModuleNames.EngineName(name)!;
            Assert.That(text, Does.Not.Match(@"(?m)^[0-9a-f`]+\s+[0-9a-f`]+\s+" + Regex.Escape(module) + @"\s+(\w\s+)?\((private )?pdb symbols\)"),
                $"lml: {name} should have no PDB");
            var found = report.FindModule(name);
            Assert.That(found, Is.Not.Null, $"collector: {name} not among the dump's modules");
            Assert.That(found!.Symbols, Is.AnyOf(SymbolStatus.None, SymbolStatus.ExportOnly, SymbolStatus.Deferred), $"collector: {name}");
        }

        foreach (var name in scenario.ExportOnlySymbols)
        {
            string module = ModuleNames.EngineName(name)!;
            // lml lists only modules whose symbols were loaded; one that is listed must show exports only.
            var listed = Regex.Match(text, @"(?m)^[0-9a-f`]+\s+[0-9a-f`]+\s+" + Regex.Escape(module) + @"\s+(\w\s+)?\((?<status>[^)]*)\)");
            if (listed.Success) Assert.That(listed.Groups["status"].Value, Is.EqualTo("export symbols"), $"lml: {name}");
            Assert.That(report.FindModule(name)?.Symbols, Is.EqualTo(SymbolStatus.ExportOnly), $"collector: {name}");
        }

        // Each module's version resource reaches the crash model, and lmvm shows the same.
        foreach (var (image, version) in scenario.Versions)
        {
            var found = report.FindModule(image);
            Assert.That(found, Is.Not.Null, $"collector: {image} not among the dump's modules");
            Assert.That(found!.FileVersion, Is.EqualTo(version), $"collector: {image}'s file version");
            Assert.That(found.ProductVersion, Is.EqualTo(version), $"collector: {image}'s product version (versions.txt sets both)");
            // lld writes linker version 14.0 into the optional header, as MSVC 2015's link.exe does.
            Assert.That(found.LinkerVersion, Is.EqualTo("14.0"), $"collector: {image}'s linker version");
            Assert.That(found.PdbName, Is.Null.Or.EqualTo(Path.ChangeExtension(image, ".pdb")), $"collector: {image}'s PDB name");
        }

        // The collector agrees with kn on the faulting frame.
        if (scenario.Function is not null)
            Assert.That(report.Frames.Any(f => string.Equals(f.Function, scenario.Function, StringComparison.OrdinalIgnoreCase) &&
                (scenario.SourceLine is null || f.SourceLine == scenario.SourceLine)), Is.True,
                "collector frames: " + string.Join(" | ", report.Frames.Select(f => $"{f.Display} {f.SourceFile}:{f.SourceLine}")));
    }
}
