using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>Which evidence named the owner: the confidence policy and the trace read it.</summary>
public enum OwnerEvidence
{
    /// <summary>The catalog walk's deciding frame.</summary>
    Walk,
    /// <summary>A voluntary exit: no owner.</summary>
    Exit,
    /// <summary>A heap check found damage done earlier: owner unknown, suspects listed.</summary>
    HeapDamage,
    /// <summary>The heap found a block freed twice: the freeing caller.</summary>
    DoubleFree,
    /// <summary>Page heap or Application Verifier stopped the culprit in the act.</summary>
    PageHeap,
    /// <summary>The fault is inside Windows or the C runtime: the first caller outside them.</summary>
    OsFault,
    /// <summary>A stack overflow's repeating cycle holds a module other than the engine.</summary>
    RecursionCycle,
    /// <summary>A stack overflow recursing through the engine alone: the script.</summary>
    ScriptRecursion,
    /// <summary>Address-only frames run by the interpreter loop: JIT code.</summary>
    JitCode,
    /// <summary>An error or warning line a gem printed before the crash.</summary>
    GemMessage,
    /// <summary>The runtime's fatal error line names the file (Ruby's "&lt;file&gt;: [BUG]").</summary>
    RuntimeBugFile,
    /// <summary>The runtime's control frames: a C function called from a gem's lib/.</summary>
    ScriptFrames,
    /// <summary>The native stack holds only the runtime's crash handler and OS frames.</summary>
    NoFaultingFrame,
}

/// <summary>The owner step's answer: who, from which frame, on which evidence, and who else may have done it.</summary>
public sealed record OwnerDecision
{
    public Owner? Owner { get; init; }
    public FrameDecision? Deciding { get; init; }
    public ModuleInfo? DecidingModule { get; init; }
    public string? RuleId { get; init; }
    public FrameAction? Strength { get; init; }
    public OwnerEvidence Evidence { get; init; }
    /// <summary>The decisions as the report shows them (the walk's, with the deciding frame re-marked when a
    /// crash-class policy moved it).</summary>
    public IReadOnlyList<FrameDecision> Decisions { get; init; } = [];
    public IReadOnlyList<Suspect> Suspects { get; init; } = [];
    /// <summary>OsFault: the Windows or CRT frame that faulted. HeapDamage: the frame that found the damage.</summary>
    public StackFrame? EvidenceFrame { get; init; }
    /// <summary>OsFault: an address-only frame (FFI trampoline, JIT code) lies between the fault and the owner.</summary>
    public bool UnknownCodeBetween { get; init; }
    public IReadOnlyList<string> Trace { get; init; } = [];
    /// <summary>The stack is the thread that reported the crash, not the one that faulted (the walk's
    /// <see cref="StackWalkResult.ReporterStack"/>): no owner, and the next step is the faulting context.</summary>
    public bool ReporterStack { get; init; }
    /// <summary>The lowest reporting frame (UnhandledExceptionFilter, the dispatcher), when the stack has one.</summary>
    public FrameDecision? ReportingFrame { get; init; }
}

/// <summary>
/// Step 3: the owner. The walk's deciding frame, unless the crash class says the stack cannot be read that way:
/// heap damage (the detector is rarely the culprit), double frees and page heap, faults inside Windows or the CRT,
/// stack overflows (the repeating cycle decides), JIT code, and runtime crash reports without a faulting frame.
/// </summary>
public static partial class OwnerStep
{
    /// <summary>Catalog tags the policies read; the built-in catalog puts them on its rules.</summary>
    public const string HeapCheckTag = "heap-check", PageHeapTag = "page-heap", InterpreterTag = "interpreter";
    /// <summary>Catalog owner ids the policies name.</summary>
    public const string PhpScriptOwner = "php-script", RubyScriptOwner = "ruby-script", JitOwner = "php-opcache-jit";
    /// <summary>HEAP_FAILURE_TYPE heap_failure_block_not_busy: the block was already free.</summary>
    public const uint HeapFailureBlockNotBusy = 8;
    const int MaxSuspects = 4, MaxCycle = 24, MinRepeats = 3;

    static readonly IReadOnlySet<string> OsCategories = new HashSet<string>(StringComparer.Ordinal)
    { OwnerCategory.Windows, OwnerCategory.Crt };
    static readonly IReadOnlySet<string> EngineCategories = new HashSet<string>(StringComparer.Ordinal)
    { OwnerCategory.PhpCore, OwnerCategory.RubyCore };

