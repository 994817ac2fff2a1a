namespace FcgiExt.RulesEngine.Model;

/// <summary>What the catalog walk did with one frame. JSON and reports use <see cref="FrameActions.Name"/>.</summary>
public enum FrameAction
{
    /// <summary>No rule matched (or the frame is address-only).</summary>
    NoRule,
    Ignore,
    /// <summary>The walk starts here (Socorro's sentinel).</summary>
    Sentinel,
    /// <summary>Kept in the bucket's signature; the walk goes on down.</summary>
    Prefix,
    Owner,
    Maybe,
    Last,
    Default,
    /// <summary>Above the sentinel frame: not considered.</summary>
    SkippedBeforeSentinel,
    /// <summary>Below the deciding frame: not considered.</summary>
    NotReached,
    /// <summary>A rule named an owner here, but the crash class (heap damage) makes it a suspect, not the owner.</summary>
    Suspect,
    /// <summary>Reports the crash (a frame of a rule tagged `reporting` or `exception-dispatcher`, or above one): never
    /// the owner.</summary>
    Reporting,
}

public static class FrameActions
{
    /// <summary>The action's name in JSON, reports and traces: "no-rule", "skipped-before-sentinel", …</summary>
    public static string Name(this FrameAction action) => action switch
    {
        FrameAction.NoRule => "no-rule",
        FrameAction.Ignore => "ignore",
        FrameAction.Sentinel => "sentinel",
        FrameAction.Prefix => "prefix",
        FrameAction.Owner => "owner",
        FrameAction.Maybe => "maybe",
        FrameAction.Last => "last",
        FrameAction.Default => "default",
        FrameAction.SkippedBeforeSentinel => "skipped-before-sentinel",
        FrameAction.NotReached => "not-reached",
        FrameAction.Suspect => "suspect",
        FrameAction.Reporting => "reporting",
        _ => action.ToString().ToLowerInvariant(),
    };

    /// <summary>Actions that name an owner (the deciding frame has one of them).</summary>
    public static bool NamesOwner(this FrameAction action) =>
        action is FrameAction.Owner or FrameAction.Maybe or FrameAction.Last or FrameAction.Default;

    /// <summary>Actions after which a frame does not count as the crash's own frame (for fallback buckets).</summary>
    public static bool PassesOver(this FrameAction action) =>
        action is FrameAction.Ignore or FrameAction.SkippedBeforeSentinel or FrameAction.NotReached or FrameAction.Reporting;
}

/// <summary>What the walk did with one frame, for the per-frame explanation and the tagged stack.</summary>
public sealed record FrameDecision
{
    public required StackFrame Frame { get; init; }
    public required FrameAction Action { get; init; }
    public string? RuleId { get; init; }
    public string? Owner { get; init; }
    public required string Explanation { get; init; }
    /// <summary>Why the rule passes over the frame, in the catalog's words (its description): "skipped because …".</summary>
    public string? Reason { get; init; }
}

/// <summary>Owner categories (fixed list: renderers and reports group by them).</summary>
public static class OwnerCategory
{
    public const string PhpCore = "php-core", PhpExtension = "php-extension", RubyCore = "ruby-core",
        RubyGem = "ruby-gem", DatabaseDriver = "database-driver", Iis = "iis", Windows = "windows",
        Crt = "crt", InjectedThirdParty = "injected-third-party", Application = "application",
        Unknown = "unknown", None = "none";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    { PhpCore, PhpExtension, RubyCore, RubyGem, DatabaseDriver, Iis, Windows, Crt, InjectedThirdParty, Application, Unknown };
}
