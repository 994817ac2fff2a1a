using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>Step 5: the bucket, CLASS_code_signature (see <see cref="BucketId"/>).</summary>
public static class BucketStep
{
    public static string Run(CrashReport crash, IOwnerCatalog catalog, CrashClass cls, WalkOutcome walk, OwnerDecision owner) =>
        BucketId.Build(cls.Name ?? BucketId.NoException, crash.Exception?.Code ?? ExitCodeAsException(crash, cls),
            Signature(crash, catalog, cls, walk, owner));

    /// <summary>An exit code that is an exception code (a log line's 0xc0000005) goes in the bucket like a record's.</summary>
    static uint? ExitCodeAsException(CrashReport crash, CrashClass cls) =>
        crash.Process.ExitCode is { } code && code >= 0x80000000 && code >> 16 != 0xFFFF && !cls.IsExit ? code : null;

    /// <summary>What goes after the class and code in the bucket.</summary>
    static List<string> Signature(CrashReport crash, IOwnerCatalog catalog, CrashClass cls, WalkOutcome walk, OwnerDecision owner)
    {
        var decisions = owner.Decisions;
        if (cls.IsExit)
        {
            // The exit's caller, not ntdll's NtTerminateProcess: the frame right below the deepest exit call
            // that the catalog did not skip.
            int deepestExit = -1;
            for (int i = 0; i < decisions.Count; i++)
                if (catalog.FrameHasTag(decisions[i].Frame, crash, RuleCatalog.ExitTag)) deepestExit = i;
            for (int i = deepestExit + 1; i < decisions.Count; i++)
                if (!decisions[i].Action.PassesOver())
                    return [BucketId.FrameSignature(decisions[i].Frame, crash)];
            return [];
        }
        if (owner.Deciding is { } moved && owner.Evidence is OwnerEvidence.RecursionCycle or OwnerEvidence.ScriptRecursion or OwnerEvidence.JitCode)
            return [BucketId.FrameSignature(moved.Frame, crash)];
        if (walk.Walk.SignatureFrames is { Count: > 0 } sig)
        {
            // Only prefix frames and the deciding frame, as the contract says: a sentinel or ignored frame in
            // the signature (the exception dispatcher) would split one bug into buckets with and without it.
            var prefixFrames = walk.Decisions.Where(x => x.Action == FrameAction.Prefix).Select(x => x.Frame).ToHashSet();
            var kept = sig.Where(f => prefixFrames.Contains(f) || (walk.Walk.Deciding is { } dd && dd.Frame == f))
                .Select(f => BucketId.FrameSignature(f, crash)).ToList();
            if (kept.Count > 0) return kept;
        }
        if (walk.Walk.Deciding is { } deciding)
            return [BucketId.FrameSignature(deciding.Frame, crash)];
        // Nothing decided: the first frame the catalog did not pass over keeps crashes in one place apart.
        var first = walk.Decisions.FirstOrDefault(x => !x.Action.PassesOver()) ?? walk.Decisions.FirstOrDefault();
        return first is null ? [] : [BucketId.FrameSignature(first.Frame, crash)];
    }
}