    public static OwnerDecision Run(CrashReport crash, IOwnerCatalog catalog, CrashClass cls, WalkOutcome walk)
    {
        var w = walk.Walk;
        var basic = new OwnerDecision
        {
            Owner = w.Owner, Deciding = w.Deciding, RuleId = w.RuleId, Strength = w.Strength, Evidence = OwnerEvidence.Walk,
            Decisions = walk.Decisions, DecidingModule = w.Deciding is { } d ? crash.FindModule(d.Frame.Module, d.Frame.InstructionPointer) : null,
            ReporterStack = w.ReporterStack, ReportingFrame = w.ReportingFrame,
        };
        if (cls.IsExit)
            return basic with { Owner = null, RuleId = null, Evidence = OwnerEvidence.Exit,
                Trace = ["voluntary exit: no owner (the catalog's owner of the exit's caller is not used)"] };
        if (w.ReporterStack)
            // No frame of the reporter's own thread can own the crash; the class policies below read the faulting frames.
            return basic with { Owner = null, Deciding = null, DecidingModule = null, RuleId = null, Strength = null,
                Trace = [ReporterStackText(w.ReportingFrame)] };
        var ctx = new Context(crash, catalog, cls, walk);
        return Heap(ctx, basic) ?? StackOverflow(ctx, basic) ?? Jit(ctx, basic) ?? RuntimeReport(ctx, basic) ?? OsFault(ctx, basic)
            ?? basic;
    }

    /// <summary>The verdict's words for a reporter's own stack, and what to do to get the faulting one.</summary>
    public static string ReporterStackText(FrameDecision? reporting) =>
        "this stack is the thread that reported the crash, not the one that faulted: it holds reporting frames " +
        (reporting is null ? "" : $"(#{reporting.Frame.Index:d2} {reporting.Frame.Display} and above) ") +
        "and the thread's start, no exception dispatcher and no faulting frame; the owner cannot be read from it";

    sealed record Context(CrashReport Crash, IOwnerCatalog Catalog, CrashClass Class, WalkOutcome Walk)
    {
        readonly Dictionary<StackFrame, Owner?> _owners = new(ReferenceEqualityComparer.Instance);

        public bool HasTag(StackFrame f, string tag) => Catalog.FrameHasTag(f, Crash, tag);

        /// <summary>The catalog's owner of a frame's module (regardless of function), or null.</summary>
        public Owner? ModuleOwner(StackFrame f)
        {
            if (_owners.TryGetValue(f, out var known)) return known;
            var module = ModuleOfFrame(Crash, f);
            return _owners[f] = module is null ? null : Catalog.OwnerOfModule(module, Crash);
        }

        public bool IsOs(StackFrame f) => ModuleOwner(f) is { } o && OsCategories.Contains(o.Category);
    }

    /// <summary>The module of a frame: from the module list, else made from the frame's own module name (text sources).</summary>
    public static ModuleInfo? ModuleOfFrame(CrashReport crash, StackFrame f)
    {
        if (crash.FindModule(f.Module, f.InstructionPointer) is { } m) return m;
        if (f.Module is not { Length: > 0 } name) return null;
        return name.Contains('.') ? new ModuleInfo { FileName = name, Name = ModuleNames.EngineName(name) } : new ModuleInfo { Name = name };
    }

    static FrameDecision? DecisionOf(WalkOutcome walk, StackFrame f) => walk.Decisions.FirstOrDefault(x => x.Frame == f);

    /// <summary>The decisions with <paramref name="frame"/> marked as deciding (a policy moved the decision there).</summary>
    static (IReadOnlyList<FrameDecision>, FrameDecision) Remark(WalkOutcome walk, StackFrame frame, Owner owner, string ruleId, string why)
    {
        var marked = new FrameDecision { Frame = frame, Action = FrameAction.Owner, RuleId = ruleId, Owner = owner.Name, Explanation = why };
        var list = new List<FrameDecision>(walk.Decisions.Count);
        foreach (var x in walk.Decisions)
        {
            if (x.Frame == frame) list.Add(marked);
            else if (ReferenceEquals(x, walk.Walk.Deciding))
                list.Add(x with { Action = FrameAction.NoRule, Explanation = x.Explanation + $"; overruled: {why}" });
            else list.Add(x);
        }
        return (list, marked);
    }

    // ---- heap damage, double free, page heap ------------------------------------------------------------------

