using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>The walk's result as triage uses it: every frame has a decision, even when the walk failed.</summary>
public sealed record WalkOutcome(StackWalkResult Walk, IReadOnlyList<FrameDecision> Decisions, bool Failed, IReadOnlyList<string> Trace)
{
    /// <summary>Where the deciding frame sits in <see cref="Decisions"/> (-1 when nothing decided).</summary>
    public int DecidingPosition
    {
        get
        {
            if (Walk.Deciding is not { } d) return -1;
            for (int i = 0; i < Decisions.Count; i++)
                if (ReferenceEquals(Decisions[i], d) || Decisions[i].Frame == d.Frame) return i;
            return -1;
        }
    }
}

/// <summary>
/// Step 2: the catalog walk, given the crash's class so that `exception:` conditions see the fine classes
/// (NULL_POINTER_WRITE, FAIL_FAST_…) on every front end alike.
/// </summary>
public static class WalkStep
{
    public static WalkOutcome Run(CrashReport crash, IOwnerCatalog catalog, CrashClass cls)
    {
        var frames = crash.Frames;
        StackWalkResult walk;
        bool failed = false;
        var trace = new List<string>();
        try
        {
            walk = catalog.Walk(crash, cls.Name) ?? new StackWalkResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A site catalog's pattern may still throw (a regex match timeout): the stack must still be shown.
            walk = new StackWalkResult();
            failed = true;
            trace.Add($"catalog walk failed: {e.GetType().Name}: {e.Message}");
        }
        var decisions = walk.Decisions is { Count: > 0 } d ? d
            : frames.Select(f => new FrameDecision { Frame = f, Action = FrameAction.NoRule,
                Explanation = failed ? "not examined: the catalog walk failed" : "no rule examined this frame" }).ToList();
        if (walk.Trace is { Count: > 0 } t) trace.AddRange(t);
        else trace.AddRange(decisions.Select(x => $"#{x.Frame.Index:d2} {x.Frame.Display}: {x.Explanation}"));
        return new WalkOutcome(walk, decisions, failed, trace);
    }
}
