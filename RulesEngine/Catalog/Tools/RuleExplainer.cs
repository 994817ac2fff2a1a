using System.Text;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Catalog.Tools;

/// <summary>What `fcgi rules explain` prints: for each frame the rules that match it, best first, why the
/// winner beats each of the others, then the walk over the frames taken as one stack (top first).
/// `rules diff` and other front ends can use <see cref="ExplainFrame"/> directly.</summary>
public static class RuleExplainer
{
    public sealed record RuleCandidate(CatalogRule Rule, bool Wins, string? LostBecause);

    public sealed record FrameExplanation(StackFrame Frame, IReadOnlyList<RuleCandidate> Candidates,
        IReadOnlyList<CatalogRule> Sentinels);

    public static FrameExplanation ExplainFrame(RuleCatalog catalog, StackFrame frame, CrashReport crash, string? exceptionClass = null)
    {
        var matching = catalog.MatchingRules(frame, crash, exceptionClass);
        var sentinels = matching.Where(r => r.Action == RuleAction.Sentinel).ToList();
        var ordered = matching.Where(r => r.Action != RuleAction.Sentinel).ToList();
        var candidates = new List<RuleCandidate>();
        for (int i = 0; i < ordered.Count; i++)
            candidates.Add(i == 0
                ? new RuleCandidate(ordered[i], true, null)
                : new RuleCandidate(ordered[i], false, $"loses to {ordered[0].Id}: {RuleCatalog.WhyBeats(ordered[0], ordered[i])}"));
        return new FrameExplanation(frame, candidates, sentinels);
    }

    public static string Explain(RuleCatalog catalog, IReadOnlyList<string> frames, string? exception, string? process)
    {
        var (crash, cls) = FrameText.Crash(frames, exception, process);
        var sb = new StringBuilder();
        foreach (var frame in crash.Frames)
        {
            sb.Append($"#{frame.Index:d2} {frame.Display}");
            var module = ModuleCandidate.For(frame.Module, crash);
            if (frame.Module is not null)
                sb.Append($"   (module names: {module.FileName ?? "-"} / {module.EngineName ?? "-"})");
            sb.AppendLine();
            if (frame.Module is null && frame.Function is null)
            {
                sb.AppendLine("    address only: no module or function, no rule can match");
                continue;
            }
            var e = ExplainFrame(catalog, frame, crash, cls);
            foreach (var s in e.Sentinels)
                sb.AppendLine($"    sentinel {s.Id} ({s.Location}): the walk starts at the topmost frame a sentinel matches " +
                    "below the reporting frames");
            if (e.Candidates.Count == 0) sb.AppendLine("    no rule matches");
            foreach (var c in e.Candidates)
            {
                var owner = c.Rule.OwnerId is null ? "" : $" -> {c.Rule.OwnerId}";
                sb.Append(c.Wins ? "  * " : "    ")
                  .Append($"{c.Rule.Id} [{c.Rule.ActionText}{owner}] match {c.Rule.Match}; specificity {c.Rule.Specificity}; {c.Rule.Location}");
                if (c.Rule.Overrides is { } o) sb.Append($" (overrides {o})");
                sb.AppendLine();
                if (c.LostBecause is not null) sb.AppendLine($"        {c.LostBecause}");
            }
        }
        sb.AppendLine();
        sb.AppendLine("Walk (frames as one stack, top first):");
        var walk = catalog.Walk(crash, cls);
        foreach (var line in walk.Trace) sb.Append("  ").AppendLine(line);
        return sb.ToString();
    }
}