    static OwnerDecision? Heap(Context c, OwnerDecision basic)
    {
        var frames = c.Crash.Frames;
        var pageHeapFrame = frames.FirstOrDefault(f => c.HasTag(f, PageHeapTag));
        bool verifierLoaded = c.Crash.Modules.Any(m => ModuleNames.Same(m.Name, "verifier") || ModuleNames.Same(m.FileName, "verifier.dll"));
        bool isAv = c.Crash.Exception?.Code == ExceptionCodes.AccessViolation;
        if (pageHeapFrame is not null || (verifierLoaded && isAv))
        {
            var why = pageHeapFrame is not null
                ? $"page heap / Application Verifier at work ({pageHeapFrame.Display}): it stops the culprit in the act"
                : "page heap is on (verifier.dll is loaded) and the access violation is the culprit touching a guard page or a freed page";
            return basic with { Evidence = OwnerEvidence.PageHeap, EvidenceFrame = pageHeapFrame, Trace = [why] };
        }
        var detector = frames.FirstOrDefault(f => c.HasTag(f, HeapCheckTag));
        bool heapClass = c.Class.Name is { } n && (n == ExceptionClassifier.HeapCorruption
            || n is "FAIL_FAST_CORRUPT_LIST_ENTRY" or "FAIL_FAST_HEAP_METADATA_CORRUPTION" or "FAIL_FAST_UNEXPECTED_HEAP_EXCEPTION");
        if (!heapClass && detector is null) return null;
        detector ??= frames.FirstOrDefault();
        if (c.Crash.Exception?.HeapFailureType == HeapFailureBlockNotBusy && basic.Owner is not null)
            return basic with { Evidence = OwnerEvidence.DoubleFree, EvidenceFrame = detector,
                Trace = ["the heap found a block that was already free (heap_failure_block_not_busy): a double free; the freeing caller owns it"] };

        var suspects = new List<Suspect>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Add(StackFrame f, string why)
        {
            var owner = c.ModuleOwner(f);
            string key = owner?.Id ?? f.Module ?? f.Display;
            if (suspects.Count >= MaxSuspects || !seen.Add(key)) return;
            suspects.Add(new Suspect { Owner = owner?.Name ?? Triager.UnknownOwner, Module = ModuleOfFrame(c.Crash, f)?.DisplayName,
                Frame = f.Display, Why = why });
        }
        if (detector is not null)
            Add(detector, "found the damage: a heap check reports corruption done earlier, it rarely causes it");
        if (basic.Deciding is { } d && !c.IsOs(d.Frame))
            Add(d.Frame, "was freeing or allocating the damaged block: it may have overrun or freed it itself, or be the victim of another module");
        int from = basic.Deciding is { } dd ? IndexOf(frames, dd.Frame) + 1 : 0;
        for (int i = Math.Max(from, 0); i < frames.Count; i++)
        {
            var f = frames[i];
            if (f.Module is null || c.IsOs(f) || c.ModuleOwner(f) is { } o && EngineCategories.Contains(o.Category) && seen.Contains(o.Id)) continue;
            Add(f, "on the stack below: called into the code that found the damage");
        }
        var decisions = basic.Decisions.Select(x => ReferenceEquals(x, basic.Deciding)
            ? x with { Action = FrameAction.Suspect, Explanation = x.Explanation + "; heap damage: a suspect, not the owner" } : x).ToList();
        return basic with
        {
            Owner = null, RuleId = null, Evidence = OwnerEvidence.HeapDamage, EvidenceFrame = detector, Suspects = suspects,
            Decisions = decisions, Deciding = decisions.FirstOrDefault(x => x.Action == FrameAction.Suspect),
            Trace = [$"heap damage found by {detector?.Display ?? "the heap"}: the module that did it is usually not on this stack; " +
                     $"owner unknown, {suspects.Count} suspect(s) listed; full page heap catches the culprit"],
        };
    }

    static int IndexOf(IReadOnlyList<StackFrame> frames, StackFrame f)
    {
        for (int i = 0; i < frames.Count; i++) if (frames[i] == f) return i;
        return -1;
    }

    // ---- stack overflow ---------------------------------------------------------------------------------------

