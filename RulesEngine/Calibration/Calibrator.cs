using System.Text;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Triage;
using YamlDotNet.RepresentationModel;

namespace FcgiExt.RulesEngine.Calibration;

/// <summary>A crash whose owner someone established: the module it ships, or no owner (a voluntary exit).</summary>
/// <remarks><see cref="OwnerNameIsExact"/>: the expected owner is the catalog's own name (scenarios), so it must match too;
/// real-case lists give the owner in the thread's words, and agreement is on the module alone.</remarks>
public sealed record CalibrationCase(string Name, string Source, Func<CrashReport> Read, string? ExpectedModule, string ExpectedOwner,
    bool OwnerNameIsExact = false)
{
    /// <summary>The established verdict is "no owner": the process ended itself.</summary>
    public bool ExpectsNoOwner => ExpectedModule is null;
}

/// <summary>What triage said about one case, and whether it agrees with the established owner.</summary>
public sealed record CalibrationOutcome(CalibrationCase Case, Confidence? Confidence, string Owner, string? OwnerModule, bool Agrees,
    string? Error);

/// <summary>The outcomes, counted per confidence level.</summary>
public sealed record CalibrationResult(IReadOnlyList<CalibrationOutcome> Outcomes)
{
    public IEnumerable<CalibrationOutcome> Disagreements => Outcomes.Where(o => o.Error is null && !o.Agrees);
    /// <summary>The one thing that must never happen: a high-confidence verdict naming the wrong owner.</summary>
    public IEnumerable<CalibrationOutcome> WrongHigh => Disagreements.Where(o => o.Confidence == Triage.Confidence.High);
    public IEnumerable<CalibrationOutcome> Errors => Outcomes.Where(o => o.Error is not null);
}

/// <summary>
/// `fcgi rules calibrate`: triages every case of a corpus whose owners were established (real public crash texts
/// with the owner the maintainers named; TestDumps scenarios with their expected verdicts) and counts, per
/// confidence level, how many verdicts agree. Calibrated means: every disagreement is low, high is always right.
/// </summary>
public static class Calibrator
{
    public static CalibrationResult Run(IEnumerable<CalibrationCase> cases, IOwnerCatalog catalog)
    {
        var outcomes = new List<CalibrationOutcome>();
        foreach (var c in cases)
        {
            CrashReport crash;
            try { crash = c.Read(); }
            catch (DebuggerTextException e)
            {
                outcomes.Add(new(c, null, "", null, false, e.Message.ReplaceLineEndings(" ")));
                continue;
            }
            var v = Triager.Triage(crash, catalog).Verdict;
            outcomes.Add(new(c, v.Confidence, v.Owner, v.OwnerModule, Agrees(c, v), null));
        }
        return new CalibrationResult(outcomes);
    }

    /// <summary>Agreement is on the module that decided (what the owner ships), or on "no owner" for an exit.</summary>
    public static bool Agrees(CalibrationCase c, Verdict v) => c.ExpectsNoOwner
        ? v.Category == OwnerCategory.None
        : v.Owner != Triager.UnknownOwner
          && ModuleNames.Same(ModuleNames.EngineName(v.OwnerModule), ModuleNames.EngineName(c.ExpectedModule))
          && (!c.OwnerNameIsExact || string.Equals(v.Owner, c.ExpectedOwner, StringComparison.Ordinal));

    static readonly Confidence[] Levels = [Confidence.High, Confidence.Medium, Confidence.Low];

    public static string Render(CalibrationResult result)
    {
        var sb = new StringBuilder();
        sb.AppendLine("confidence  verdicts  agree  disagree  agree %");
        foreach (var level in Levels)
        {
            var at = result.Outcomes.Where(o => o.Error is null && o.Confidence == level).ToList();
            int agree = at.Count(o => o.Agrees);
            string pct = at.Count == 0 ? "-" : $"{100.0 * agree / at.Count:0}%";
            sb.AppendLine($"{Name(level),-10}  {at.Count,8}  {agree,5}  {at.Count - agree,8}  {pct,7}");
        }
        int total = result.Outcomes.Count(o => o.Error is null);
        int agreeAll = result.Outcomes.Count(o => o.Error is null && o.Agrees);
        string allPct = total == 0 ? "-" : $"{100.0 * agreeAll / total:0}%";
        sb.AppendLine($"{"all",-10}  {total,8}  {agreeAll,5}  {total - agreeAll,8}  {allPct,7}");
        var disagreements = result.Disagreements.OrderBy(o => o.Confidence).ThenBy(o => o.Case.Name, StringComparer.Ordinal).ToList();
        if (disagreements.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Disagreements:");
            foreach (var o in disagreements)
                sb.AppendLine($"  {Name(o.Confidence!.Value),-6}  {o.Case.Name}: got {o.Owner}" +
                              (o.OwnerModule is null ? "" : $" ({o.OwnerModule})") + $", established {o.Case.ExpectedOwner}" +
                              (o.Case.ExpectedModule is null ? "" : $" ({o.Case.ExpectedModule})"));
        }
        foreach (var o in result.Errors)
            sb.AppendLine($"  error   {o.Case.Name}: {o.Error}");
        int wrongHigh = result.WrongHigh.Count();
        sb.AppendLine();
        sb.AppendLine(wrongHigh == 0
            ? "calibrated: no high-confidence verdict names a wrong owner"
            : $"NOT calibrated: {wrongHigh} high-confidence verdict(s) name a wrong owner (listed above as high)");
        return sb.ToString();
    }

