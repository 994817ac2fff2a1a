using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

// The result of triage: what every renderer (text, DML, JSON, Markdown, HTML) prints.
// Its JSON form is the contract shared by `!fcgi -json` and `fcgi triage` (docs/verdict.schema.json).

public enum Confidence { Low, Medium, High }

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
    /// <summary>Who may have done it when the stack cannot say (heap corruption: the detector is rarely the culprit).</summary>
    public IReadOnlyList<Suspect> Suspects { get; init; } = [];
}

/// <summary>A module that may own the crash, and why: listed when the verdict's owner is unknown or uncertain.</summary>
public sealed record Suspect
{
    public required string Owner { get; init; }
    public string? Module { get; init; }
    public string? Frame { get; init; }
    public required string Why { get; init; }
}

public sealed record NextStep
{
    /// <summary>What the step is about ("symbols", "page-heap", "exit-config", "report", "dump", "verbose", "class"):
    /// lets a batch report or the extension pick or group steps without parsing text.</summary>
    public string Kind { get; init; } = "class";
    public required string Text { get; init; }
    /// <summary>A debugger or shell command the user can run, when the step is one (a DML link in the extension).</summary>
    public string? Command { get; init; }
    /// <summary>Where <see cref="Command"/> runs: <see cref="InDebugger"/>, <see cref="AtPrompt"/> or <see cref="InFcgi"/>.</summary>
    public string? Runs { get; init; }
    public string? Url { get; init; }
    /// <summary>The same step for a reader outside the debugger (the batch and --stack-text reports), when it differs:
    /// `fcgi triage -v dump` for `!fcgi -v`. Without it, such reports show a debugger command as "in WinDbg: …".</summary>
    public NextStep? Outside { get; init; }

    public const string InDebugger = "debugger", AtPrompt = "prompt", InFcgi = "fcgi";
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
    public string? WhereToGet { get; init; }
    // e.g. "php-debug-pack-8.3.14-Win32-vs16-x64.zip from https://windows.php.net/downloads/releases/"
    /// <summary>The owner's <see cref="Catalog.Owner.SymbolServer"/> ("microsoft"), null when the catalog names none.</summary>
    public string? SymbolServer { get; init; }
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