    static OwnerDecision? StackOverflow(Context c, OwnerDecision basic)
    {
        if (c.Class.Name != ExceptionClassifier.StackOverflow) return null;
        var frames = c.Crash.Frames;
        if (FindCycle(frames) is not { } cycle) return null;
        var cycleFrames = frames.Skip(cycle.Start).Take(cycle.Length).ToList();
        string shape = string.Join(" → ", cycleFrames.Select(f => f.Function is null ? f.Module ?? "?" : $"{f.Module}!{f.Function}"));
        foreach (var f in cycleFrames)
        {
            var owner = c.ModuleOwner(f);
            if (owner is null || OsCategories.Contains(owner.Category) || EngineCategories.Contains(owner.Category)) continue;
            if (owner.Category == OwnerCategory.Unknown && f.Module is null) continue;
            var why = $"the stack overflow repeats the cycle {shape} ({cycle.Repeats} times from frame #{frames[cycle.Start].Index:d2}); " +
                      $"{owner.Name} is in the cycle";
            var (decisions, marked) = Remark(c.Walk, f, owner, "stack-overflow-cycle", why);
            return basic with { Owner = owner, Deciding = marked, RuleId = "stack-overflow-cycle", Strength = FrameAction.Owner,
                DecidingModule = c.Crash.FindModule(f.Module, f.InstructionPointer), Evidence = OwnerEvidence.RecursionCycle,
                Decisions = decisions, Trace = [why] };
        }
        // Only the engine (and Windows) recurse: the script does.
        bool ruby = cycleFrames.Any(f => c.ModuleOwner(f)?.Category == OwnerCategory.RubyCore);
        if (c.Catalog.FindOwner(ruby ? RubyScriptOwner : PhpScriptOwner) is not { } script) return null;
        var engineFrame = cycleFrames.FirstOrDefault(f => c.ModuleOwner(f) is { } o && EngineCategories.Contains(o.Category)) ?? cycleFrames[0];
        var reason = $"the stack overflow repeats the cycle {shape} ({cycle.Repeats} times) through the engine alone: the script recurses";
        var (list, mark) = Remark(c.Walk, engineFrame, script, "stack-overflow-cycle", reason);
        return basic with { Owner = script, Deciding = mark, RuleId = "stack-overflow-cycle", Strength = FrameAction.Owner,
            DecidingModule = c.Crash.FindModule(engineFrame.Module, engineFrame.InstructionPointer), Evidence = OwnerEvidence.ScriptRecursion,
            Decisions = list, Trace = [reason] };
    }

    public sealed record Cycle(int Start, int Length, int Repeats);

    /// <summary>The shortest run of frames (by module!function) that repeats at least three times in a row, starting
    /// near the top (the frames where the stack ran out may differ). Null when the stack shows no recursion.</summary>
    public static Cycle? FindCycle(IReadOnlyList<StackFrame> frames)
    {
        var keys = frames.Select(f => f.Function is null && f.Module is null ? "?" : $"{f.Module}!{f.Function}".ToLowerInvariant()).ToList();
        for (int start = 0; start < Math.Min(16, keys.Count); start++)
            for (int len = 1; len <= MaxCycle && start + len * MinRepeats <= keys.Count; len++)
            {
                int repeats = 1;
                while (start + (repeats + 1) * len <= keys.Count && Same(keys, start, start + repeats * len, len)) repeats++;
                if (repeats >= MinRepeats && keys.Skip(start).Take(len).Any(k => k != "?")) return new Cycle(start, len, repeats);
            }
        return null;
    }

    static bool Same(List<string> keys, int a, int b, int len)
    {
        for (int i = 0; i < len; i++) if (keys[a + i] != keys[b + i]) return false;
        return true;
    }

    // ---- JIT code ---------------------------------------------------------------------------------------------

    static OwnerDecision? Jit(Context c, OwnerDecision basic)
    {
        var decisions = c.Walk.Decisions;
        int top = 0;
        while (top < decisions.Count && decisions[top].Action is FrameAction.SkippedBeforeSentinel or FrameAction.Reporting) top++;
        int i = top;
        while (i < decisions.Count && decisions[i].Frame.Module is null && decisions[i].Frame.Function is null) i++;
        if (i == top || i >= decisions.Count || !c.HasTag(decisions[i].Frame, InterpreterTag)) return null;
        if (c.Catalog.FindOwner(JitOwner) is not { } jit) return null;
        var jitFrame = decisions[top].Frame;
        var why = $"{i - top} address-only frame(s) on top, called by the interpreter loop {decisions[i].Frame.Display}: code the JIT generated";
        var (list, marked) = Remark(c.Walk, jitFrame, jit, "jit-code", why);
        return basic with { Owner = jit, Deciding = marked, RuleId = "jit-code", Strength = FrameAction.Owner, DecidingModule = null,
            Evidence = OwnerEvidence.JitCode, Decisions = list, EvidenceFrame = decisions[i].Frame, Trace = [why] };
    }

    // ---- runtime crash reports (Ruby) --------------------------------------------------------------------------