    static string Name(Confidence c) => c.ToString().ToLowerInvariant();
}

/// <summary>Reads calibration corpora: a real-case list (`cases:` with file / expected_owner_module / expected_owner),
/// a TestDumps scenario's expected.yaml (its debugger text engine.txt beside it), or a folder holding either.</summary>
public static class CalibrationCorpus
{
    public const string CaseListName = "cases.yaml", ScenarioName = "expected.yaml", ScenarioText = "engine.txt";

    public static IReadOnlyList<CalibrationCase> Load(string path)
    {
        if (Directory.Exists(path))
        {
            var cases = new List<CalibrationCase>();
            foreach (var file in Directory.EnumerateFiles(path, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                if (name == CaseListName || (name == ScenarioName && File.Exists(Path.Combine(Path.GetDirectoryName(file)!, ScenarioText))))
                    cases.AddRange(Load(file));
            }
            if (cases.Count == 0)
                throw new InvalidDataException($"{path}: no {CaseListName} or scenario {ScenarioName} with {ScenarioText}");
            return cases;
        }
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: no such file or folder");
        YamlMappingNode root;
        try
        {
            var text = File.ReadAllText(path);
            CheckNesting(path, text);
            var yaml = new YamlStream();
            using (var reader = new StringReader(text)) yaml.Load(reader);
            root = yaml.Documents.Count > 0 && yaml.Documents[0].RootNode is YamlMappingNode m ? m
                : throw new InvalidDataException($"{path}: not a YAML mapping");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{path}:{e.Start.Line}:{e.Start.Column}: {e.Message}");
        }
        if (Get(root, "cases") is YamlSequenceNode list) return CaseList(path, list);
        if (Get(root, "verdict") is YamlMappingNode verdict) return [Scenario(path, root, verdict)];
        throw new InvalidDataException($"{path}: neither a case list (cases:) nor a scenario's expected verdict (verdict:)");
    }

    /// <summary>YamlStream builds its tree recursively: a corpus file of 10,000 '[' would overflow the stack. The parser's
    /// events are read iteratively first and a file nested deeper than the catalog's bound is refused in one line.</summary>
    static void CheckNesting(string path, string text)
    {
        var parser = new YamlDotNet.Core.Parser(new StringReader(text));
        int depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case YamlDotNet.Core.Events.SequenceStart or YamlDotNet.Core.Events.MappingStart:
                    if (++depth > Catalog.YamlTree.MaxNesting)
                        throw new InvalidDataException(
                            $"{path}:{parser.Current.Start.Line}:{parser.Current.Start.Column}: nesting deeper than {Catalog.YamlTree.MaxNesting}");
                    break;
                case YamlDotNet.Core.Events.SequenceEnd or YamlDotNet.Core.Events.MappingEnd:
                    depth--;
                    break;
            }
        }
    }

    static IReadOnlyList<CalibrationCase> CaseList(string path, YamlSequenceNode list)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var cases = new List<CalibrationCase>();
        foreach (var node in list)
        {
            if (node is not YamlMappingNode c || Text(c, "file") is not { } file)
                throw new InvalidDataException($"{path}:{node.Start.Line}: a case needs a file");
            var module = Text(c, "expected_owner_module");
            var text = Path.Combine(dir, file);
            cases.Add(new CalibrationCase(file, $"{path}:{node.Start.Line}", () => DebuggerText.ReadFile(text),
                module is null or "none" ? null : module, Text(c, "expected_owner") ?? module ?? "none"));
        }
        return cases;
    }

    static CalibrationCase Scenario(string path, YamlMappingNode root, YamlMappingNode verdict)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var text = Path.Combine(dir, ScenarioText);
        var owner = Text(verdict, "owner") ?? "none";
        var module = Text(verdict, "owner_module");
        return new CalibrationCase("scenario " + (Text(root, "scenario") ?? Path.GetFileName(dir)), path,
            () => DebuggerText.ReadFile(text), owner == "none" ? null : module, owner, OwnerNameIsExact: true);
    }

    static YamlNode? Get(YamlMappingNode m, string key) => m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    static string? Text(YamlMappingNode m, string key) =>
        Get(m, key) is YamlScalarNode { Value: { Length: > 0 } v } && v is not ("null" or "~") ? v : null;
}
