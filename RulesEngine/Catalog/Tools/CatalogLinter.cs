namespace FcgiExt.RulesEngine.Catalog.Tools;

/// <summary>
/// What `fcgi rules lint` reports: every load diagnostic (bad YAML, unknown key, bad regex or glob, bad
/// category, duplicate id, unknown owner reference) plus the checks that need the whole layered catalog:
/// shadowed rules (another rule matches every frame this one matches and wins on precedence, so this one
/// never applies), unreachable rules (their match can never be met), and unused owners (a warning).
/// </summary>
public static class CatalogLinter
{
    public static IReadOnlyList<CatalogDiagnostic> Lint(RuleCatalog catalog)
    {
        var result = new List<CatalogDiagnostic>(catalog.Diagnostics);
        var rules = catalog.Rules;
        foreach (var rule in rules)
        {
            if (Unreachable(rule) is { } why)
                result.Add(At(rule.Location, $"rule '{rule.Id}' is unreachable: {why}"));
            // Loading checks a regex's syntax and the constructs the linear engine refuses; lint builds each one too, so
            // what that check did not foresee is an error here rather than a rule that silently never matches.
            var match = rule.Match;
            foreach (var pattern in new[] { match.Module?.Pattern, match.Function, match.Process?.Pattern, match.Exception?.Class })
                if (pattern?.BuildError() is { } error)
                    result.Add(At(rule.Location, $"rule '{rule.Id}': bad regex '{pattern.Text}': {error}"));
        }
        // Only a rule whose module pattern is not one exact name can cover rules of other module names: index the exact
        // ones by name, so 57,000 rules are linted in seconds instead of comparing every pair.
        var byIndex = rules.ToList();
        var wide = new List<int>();
        var exact = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < byIndex.Count; i++)
        {
            if (ExactModuleKey(byIndex[i]) is { } key)
            {
                if (!exact.TryGetValue(key, out var list)) exact[key] = list = [];
                list.Add(i);
            }
            else wide.Add(i);
        }
        foreach (var a in byIndex)
        {
            var candidates = ExactModuleKey(a) is { } ak && exact.TryGetValue(ak, out var same)
                ? same.Concat(wide).Order().Select(i => byIndex[i]) : wide.Select(i => byIndex[i]);
            foreach (var b in candidates)
            {
                if (ReferenceEquals(a, b)) continue;
                if ((a.Action == RuleAction.Sentinel) != (b.Action == RuleAction.Sentinel)) continue;
                if (!Covers(b.Match, a.Match) || RuleCatalog.ComparePrecedence(b, a) >= 0) continue;
                // b matches everything a does and wins: a never applies. A site catalog shadowing a
                // built-in rule on purpose is legitimate, so across layers it is only a warning.
                bool acrossLayers = b.Layer > a.Layer;
                result.Add(At(a.Location,
                    $"rule '{a.Id}' is shadowed by rule '{b.Id}' ({b.Location}): it matches every frame '{a.Id}' matches and wins because {RuleCatalog.WhyBeats(b, a)}",
                    acrossLayers ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error));
                break;
            }
        }
        var used = new HashSet<string>(rules.Where(r => r.OwnerId is not null).Select(r => r.OwnerId!), StringComparer.Ordinal);
        foreach (var o in catalog.Owners.Values.Where(o => !used.Contains(o.Owner.Id)))
            result.Add(At(o.Location, $"owner '{o.Owner.Id}' is not used by any rule", DiagnosticSeverity.Warning));
        return result;
    }

    /// <summary>The engine-form name of a module pattern that names exactly one module; null for globs, regexes, none.</summary>
    static string? ExactModuleKey(CatalogRule rule) =>
        rule.Match.Module is { NeedsFileName: false, EngineForm.Kind: PatternKind.Exact, Pattern.MatchesEverything: false } m
            ? m.EngineForm.Text.ToLowerInvariant() : null;

    public static bool HasErrors(IEnumerable<CatalogDiagnostic> diagnostics) =>
        diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>Does <paramref name="outer"/> match every frame <paramref name="inner"/> matches?
    /// Conservative: answers false when it cannot tell (regexes against patterns).</summary>
    public static bool Covers(RuleMatch outer, RuleMatch inner)
    {
        if (outer.Module is { } om && !om.Pattern.MatchesEverything)
            if (inner.Module is not { } im || !om.Contains(im)) return false;
        if (outer.Function is { } of && !of.MatchesEverything)
            if (inner.Function is not { } inf || !of.Contains(inf)) return false;
        if (outer.Exception is { } oe)
        {
            if (inner.Exception is not { } ie) return false;
            bool same = oe.Code is { } oc ? ie.Code == oc
                : ie.Class is not null && oe.Class!.Contains(ie.Class);
            if (!same) return false;
        }
        if (outer.Process is { } op)
            if (inner.Process is not { } ip || !op.Contains(ip)) return false;
        return true;
    }

    /// <summary>A match that no crash can meet.</summary>
    private static string? Unreachable(CatalogRule rule)
    {
        if (rule.Match.Process is { } p && p.HasExtension && !p.Pattern.Text.EndsWith(".exe", StringComparison.OrdinalIgnoreCase))
            return $"process '{p}' is not an .exe: processes are named after their executable (php-cgi.exe, ruby.exe, w3wp.exe)";
        if (rule.Match.Exception is { Code: 0 })
            return "exception code 0x00000000 is never raised; a crash without exception has the class NONE";
        return null;
    }

    private static CatalogDiagnostic At(SourceLocation l, string message, DiagnosticSeverity severity = DiagnosticSeverity.Error) =>
        new(l.File, l.Line, l.Column, message, severity);
}