    static OwnerDecision? RuntimeReport(Context c, OwnerDecision basic)
    {
        if (c.Crash.Runtime is not { } runtime) return null;
        // A native frame of a module other than the runtime and Windows is the faulting frame: the walk has it.
        if (basic.Owner is { } o && !EngineCategories.Contains(o.Category) && !OsCategories.Contains(o.Category)
            && o.Category != OwnerCategory.Unknown) return null;
        if (runtime.BugFile is { Length: > 0 } bugFile && IsNativeLibrary(bugFile) && OwnerOfFile(c, bugFile) is { } fileOwner)
            return basic with { Owner = fileOwner, Deciding = null, DecidingModule = null, RuleId = null, Strength = FrameAction.Owner,
                Evidence = OwnerEvidence.RuntimeBugFile, EvidenceFrame = null,
                Trace = [$"no native frame at the fault; the runtime's [BUG] line names {bugFile}: {fileOwner.Name}"] };
        var frames = runtime.ScriptFrames;
        for (int i = 0; i < frames.Count; i++)
        {
            if (!frames[i].IsNative) continue;
            var caller = frames.Skip(i).FirstOrDefault(f => !f.IsNative && f.File is not null);
            if (caller?.File is { } file && RubyGems.NameOf(file) is { } gem && OwnerOfFile(c, gem + ".so") is { } gemOwner
                && !EngineCategories.Contains(gemOwner.Category))
                return basic with { Owner = gemOwner, Deciding = null, DecidingModule = null, RuleId = null, Strength = FrameAction.Owner,
                    Evidence = OwnerEvidence.ScriptFrames,
                    Trace = [$"no native frame at the fault; the control frames show C function {frames[i].Function} called from {file}: {gemOwner.Name}"] };
            break;
        }
        // Last, what a gem printed before the crash: the first message from a gem the catalog knows as native code.
        foreach (var message in runtime.GemMessages)
        {
            if (RubyGems.NameOf(message) is not { } gem || OwnerOfFile(c, gem + ".so") is not { } gemOwner
                || EngineCategories.Contains(gemOwner.Category)) continue;
            return basic with { Owner = gemOwner, Deciding = null, DecidingModule = null, RuleId = null, Strength = FrameAction.Owner,
                Evidence = OwnerEvidence.GemMessage,
                Trace = [$"no native frame at the fault; before the crash the gem {gem} printed \"{Shorten(message)}\": {gemOwner.Name}"] };
        }
        return basic with { Evidence = OwnerEvidence.NoFaultingFrame,
            Trace = ["the native stack holds no frame at the fault, only the runtime's crash handler and Windows frames"] };
    }

    static string Shorten(string line) => line.Length <= 120 ? line : line[..117] + "...";

    static bool IsNativeLibrary(string path) =>
        path.EndsWith(".so", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".bundle", StringComparison.OrdinalIgnoreCase);

    static Owner? OwnerOfFile(Context c, string path)
    {
        var file = ModuleNames.FileName(path);
        var owner = c.Catalog.OwnerOfModule(new ModuleInfo { FileName = file, Name = ModuleNames.EngineName(file), Path = path }, c.Crash);
        return owner is null || owner.Category == OwnerCategory.Unknown ? null : owner;
    }


    // ---- faults inside Windows or the C runtime -----------------------------------------------------------------

    static OwnerDecision? OsFault(Context c, OwnerDecision basic)
    {
        if (c.Crash.Exception?.Code != ExceptionCodes.AccessViolation || basic.Deciding is not { } deciding || basic.Owner is null) return null;
        if (OsCategories.Contains(basic.Owner.Category)) return null;
        var decisions = basic.Decisions;
        int top = 0;
        while (top < decisions.Count && decisions[top].Action is FrameAction.SkippedBeforeSentinel or FrameAction.Reporting) top++;
        if (top >= decisions.Count || decisions[top].Frame == deciding.Frame || !c.IsOs(decisions[top].Frame)) return null;
        int at = -1;
        for (int i = top; i < decisions.Count; i++) if (decisions[i].Frame == deciding.Frame) { at = i; break; }
        if (at < 0) return null;
        bool unknownBetween = decisions.Skip(top + 1).Take(at - top - 1).Any(x => x.Frame.Module is null && x.Frame.Function is null);
        var fault = decisions[top].Frame;
        return basic with { Evidence = OwnerEvidence.OsFault, EvidenceFrame = fault, UnknownCodeBetween = unknownBetween,
            Trace = [$"the fault is inside {fault.Display}; {basic.Owner.Name} is the first caller outside Windows and the C runtime"] };
    }
}
