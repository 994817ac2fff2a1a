using System.Text;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Catalog.Tools;

public sealed record ExampleFailure(CatalogRule Rule, RuleExample Example, string Expected, string Got, string Problem,
    IReadOnlyList<string> Trace)
{
    /// <summary>`file:line:col: example of rule X: expected A, got B` then the frames and the walk's trace.</summary>
    public string Format()
    {
        var sb = new StringBuilder();
        sb.Append($"{Example.Location}: example of rule {Rule.Id}: {Problem}").AppendLine();
        sb.Append("    frames: ").AppendJoin(" | ", Example.Frames).AppendLine();
        if (Example.Exception is not null) sb.Append("    exception: ").Append(Example.Exception).AppendLine();
        if (Example.Process is not null) sb.Append("    process: ").Append(Example.Process).AppendLine();
        sb.AppendLine("    trace:");
        foreach (var line in Trace) sb.Append("      ").Append(line).AppendLine();
        return sb.ToString();
    }
}

public sealed record ExampleRunResult(int Run, IReadOnlyList<ExampleFailure> Failures)
{
    public bool Passed => Failures.Count == 0;
}

/// <summary>Runs every rule's examples (what `fcgi rules test` does): each example's frames are walked
/// with the whole catalog, and the owner must be the expected one. The example must also exercise its own
/// rule (the rule decides, or acts on, one of its frames), so an example cannot pass by accident — except a
/// negative example, which expects another owner than the rule's to show where the rule must not apply.</summary>
public static class ExampleRunner
{
    public static ExampleRunResult Run(RuleCatalog catalog)
    {
        int run = 0;
        var failures = new List<ExampleFailure>();
        foreach (var rule in catalog.Rules)
        {
            foreach (var example in rule.Examples)
            {
                run++;
                var (crash, cls) = FrameText.Crash(example.Frames, example.Exception, example.Process);
                var walk = catalog.Walk(crash, cls);
                string got = walk.Owner is null ? RuleCatalog.UnknownOwnerId : OwnerIdOf(catalog, walk.Owner);
                string gotText = walk.Owner is null ? "unknown" : $"{got} (rule {walk.RuleId}, {walk.Strength?.Name()})";
                if (!string.Equals(got, example.Expect, StringComparison.Ordinal))
                {
                    failures.Add(new(rule, example, example.Expect, got, $"expected {example.Expect}, got {gotText}", walk.Trace));
                    continue;
                }
                // A negative example (expecting another owner than the rule's) shows where the rule must not apply.
                bool negative = rule.OwnerId is not null && rule.OwnerId != example.Expect;
                // A tagged rule acts through its tag whenever it matches a frame, even where another rule wins the frame.
                bool exercised = walk.Decisions.Any(d => d.RuleId == rule.Id) || walk.RuleId == rule.Id
                    || (rule.Tags.Count > 0 && crash.Frames.Any(f => catalog.MatchingRules(f, crash, cls).Contains(rule)));
                if (!exercised && !negative)
                    failures.Add(new(rule, example, example.Expect, got,
                        $"got {gotText} as expected, but rule {rule.Id} acts on none of the example's frames (it lost on precedence or never matched)",
                        walk.Trace));
            }
        }
        return new ExampleRunResult(run, failures);
    }

    private static string OwnerIdOf(RuleCatalog catalog, Owner owner) =>
        catalog.Owners.Values.FirstOrDefault(o => ReferenceEquals(o.Owner, owner))?.Owner.Id ?? owner.Id;
}
