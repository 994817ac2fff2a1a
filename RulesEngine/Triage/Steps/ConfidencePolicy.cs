using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>Everything the confidence reasons look at.</summary>
public sealed record TriageFacts(CrashReport Crash, CrashClass Class, WalkOutcome Walk, OwnerDecision Owner)
{
    public IReadOnlyList<StackFrame> Frames => Crash.Frames;
    public bool IsExit => Class.IsExit;
    /// <summary>Position of the deciding frame in the owner's decisions (-1 when none).</summary>
    public int DecidingPosition
    {
        get
        {
            if (Owner.Deciding is not { } d) return -1;
            for (int i = 0; i < Owner.Decisions.Count; i++)
                if (ReferenceEquals(Owner.Decisions[i], d) || Owner.Decisions[i].Frame == d.Frame) return i;
            return Owner.Decisions.Count - 1;
        }
    }
    public string DecidingModuleName =>
        Owner.DecidingModule?.DisplayName ?? Owner.Deciding?.Frame.Module ?? "the deciding frame's module";
}

/// <summary>One named reason: when it applies (the sentence it adds, or null) and how far it caps confidence.</summary>
public sealed record ConfidenceReason(string Id, Confidence Cap, string Summary, Func<TriageFacts, string?> Sentence);

/// <summary>A reason that applied to one crash.</summary>
public sealed record AppliedReason(string Id, Confidence Cap, string Text);

/// <summary>
/// Step 4: confidence as a table of named reasons (Socorro-style: every decision in the trace). High unless a
/// reason applies; each reason caps it; two medium reasons together make it low. docs/triage.md lists this table
/// (a test checks it).
/// </summary>
public static class ConfidencePolicy
{
    static bool Decided(TriageFacts f) => !f.IsExit && f.Owner.Owner is not null && f.Owner.Deciding is not null;

    static bool Evidence(TriageFacts f, OwnerEvidence e) => !f.IsExit && f.Owner.Evidence == e;

