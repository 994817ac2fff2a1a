using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;
using NUnit.Framework;

namespace FcgiExt.Tests.Catalog;

/// <summary>
/// The built-in catalog's knowledge stays honest: every owner says where to report, every rule shows an example,
/// no two owners claim one module name, and lint finds nothing (no shadowed or unreachable rule).
/// </summary>
public class CatalogHonestyTests
{
    static readonly Lazy<RuleCatalog> BuiltIn = new(RuleCatalog.LoadBuiltIn);

    /// <summary>Owners that may go without a report_url, each with the reason.</summary>
    static readonly Dictionary<string, string> NoReportUrl = new(StringComparer.Ordinal)
    {
        // fallback.yaml's catch-all: the module is by definition unknown, so there is no project to report to;
        // its advice tells the user how to find the vendor (lmvm) and add an owner in a site catalog.
        ["unknown-module"] = "catch-all for modules no rule names",
    };

    /// <summary>
    /// Owners whose rules are deliberate catch-alls for a family of names (`*`, `*.so`, `php_*.dll`): a more specific
    /// owner inside the family wins on precedence, so overlapping with them is the design, not a collision.
    /// </summary>
    static readonly Dictionary<string, string> CatchAllOwners = new(StringComparer.Ordinal)
    {
        ["unknown-module"] = "fallback.yaml: any module ('*')",
        ["ruby-gem-other"] = "ruby.yaml: any other gem native extension ('*.so')",
        ["php-extension-other"] = "php-extensions.yaml: any other PHP extension ('php_*.dll')",
    };

    [Test]
    public void Every_owner_has_a_report_url_except_the_justified_ones()
    {
        var missing = BuiltIn.Value.Owners.Values
            .Where(o => string.IsNullOrWhiteSpace(o.Owner.ReportUrl) && !NoReportUrl.ContainsKey(o.Owner.Id))
            .Select(o => $"{o.Owner.Id} ({o.Location})").ToList();
        Assert.That(missing, Is.Empty, "owners without report_url");
    }

    [Test]
    public void The_report_url_exceptions_are_real_catch_all_owners()
    {
        foreach (var id in NoReportUrl.Keys)
        {
            Assert.That(BuiltIn.Value.Owners.TryGetValue(id, out var o), Is.True, $"exception '{id}' names no owner: drop it");
            Assert.That(o!.Owner.Category, Is.EqualTo("unknown"), $"'{id}' is not a catch-all (category unknown)");
        }
    }

    [Test]
    public void Every_rule_has_an_example()
    {
        var missing = BuiltIn.Value.Rules.Where(r => r.Examples.Count == 0).Select(r => $"{r.Id} ({r.Location})").ToList();
        Assert.That(missing, Is.Empty, "rules without examples");
    }

    [Test]
    public void Lint_gives_no_error_on_the_built_in_catalog()
    {
        var diagnostics = CatalogLinter.Lint(BuiltIn.Value);
        var errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.That(errors, Is.Empty, "lint errors (shadowed or unreachable rules, bad keys…)");
        Assert.That(diagnostics.Where(d => d.Message.Contains("unreachable")), Is.Empty);
    }

    /// <summary>Rules that claim a whole module: a module pattern, no function, no exception or process condition, and an owner.</summary>
    static IEnumerable<CatalogRule> ModuleClaims(RuleCatalog catalog) => catalog.Rules.Where(r =>
        r.Action is RuleAction.Owner or RuleAction.Maybe or RuleAction.Last && r.OwnerId is not null &&
        r.Match.Module is { } m && !m.Pattern.MatchesEverything && r.Match.Function is null && r.Match.ConditionCount == 0);

    [Test]
    public void No_example_module_is_claimed_by_two_owners()
    {
        var catalog = BuiltIn.Value;
        var claims = ModuleClaims(catalog).Where(r => !CatchAllOwners.ContainsKey(r.OwnerId!)).ToHashSet();
        var collisions = new SortedSet<string>(StringComparer.Ordinal);
        var modules = catalog.Rules.SelectMany(r => r.Examples).SelectMany(e => e.Frames)
            .Select(f => FrameText.Parse(f, 0)).Where(f => f.Module is not null)
            .Select(f => f.Module!).Distinct(StringComparer.OrdinalIgnoreCase);
        int checkedModules = 0;
        foreach (var module in modules)
        {
            var (crash, _) = FrameText.Crash([module + "!f"], null, null);
            var owners = catalog.MatchingRules(crash.FaultingThread!.Frames[0], crash)
                .Where(claims.Contains).GroupBy(r => r.OwnerId!).ToList();
            checkedModules++;
            if (owners.Count > 1)
                collisions.Add($"{module}: " + string.Join(", ", owners.Select(g => $"{g.Key} (rule {string.Join("/", g.Select(r => r.Id))})")));
        }
        Assert.That(checkedModules, Is.GreaterThan(100));
        Assert.That(collisions, Is.Empty, "module names two owners claim");
    }

    [Test]
    public void No_two_owners_module_patterns_contain_each_other()
    {
        var claims = ModuleClaims(BuiltIn.Value).Where(r => !CatchAllOwners.ContainsKey(r.OwnerId!)).ToList();
        var collisions = new List<string>();
        for (int i = 0; i < claims.Count; i++)
            for (int j = i + 1; j < claims.Count; j++)
            {
                var (a, b) = (claims[i], claims[j]);
                if (a.OwnerId == b.OwnerId) continue;
                if (a.Match.Module!.Contains(b.Match.Module!) || b.Match.Module!.Contains(a.Match.Module!))
                    collisions.Add($"{a.Id} ({a.OwnerId}, '{a.Match.Module}') and {b.Id} ({b.OwnerId}, '{b.Match.Module}')");
            }
        Assert.That(collisions, Is.Empty, "module patterns of different owners that overlap");
    }

    [Test]
    public void The_catch_all_owners_exist()
    {
        foreach (var id in CatchAllOwners.Keys)
            Assert.That(BuiltIn.Value.Owners.ContainsKey(id), Is.True, $"catch-all '{id}' names no owner: drop it");
    }

    [Test]
    public void The_collision_check_sees_a_collision()
    {
        var catalog = CatalogTestKit.Layers("""
            owners:
              - { id: one, name: One, category: ruby-gem, report_url: https://example.org/one }
              - { id: two, name: Two, category: php-extension, report_url: https://example.org/two }
            rules:
              - { id: r1, match: { module: 'json*.so' }, action: owner, owner: one, examples: [ { frames: [ "json.so!f" ], expect: one } ] }
              - { id: r2, match: { module: json.so }, action: last, owner: two, examples: [ { frames: [ "json.so!f" ], expect: two } ] }
            """);
        var (crash, _) = FrameText.Crash(["json.so!f"], null, null);
        var claims = ModuleClaims(catalog).ToHashSet();
        var owners = catalog.MatchingRules(crash.FaultingThread!.Frames[0], crash).Where(claims.Contains).Select(r => r.OwnerId).Distinct();
        Assert.That(owners, Is.EquivalentTo(new[] { "one", "two" }));
    }

    [Test]
    public void The_catalog_has_at_least_100_owners_on_this_side()
    {
        // ≥ 150 once the PHP side's owners are merged; the Ruby, database, injected, IIS and Windows files hold ≥ 100.
        Assert.That(BuiltIn.Value.Owners.Count, Is.GreaterThanOrEqualTo(100));
    }
}
