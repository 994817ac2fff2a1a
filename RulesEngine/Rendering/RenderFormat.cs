using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Triage;

namespace FcgiExt.RulesEngine.Rendering;

/// <summary>How every renderer spells values, so text, JSON, Markdown and HTML agree.</summary>
public static class RenderFormat
{
    public static string? Address(ulong? value) => value is { } v ? $"0x{v:x}" : null;

    public static string? Code(uint? code) => code is { } c ? ExceptionCodes.Hex(c) : null;

    public static string Lower(Confidence c) => c switch
    {
        Confidence.High => "high", Confidence.Medium => "medium", _ => "low",
    };

    public static string? Access(AccessKind a) => a switch
    {
        AccessKind.Read => "read", AccessKind.Write => "write", AccessKind.Execute => "execute", _ => null,
    };

    /// <summary>"read from", "write to", "execute at": how the target of an access violation reads in a sentence.</summary>
    public static string AccessVerb(AccessKind a) => a switch
    {
        AccessKind.Read => "read from", AccessKind.Write => "write to", AccessKind.Execute => "execute at", _ => "access to",
    };

    public static string Trust(FrameTrust t) => t switch
    {
        FrameTrust.Context => "context", FrameTrust.UnwindInfo => "unwind-info", FrameTrust.FramePointer => "frame-pointer",
        FrameTrust.Scan => "scan", FrameTrust.Inline => "inline", _ => "unknown",
    };

    public static string Symbols(SymbolStatus s) => s switch
    {
        SymbolStatus.PrivatePdb => "private-pdb", SymbolStatus.PublicPdb => "public-pdb", SymbolStatus.ExportOnly => "export-only",
        SymbolStatus.None => "none", SymbolStatus.Mismatched => "mismatched", SymbolStatus.Deferred => "deferred", _ => "unknown",
    };

    public static string Architecture(Model.Architecture a) => a switch
    {
        Model.Architecture.X86 => "x86", Model.Architecture.X64 => "x64", Model.Architecture.Arm64 => "arm64", _ => "unknown",
    };

    /// <summary>"module!function+0x1a [file @ line]" — a frame as WinDbg prints it with source lines on.</summary>
    public static string FrameWithSource(StackFrame f) =>
        f.SourceFile is { Length: > 0 } file ? $"{f.Display} [{file} @ {f.SourceLine?.ToString() ?? "?"}]" : f.Display;

    /// <summary>A short tag for a frame's decision: "ignore (rule)", "OWNER Xdebug (rule)" …</summary>
    public static string DecisionTag(FrameDecision d)
    {
        string rule = d.RuleId is { Length: > 0 } r ? $" ({r})" : "";
        return d.Action switch
        {
            FrameAction.Owner => $"OWNER {d.Owner}{rule}",
            FrameAction.Maybe => $"maybe {d.Owner}{rule}",
            FrameAction.Last => $"last-resort {d.Owner}{rule}",
            FrameAction.Default => $"default {d.Owner}{rule}",
            FrameAction.Suspect => $"suspect {d.Owner}{rule}",
            FrameAction.NoRule => "no rule",
            _ => d.Action.Name() + rule,
        };
    }

    public const string NotACrash = "not a crash: the process ended itself";

    /// <summary>"Xdebug (php-extension)", or for a voluntary exit <see cref="NotACrash"/>.</summary>
    public static string OwnerLine(Verdict v) => v.Owner == Triager.NoOwner ? NotACrash : $"{v.Owner} ({v.Category})";

    /// <summary>A step as its reader can follow it: in the debugger as it is; outside (batch and --stack-text reports)
    /// its outside form when it has one, and a debugger command labelled "in WinDbg:".</summary>
    public static (string Text, string? Label, string? Command) Step(NextStep step, bool outsideDebugger)
    {
        var s = outsideDebugger && step.Outside is { } o ? o : step;
        string? label = outsideDebugger && s.Command is not null && s.Runs == NextStep.InDebugger ? "in WinDbg:" : null;
        return (s.Text, label, s.Command);
    }

    /// <summary>A step and its command on one line, never joined as ".:".</summary>
    public static string StepLine(string text, string? label, string? command)
    {
        if (command is null) return text;
        var t = text.TrimEnd();
        string cmd = label is null ? command : $"{label} {command}";
        if (t.EndsWith(':')) return $"{t} {cmd}";
        if (t.EndsWith('.') || t.EndsWith('?') || t.EndsWith('!'))
            return label is null ? $"{t} Run: {cmd}" : $"{t} {char.ToUpperInvariant(label[0])}{label[1..]} {command}";
        return $"{t}: {cmd}";
    }

    /// <summary>What to say when no module has a symbol problem: "every module has symbols" only when the source
    /// gave a symbol status at all (an event log or a bare k paste does not).</summary>
    public static string NoSymbolProblems(CrashReport crash) =>
        crash.Modules.Count == 0 || crash.Modules.All(m => m.Symbols is SymbolStatus.Unknown)
            ? "Symbol status unknown: the source does not say (lml or lmv output shows it)."
            : "Every module has symbols.";

    public static string ExceptionHeadline(TriageResult r)
    {
        var ex = r.Crash.Exception;
        if (ex is null && r.Crash.Process.ExitCode is { } code)
            return $"Exit code {ExceptionCodes.Hex(code)}{(ExceptionCodes.NameOf(code) is { } n ? " " + n : "")} — {r.Exception?.Name}";
        if (ex is null)
            return r.Exception is null ? "No exception recorded, and no exit call on the stack"
                : $"No exception recorded — {r.Exception.Name}";
        var name = ExceptionCodes.NameOf(ex.Code);
        return $"{ExceptionCodes.Hex(ex.Code)}{(name is null ? "" : " " + name)} — {r.Exception?.Name}";
    }
}