    public static readonly IReadOnlyList<ConfidenceReason> Reasons =
    [
        new("no-frames", Confidence.Low, "the report has no stack frames",
            f => f.Frames.Count == 0 ? "no stack frames: nothing to read the owner from" : null),
        new("exit-frame-scanned", Confidence.Medium, "a voluntary exit whose exit call was found by scanning the stack",
            f => f.IsExit && f.Class.ExitFrame is { Trust: FrameTrust.Scan } e
                ? $"the exit call #{e.Index:d2} {e.Display} was found by scanning the stack" : null),
        new("no-exception-dump", Confidence.Low, "a dump without an exception record (and no exit on the stack)",
            f => f.Frames.Count > 0 && f.Class.Classification is null && f.Crash.Source.Kind == "dbgeng"
                ? "no exception recorded in the dump: the stack shows the thread when the dump was taken, maybe not a crash" : null),
        new("no-exception-text", Confidence.Low, "a text without an exception record",
            f => f.Frames.Count > 0 && f.Class.Classification is null && f.Crash.Source.Kind != "dbgeng"
                ? "the text holds no exception record (.exr -1 or .lastevent output gives it): the class is unknown" : null),
        new("no-exception-context", Confidence.Low, "the dump's exception record has no usable context",
            f => f.Crash.Exception is { ContextAvailable: false }
                ? "the dump's exception record has no usable context (the engine says \"Exception context not present\"): the stack is " +
                  "the thread that reported the crash, not the one that faulted" : null),
        new("reporter-stack", Confidence.Low, "the stack is the reporting thread's own, not the faulting one",
            f => f.Owner.ReporterStack ? OwnerStep.ReporterStackText(f.Owner.ReportingFrame) : null),
        new("unknown-exception-code", Confidence.Medium, "an exception code nothing knows",
            f => f.Class.Name?.StartsWith(ExceptionClassifier.UnknownException, StringComparison.Ordinal) == true
                ? $"the exception code 0x{f.Crash.Exception?.Code:x8} is not one FcgiExt knows: the owner's frame may be raising it on purpose" : null),
        new("walk-failed", Confidence.Low, "the catalog walk failed",
            f => f.Frames.Count > 0 && !f.IsExit && f.Walk.Failed ? "the catalog walk failed" : null),
        new("no-owner-rule", Confidence.Low, "no rule decided the owner (owner `unknown`)",
            f => f.Frames.Count > 0 && !f.IsExit && !f.Walk.Failed && f.Owner.Owner is null && f.Owner.Evidence == OwnerEvidence.Walk
                 && !f.Owner.ReporterStack ? "no rule decided the owner" : null),
        new("heap-damage", Confidence.Low, "a heap check found damage done earlier: owner unknown, suspects listed",
            f => Evidence(f, OwnerEvidence.HeapDamage)
                ? $"heap damage found by {f.Owner.EvidenceFrame?.Display ?? "the heap"}: the module that found it is rarely the one that " +
                  "did it; see the suspects, and catch the culprit with full page heap" : null),
        new("double-free", Confidence.Medium, "the heap found a block freed twice: the freeing caller, not proven the culprit",
            f => Evidence(f, OwnerEvidence.DoubleFree)
                ? $"the heap found a block freed twice; {f.Owner.Owner?.Name} freed it the second time, which module freed it first is not on this stack"
                : null),
        // The pointer came from a block the heap had already freed: the faulting frame used it, but the code that freed
        // it too early (or kept the stale pointer) is not on this stack.
        new("freed-memory-use", Confidence.Medium, "an access through freed memory: the code that freed it is not on this stack",
            f => Decided(f) && FreedFill(f.Crash.Exception) is { } p
                ? $"the faulting access went through freed memory (0x{p.Value:X8}, {p.Filler}): {f.Owner.Owner?.Name} used it, which " +
                  "code freed it too early is not on this stack" : null),
        new("os-fault", Confidence.Medium, "the fault is inside Windows or the C runtime; the owner is the first caller outside them",
            f => Evidence(f, OwnerEvidence.OsFault) && !f.Owner.UnknownCodeBetween
                ? $"the fault is inside {f.Owner.EvidenceFrame?.Display}: {f.Owner.Owner?.Name} is the first caller outside Windows and the C " +
                  $"runtime (bad arguments passed to {f.Owner.EvidenceFrame?.Function ?? "it"} are the likely cause)" : null),
        new("os-fault-unknown-code", Confidence.Low, "as os-fault, with an address-only frame (FFI trampoline, JIT code) between",
            f => Evidence(f, OwnerEvidence.OsFault) && f.Owner.UnknownCodeBetween
                ? $"the fault is inside {f.Owner.EvidenceFrame?.Display} and code outside every module lies between it and " +
                  $"{f.Owner.Owner?.Name}: the caller that passed the bad arguments is not known" : null),
        new("script-recursion", Confidence.Medium, "a stack overflow recursing through the engine alone: the script's recursion",
            f => Evidence(f, OwnerEvidence.ScriptRecursion)
                ? "the stack overflow recurses through the engine alone: the script recursing is the likely cause, the frames do not show which function"
                : null),
        new("jit-code", Confidence.Medium, "address-only frames run by the interpreter loop: JIT-generated code",
            f => Evidence(f, OwnerEvidence.JitCode)
                ? "the faulting frames are code outside every module run by the interpreter: JIT code, which has no symbols to check" : null),
        new("runtime-bug-file", Confidence.Medium, "no native frame at the fault; the runtime's [BUG] line names the file",
            f => Evidence(f, OwnerEvidence.RuntimeBugFile)
                ? "no native frame at the fault: the owner comes from the file the runtime's [BUG] line names, not from a stack frame" : null),
        new("script-frames", Confidence.Low, "no native frame at the fault; the runtime's control frames point to a gem",
            f => Evidence(f, OwnerEvidence.ScriptFrames)
                ? "no native frame at the fault: the owner comes from the runtime's control frames (a C function called from the gem's lib/)"
                : null),
        new("gem-message", Confidence.Low, "no native frame at the fault; a gem printed an error or warning before the crash",
            f => Evidence(f, OwnerEvidence.GemMessage)
                ? "no native frame at the fault: the owner comes from an error or warning line the gem printed before the crash, not from a frame"
                : null),
        new("no-faulting-frame", Confidence.Low, "the native stack holds only the runtime's crash handler and Windows frames",
            f => Evidence(f, OwnerEvidence.NoFaultingFrame)
                ? "the native stack holds no frame at the fault, only the runtime's crash handler and Windows frames: the owner is a guess" : null),
        new("maybe-owner", Confidence.Medium, "only a maybe-owner rule matched",
            f => Decided(f) && f.Owner.Strength == FrameAction.Maybe
                ? $"only a maybe-owner rule ({f.Owner.RuleId}) matched, no definite rule below it" : null),
        new("last-resort", Confidence.Low, "decided by a last-resort rule",
            f => Decided(f) && f.Owner.Strength == FrameAction.Last ? $"decided by a last-resort rule ({f.Owner.RuleId})" : null),
        new("catalog-default", Confidence.Low, "decided by the catalog's default owner",
            f => Decided(f) && f.Owner.Strength == FrameAction.Default ? "decided by the catalog's default owner: no rule knew the frames" : null),
        new("module-not-in-catalog", Confidence.Medium, "the deciding module is not in the catalog",
            f => Decided(f) && f.Owner.Owner!.Category == OwnerCategory.Unknown && f.Owner.Strength is not (FrameAction.Last or FrameAction.Default)
                ? $"{f.DecidingModuleName} is not in the catalog: who ships it is not known" : null),
        new("single-frame", Confidence.Medium, "only one frame is known",
            f => Decided(f) && f.Frames.Count == 1 ? "only one frame is known (the faulting module): its callers cannot be checked" : null),
        new("deciding-frame-no-module", Confidence.Low, "the deciding frame has no module",
            f => Decided(f) && f.Owner.Evidence != OwnerEvidence.JitCode && f.Owner.Deciding!.Frame.Module is null && f.Owner.DecidingModule is null
                ? $"the deciding frame #{f.Owner.Deciding.Frame.Index:d2} has no module" : null),
        new("export-symbols-only", Confidence.Medium, "the deciding module has export symbols only",
            f => Decided(f) && f.Owner.DecidingModule?.Symbols == SymbolStatus.ExportOnly
                ? $"{f.DecidingModuleName} has export symbols only: function names on its frames may be wrong" : null),
        new("no-symbols", Confidence.Medium, "no symbols for the deciding module",
            f => Decided(f) && f.Owner.DecidingModule?.Symbols == SymbolStatus.None
                ? $"no symbols for {f.DecidingModuleName}: its frames have no function names" : null),
        new("mismatched-symbols", Confidence.Medium, "the deciding module's symbols do not match the image",
            f => Decided(f) && f.Owner.DecidingModule?.Symbols == SymbolStatus.Mismatched
                ? $"the symbols of {f.DecidingModuleName} do not match the image: function names may be wrong" : null),
        new("no-function-name", Confidence.Medium, "the deciding frame has no function name",
            f => Decided(f) && f.Owner.Deciding!.Frame is { Function: null, Module: not null }
                 && f.Owner.DecidingModule?.Symbols is null or SymbolStatus.Unknown or SymbolStatus.Deferred or SymbolStatus.PrivatePdb or SymbolStatus.PublicPdb
                ? $"the deciding frame has no function name (no symbols for {f.DecidingModuleName} in the source)" : null),
        new("scanned-frame", Confidence.Medium, "a frame at or above the deciding frame was found by scanning the stack",
            f => Decided(f) && f.Owner.Decisions.Take(f.DecidingPosition + 1).Select(x => x.Frame).FirstOrDefault(x => x.Trust == FrameTrust.Scan) is { } s
                ? $"frame #{s.Index:d2} {s.Display} was found by scanning the stack: the frames from there on may be wrong" : null),
        new("moduleless-frame-above", Confidence.Medium, "a frame above the deciding one is in no module",
            f => Decided(f) && f.Owner.Evidence is not (OwnerEvidence.JitCode or OwnerEvidence.OsFault)
                 && f.Owner.Decisions.Take(Math.Max(f.DecidingPosition, 0)).Select(x => x.Frame).FirstOrDefault(x => x.Module is null && x.Function is null) is { } m
                ? $"frame #{m.Index:d2} {m.Display} above the deciding frame is in no module (JIT code, a bad function pointer or a misread stack)" : null),
        // An execute fault at the instruction pointer itself: the top frame is where a bad function pointer or return
        // address led (an unloaded DLL, freed code), not code that ran; the caller that jumped there is the suspect.
        new("execute-at-ip", Confidence.Low, "an execute fault at the instruction pointer: the top frame is a jump target",
            f => Decided(f) && ExecuteAtIp(f.Crash.Exception) && f.Frames.Count > 0 && f.Owner.Deciding!.Frame == f.Frames[0]
                ? $"the fault is an execute at the instruction pointer itself: #{f.Frames[0].Index:d2} {f.Frames[0].Display} is where " +
                  "a bad function pointer or return address led (an unloaded module, freed code), not code that ran; the caller " +
                  "that jumped there is the suspect" : null),
    ];

    static HeapFillPattern? FreedFill(ExceptionInfo? ex) =>
        ex is { Code: ExceptionCodes.AccessViolation, TargetAddress: { } t }
        && ExceptionClassifier.MatchHeapFill(t) is { Pattern.Freed: true } m ? m.Pattern : null;

    static bool ExecuteAtIp(ExceptionInfo? ex) =>
        ex is { Access: AccessKind.Execute, Address: { } a, TargetAddress: { } t } && a == t;

    public static IReadOnlyList<AppliedReason> Evaluate(TriageFacts facts)
    {
        var applied = new List<AppliedReason>();
        foreach (var r in Reasons)
            if (r.Sentence(facts) is { } text) applied.Add(new(r.Id, r.Cap, text));
        return applied;
    }

    /// <summary>The lowest cap wins; two medium reasons together make it low.</summary>
    public static Confidence Combine(IReadOnlyList<AppliedReason> reasons)
    {
        if (reasons.Count == 0) return Confidence.High;
        var lowest = reasons.Min(r => r.Cap);
        if (lowest == Confidence.Medium && reasons.Count(r => r.Cap == Confidence.Medium) >= 2) return Confidence.Low;
        return lowest;
    }
}
