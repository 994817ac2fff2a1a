using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Catalog;

/// <summary>What a rule does with a frame it matches (see Catalog/README.md for the walk).</summary>
public enum RuleAction
{
    /// <summary>Definite owner: the walk stops here.</summary>
    Owner,
    /// <summary>Possible owner (triage.ini `maybe_`): remembered; a definite match lower on the stack wins.</summary>
    Maybe,
    /// <summary>Last-resort owner (triage.ini `last_`): a maybe or definite match lower on the stack wins.</summary>
    Last,
    /// <summary>Skip the frame and go on down (Socorro's irrelevant list, triage.ini `ignore`).</summary>
    Ignore,
    /// <summary>The walk starts at the topmost frame a sentinel matches below any reporting frames (Socorro's sentinels).</summary>
    Sentinel,
    /// <summary>Part of the signature; keep going (Socorro's prefix list).</summary>
    Prefix,
    /// <summary>Catalog-wide fallback (triage.ini `default`): used only when nothing else matched.</summary>
    Default,
}

public sealed record SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>An exception condition: a code (`0xc0000374`) or a class name glob (`HEAP_CORRUPTION`, `NULL_POINTER_*`).</summary>
public sealed record ExceptionCondition(string Text, uint? Code, NamePattern? Class);

public sealed class RuleMatch
{
    public ModulePattern? Module { get; init; }
    public NamePattern? Function { get; init; }
    public ExceptionCondition? Exception { get; init; }
    public ModulePattern? Process { get; init; }

    public int ConditionCount => (Exception is null ? 0 : 1) + (Process is null ? 0 : 1);

    public override string ToString()
    {
        var parts = new List<string> { $"{Module?.ToString() ?? "*"}!{Function?.ToString() ?? "*"}" };
        if (Exception is not null) parts.Add($"exception {Exception.Text}");
        if (Process is not null) parts.Add($"process {Process}");
        return string.Join(", ", parts);
    }
}

/// <summary>
/// How specific a rule is; compared field by field, the first difference decides:
/// 1. more conditions (exception, process) beat fewer;
/// 2. the module's kind: an exact name beats a pattern (glob or regex), which beats no module (or `*`);
/// 3. the function's kind, the same way;
/// 4. the module pattern with more literal characters wins ("longer glob beats shorter");
/// 5. then the function pattern with more literal characters.
/// The module comes before the function as in triage.ini ("a module name match is always preferred to a
/// function name match"); kinds come before lengths so that a long alternation regex over module names
/// does not outrank a rule that also names the function.
/// </summary>
public readonly record struct RuleSpecificity(int Conditions, int ModuleKind, int ModuleLiterals, int FunctionKind, int FunctionLiterals)
    : IComparable<RuleSpecificity>
{
    public static RuleSpecificity Of(RuleMatch m) => new(
        m.ConditionCount,
        KindRank(m.Module?.Pattern), m.Module is { } mp && !mp.Pattern.MatchesEverything ? mp.EngineForm.LiteralLength : 0,
        KindRank(m.Function), m.Function is { } f && !f.MatchesEverything ? f.LiteralLength : 0);

    private static int KindRank(NamePattern? p) => p is null || p.MatchesEverything ? 0 : p.Kind == PatternKind.Exact ? 2 : 1;

    public int CompareTo(RuleSpecificity o)
    {
        int c = Conditions.CompareTo(o.Conditions);
        if (c == 0) c = ModuleKind.CompareTo(o.ModuleKind);
        if (c == 0) c = FunctionKind.CompareTo(o.FunctionKind);
        if (c == 0) c = ModuleLiterals.CompareTo(o.ModuleLiterals);
        if (c == 0) c = FunctionLiterals.CompareTo(o.FunctionLiterals);
        return c;
    }

    private static string KindName(int k) => k switch { 2 => "exact", 1 => "pattern", _ => "any" };

    public override string ToString() =>
        $"conditions {Conditions}, module {KindName(ModuleKind)}" + (ModuleKind == 1 ? $" ({ModuleLiterals} literal chars)" : "") +
        $", function {KindName(FunctionKind)}" + (FunctionKind == 1 ? $" ({FunctionLiterals} literal chars)" : "");
}

public sealed record RuleExample
{
    public required IReadOnlyList<string> Frames { get; init; }
    public string? Exception { get; init; }
    public string? Process { get; init; }
    /// <summary>An owner id, or "unknown" when no frame should decide.</summary>
    public required string Expect { get; init; }
    public required SourceLocation Location { get; init; }
}

public sealed class CatalogRule
{
    public required string Id { get; init; }
    public string? Description { get; init; }
    public required RuleMatch Match { get; init; }
    public required RuleAction Action { get; init; }
    public string? OwnerId { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public IReadOnlyList<RuleExample> Examples { get; init; } = [];
    public required SourceLocation Location { get; init; }
    public SourceLocation? OwnerLocation { get; init; }
    /// <summary>0 for the built-in catalog, 1.. for each user path in the order given.</summary>
    public int Layer { get; internal set; }
    /// <summary>Position among all rules as loaded (ties between equally specific rules go to the earlier).</summary>
    public int Order { get; internal set; }
    /// <summary>Where the rule of the same id that this one replaced was defined, when it overrides one.</summary>
    public SourceLocation? Overrides { get; internal set; }

    private RuleSpecificity? _specificity;
    public RuleSpecificity Specificity => _specificity ??= RuleSpecificity.Of(Match);

    public static string ActionName(RuleAction a) => a.ToString().ToLowerInvariant();
    public string ActionText => ActionName(Action);

    public bool Has(string tag) => Tags.Contains(tag, StringComparer.OrdinalIgnoreCase);
}

public sealed class CatalogOwnerEntry
{
    public required Owner Owner { get; init; }
    public required SourceLocation Location { get; init; }
    public int Layer { get; internal set; }
    public SourceLocation? Overrides { get; internal set; }
}

/// <summary>One parsed catalog file.</summary>
public sealed class CatalogFile
{
    public required string Path { get; init; }
    public List<CatalogOwnerEntry> Owners { get; } = [];
    public List<CatalogRule> Rules { get; } = [];
}
