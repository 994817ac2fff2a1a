using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Catalog;

/// <summary>An owner as the catalog describes it.</summary>
public sealed record Owner
{
    public required string Id { get; init; }            // "xdebug"
    public required string Name { get; init; }          // "Xdebug"
    public required string Category { get; init; }      // one of OwnerCategory
    public string? ReportUrl { get; init; }
    /// <summary>Where its symbols come from (text; may hold placeholders the catalog expands per module).</summary>
    public string? Symbols { get; init; }
    /// <summary>"microsoft" when Microsoft's public symbol server has every build's PDB: reports then give these modules
    /// one symbol step together (.symfix), not one per DLL.</summary>
    public string? SymbolServer { get; init; }
    public string? Advice { get; init; }

    public const string MicrosoftSymbolServer = "microsoft";
}

/// <summary>What walking the faulting stack with the catalog produced.</summary>
public sealed record StackWalkResult
{
    public IReadOnlyList<FrameDecision> Decisions { get; init; } = [];
    /// <summary>The frame whose rule decided the owner (null when nothing decided).</summary>
    public FrameDecision? Deciding { get; init; }
    public Owner? Owner { get; init; }
    public string? RuleId { get; init; }
    /// <summary>Owner, Maybe, Last or Default: how strong the deciding match was (null when nothing decided).</summary>
    public FrameAction? Strength { get; init; }
    /// <summary>Frames kept by "prefix" rules plus the deciding frame: the signature part of the bucket.</summary>
    public IReadOnlyList<StackFrame> SignatureFrames { get; init; } = [];
    public IReadOnlyList<string> Trace { get; init; } = [];
    /// <summary>The lowest frame a rule tagged `reporting` or `exception-dispatcher` matched: it and every frame above
    /// it only report the crash (null when the stack has none).</summary>
    public FrameDecision? ReportingFrame { get; init; }
    /// <summary>The stack has reporting frames, no exception dispatcher and nothing below them but a thread's start:
    /// it is the thread that reported the crash, not the one that faulted. Nothing on it decides the owner.</summary>
    public bool ReporterStack { get; init; }
}

/// <summary>What triage needs from a rules catalog (RuleCatalog implements it; tests may fake it).</summary>
public interface IOwnerCatalog
{
    /// <summary>Walks the faulting stack top-down with the rules (ignore / sentinel / prefix / owner / maybe / last / default).
    /// <paramref name="exceptionClass"/> is triage's class of the crash (NULL_POINTER_WRITE, EXIT…): rules'
    /// `exception:` conditions match it as well as the coarse classes of the code.</summary>
    StackWalkResult Walk(CrashReport crash, string? exceptionClass);

    /// <summary>True when a rule carrying <paramref name="tag"/> matches the frame (`exit`, `abort`, …).</summary>
    bool FrameHasTag(StackFrame frame, CrashReport crash, string tag);

    /// <summary>An owner by its catalog id ("php-script"), or null when the catalog has none by that id.</summary>
    Owner? FindOwner(string id);

    /// <summary>The owner a module belongs to regardless of function (used for symbol advice), or null.</summary>
    Owner? OwnerOfModule(ModuleInfo module, CrashReport crash);

    /// <summary>Where to get the right symbols for a module, e.g. the exact PHP debug pack file name
    /// for that php8ts.dll version, thread safety and architecture; null when the catalog knows nothing.</summary>
    string? WhereToGetSymbols(ModuleInfo module, CrashReport crash);
}
