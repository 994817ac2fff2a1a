using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>What the classify step found: the exception class, and for a crash without an exception the frame
/// that shows the process ending itself.</summary>
public sealed record CrashClass(ExceptionClassification? Classification, StackFrame? ExitFrame)
{
    public bool IsExit => Classification?.Class == ExceptionClassifier.Exit;
    public string? Name => Classification?.Class;
}

/// <summary>
/// Step 1: the crash's class. An exception record is classed by <see cref="ExceptionClassifier"/>; without one,
/// the catalog alone says whether the stack shows a voluntary exit (rules tagged `exit`) or an abort (`abort`):
/// one source for exit detection, which a site catalog extends.
/// </summary>
public static class ClassifyStep
{
    public static CrashClass Run(CrashReport crash, IOwnerCatalog catalog)
    {
        if (crash.Exception is { } ex)
            return new(FaultingAccess.IsGeneralProtectionFault(ex, crash.Process.Architecture)
                ? GeneralProtectionFault(ex, crash.Process.Architecture)
                : ExceptionClassifier.Classify(ex, crash.Process.Architecture), null);
        if (crash.Process.ExitCode is { } exitCode)
        {
            // Only the exit code is known (a server's log line): decoded exactly as `fcgi explain` decodes it.
            var e = ExitCodeExplainer.Explain(exitCode, ExceptionCodes.Hex(exitCode), "hexadecimal", Triager.ProcessName(crash));
            return new(new() { Class = e.Class, Name = e.Name, Detail = e.Detail }, null);
        }
        var frames = crash.Frames;
        var exitFrame = frames.FirstOrDefault(f => catalog.FrameHasTag(f, crash, RuleCatalog.ExitTag));
        if (exitFrame is null) return new(null, null);
        var abortFrame = frames.FirstOrDefault(f => catalog.FrameHasTag(f, crash, RuleCatalog.AbortTag));
        if (abortFrame is not null)
            return new(new() { Class = ExceptionClassifier.Abort, Name = "abort() called",
                Detail = $"{abortFrame.Display} on the stack: the program aborted itself after a fatal error" }, exitFrame);
        // An exit call among the reporting frames (a crash filter ending the process after its dump) is the reporter's,
        // not a voluntary exit: the crash it reports is below them.
        int lowestReporting = -1;
        for (int i = 0; i < frames.Count; i++)
            if (catalog.FrameHasTag(frames[i], crash, RuleCatalog.ReportingTag)
                || catalog.FrameHasTag(frames[i], crash, RuleCatalog.DispatcherTag))
                lowestReporting = i;
        bool exitBelowReporting = false;
        for (int i = lowestReporting + 1; i < frames.Count && !exitBelowReporting; i++)
            exitBelowReporting = catalog.FrameHasTag(frames[i], crash, RuleCatalog.ExitTag);
        if (!exitBelowReporting) return new(null, null);
        return new(new() { Class = ExceptionClassifier.Exit, Name = "Voluntary exit",
            Detail = $"{exitFrame.Display} on the stack: the process ended itself, it did not crash" }, exitFrame);
    }

    /// <summary>
    /// A breakpoint exception sitting at the entry of an exit function (the catalog's `exit` rules) is a debugger's
    /// breakpoint set there to catch the process ending itself (fcgi capture, procdump -t, a `bp` on
    /// RtlExitUserProcess), not a crash: the record goes, and the stack is classed as the exit it shows.
    /// </summary>
    public static CrashReport WithoutExitBreakpoint(CrashReport crash, IOwnerCatalog catalog)
    {
        if (crash.Exception is not { Code: ExceptionCodes.Breakpoint or ExceptionCodes.Wx86Breakpoint }) return crash;
        if (crash.Frames.FirstOrDefault() is not { } top || (top.Displacement ?? 0) != 0 || top.Function is null
            || !catalog.FrameHasTag(top, crash, RuleCatalog.ExitTag))
            return crash;
        return crash with
        {
            Exception = null,
            Source = crash.Source with { Notes = [.. crash.Source.Notes,
                $"the breakpoint at {top.Display} is a debugger's exit breakpoint: the process was ending itself"] },
        };
    }

    /// <summary>A #GP's record says "read of 0xffffffffffffffff" whatever happened: the decoded instruction tells the
    /// access and the target; without it, the class says the access is not known.</summary>
    static ExceptionClassification GeneralProtectionFault(ExceptionInfo ex, Architecture architecture)
    {
        const string Reported = "Windows reports every general-protection fault as a read of 0xffffffffffffffff";
        if (FaultingAccess.Decode(ex.Instruction, architecture) is { Access: not AccessKind.Unknown } d)
        {
            var real = ExceptionClassifier.Classify(ex with { Parameters = [d.Access == AccessKind.Write ? 1UL : 0UL, d.Target] },
                architecture);
            return real with
            {
                Detail = $"decoded from the faulting instruction `{d.Instruction}`: " +
                    $"a {(d.Access == AccessKind.Write ? "write" : "read")} " +
                         $"of 0x{d.Target:x} through {d.Operand} ({Reported}); {real.Detail}",
            };
        }
        return new()
        {
            Class = ExceptionClassifier.NonCanonicalAddress,
            Name = "Access violation: read or write (non-canonical; Windows does not tell which)",
            Detail = $"a pointer that is not a valid x64 address was used; {Reported}, and the faulting instruction's bytes " +
                     "are not in the input (a dump with the image on the image path, or `.ecxr; u @rip L1; r` text, tells which)",
        };
    }

    /// <summary>The first line of the explanation trace.</summary>
    public static string Explain(CrashReport crash, CrashClass cls)
    {
        var c = cls.Classification;
        if (crash.Exception is { } ex)
        {
            var parts = $"exception 0x{ex.Code:x8}" + (ExceptionCodes.NameOf(ex.Code) is { } n ? $" {n}" : "");
            if (ex.Access != AccessKind.Unknown && ex.TargetAddress is { } t)
                parts += ex.Access switch { AccessKind.Read => ", read from", AccessKind.Write => ", write to", _ => ", execute at" } +
                    $" 0x{t:x}";
            return $"{parts} → {c?.Class}" + (c?.Detail is { } d ? $" ({d})" : "");
        }
        if (crash.Process.ExitCode is { } code && c is not null)
            return $"no exception recorded; the process exited with 0x{code:x8} → {c.Class}" + (c.Detail is { } cd ? $" ({cd})" : "");
        return c is null
            ? "no exception recorded and no exit call on the stack: the stack is the thread's state when the dump was taken"
            : $"no exception recorded → {c.Class} ({c.Detail}; by the " +
                $"catalog's {(c.Class == ExceptionClassifier.Abort ? "abort" : "exit")} rules)";
    }
}
