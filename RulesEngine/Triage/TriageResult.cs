using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

// The result of triage: what every renderer (text, DML, JSON, Markdown, HTML) prints.
// Its JSON form is the contract shared by `!fcgi -json` and `fcgi triage` (docs/verdict.schema.json).

public enum Confidence { Low, Medium, High }

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

/// <summary>Exception class names used in buckets and JSON ("NULL_POINTER_WRITE", "STACK_OVERFLOW", "EXIT", …).</summary>
public sealed record ExceptionClassification
{
    public required string Class { get; init; }          // e.g. NULL_POINTER_WRITE
    public required string Name { get; init; }           // e.g. "Access violation (write to NULL)"
    public string? Detail { get; init; }                 // e.g. fail-fast subcode text
}

public sealed record Verdict
{
    /// <summary>Owner name ("Xdebug", "PHP core", …), "unknown" when no frame decides, "none" for a voluntary exit.</summary>
    public required string Owner { get; init; }
    public string? OwnerModule { get; init; }
    public string? OwnerFrame { get; init; }             // module!function as shown
    public required string Category { get; init; }
    public Confidence Confidence { get; init; }
    public IReadOnlyList<string> ConfidenceReasons { get; init; } = [];
    public required string Bucket { get; init; }
    public string? Rule { get; init; }                   // id of the deciding rule
    public string? ReportUrl { get; init; }
    public string? SymbolsHint { get; init; }            // where this owner's symbols come from
    public string? Advice { get; init; }
}

/// <summary>What the walk did with one frame, for the per-frame explanation and the tagged stack.</summary>
public sealed record FrameDecision
{
    public required StackFrame Frame { get; init; }
    /// <summary>"ignore", "sentinel", "prefix", "owner", "maybe", "last", "default", "skipped-before-sentinel", "not-reached", "no-rule".</summary>
    public required string Action { get; init; }
    public string? RuleId { get; init; }
    public string? Owner { get; init; }
    public required string Explanation { get; init; }
}

public sealed record NextStep
{
    /// <summary>What the step is about ("symbols", "page-heap", "exit-config", "report", "dump", "verbose", "class"):
    /// lets a batch report or the extension pick or group steps without parsing text.</summary>
    public string Kind { get; init; } = "class";
    public required string Text { get; init; }
    /// <summary>A debugger or shell command the user can run, when the step is one (a DML link in the extension).</summary>
    public string? Command { get; init; }
    public string? Url { get; init; }
}

public sealed record SymbolProblems
{
    public IReadOnlyList<ModuleSymbolAdvice> Missing { get; init; } = [];
    public IReadOnlyList<ModuleSymbolAdvice> ExportOnly { get; init; } = [];
    public IReadOnlyList<ModuleSymbolAdvice> Mismatched { get; init; } = [];
}

public sealed record ModuleSymbolAdvice
{
    public required string Module { get; init; }         // image file name when known
    public bool OnFaultingStack { get; init; }
    public string? WhereToGet { get; init; }             // e.g. "php-debug-pack-8.3.14-Win32-vs16-x64.zip from https://windows.php.net/downloads/releases/"
}

public sealed record TriageResult
{
    public const int SchemaVersion = 1;
    public required CrashReport Crash { get; init; }
    public ExceptionClassification? Exception { get; init; }   // null only when the crash has no exception and no exit frame
    public required Verdict Verdict { get; init; }
    public IReadOnlyList<FrameDecision> Frames { get; init; } = [];
    public SymbolProblems Symbols { get; init; } = new();
    public IReadOnlyList<NextStep> NextSteps { get; init; } = [];
    /// <summary>The trace a maintainer reads: one line per decision.</summary>
    public IReadOnlyList<string> Explanation { get; init; } = [];
}
