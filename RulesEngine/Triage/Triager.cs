using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>
/// Crash report + catalog → verdict: exception class, owner, confidence with reasons, bucket, symbol problems,
/// next steps and the explanation trace. Never throws: every renderer and the batch tool rely on getting a result.
/// </summary>
public static class Triager
{
    public const string UnknownOwner = "unknown", NoOwner = "none";

    /// <summary>Actions after which a frame does not count as the crash's own frame (for fallback buckets).</summary>
    static readonly HashSet<string> PassedOverActions = new(StringComparer.Ordinal)
    { "ignore", "skipped-before-sentinel", "not-reached" };

    sealed record Reason(string Text, Confidence Cap);

    public static TriageResult Triage(CrashReport crash, IOwnerCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(crash);
        ArgumentNullException.ThrowIfNull(catalog);
        try
        {
            return TriageCore(crash, catalog);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Last line of defence: a bug here must still give the user the stack and a clear word.
            return new TriageResult
            {
                Crash = crash,
                Verdict = new Verdict { Owner = UnknownOwner, Category = OwnerCategory.Unknown, Confidence = Confidence.Low,
                    ConfidenceReasons = ["triage failed internally; the verdict is unknown"], Bucket = BucketId.NoException },
                Explanation = [$"internal error in triage: {e.GetType().Name}: {e.Message}"],
            };
        }
    }

    static TriageResult TriageCore(CrashReport crash, IOwnerCatalog catalog)
    {
        var explanation = new List<string>();
        var frames = crash.Frames ?? [];
        var classification = ExceptionClassifier.Classify(crash);
        // A site catalog may know more exit paths (rules tagged `exit`): a stack the classifier did not
        // recognise still counts as a voluntary exit when the catalog says so.
        Func<StackFrame, bool> isExitFrame = f => ExceptionClassifier.IsExitFunction(f.Function);
        if (catalog is RuleCatalog rules)
        {
            isExitFrame = f => ExceptionClassifier.IsExitFunction(f.Function) || SafeIsCatalogExit(rules, f, crash);
            if (classification is null && crash.Exception is null && frames.FirstOrDefault(f => SafeIsCatalogExit(rules, f, crash)) is { } exitFrame)
                classification = new ExceptionClassification { Class = ExceptionClassifier.Exit, Name = "Voluntary exit",
                    Detail = $"{exitFrame.Display} on the stack (an exit rule of the catalog): the process ended itself, it did not crash" };
        }
        explanation.Add(ExplainException(crash, classification));
        bool isExit = classification?.Class == ExceptionClassifier.Exit;

        // The catalog walk. A broken site catalog must not take the whole analysis down with it.
        StackWalkResult walk;
        bool walkFailed = false;
        try
        {
            walk = catalog.Walk(crash) ?? new StackWalkResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            walk = new StackWalkResult();
            walkFailed = true;
            explanation.Add($"catalog walk failed: {e.GetType().Name}: {e.Message}");
        }
        var decisions = walk.Decisions is { Count: > 0 } d ? d
            : frames.Select(f => new FrameDecision { Frame = f, Action = "no-rule",
                Explanation = walkFailed ? "not examined: the catalog walk failed" : "no rule examined this frame" }).ToList();
        if (walk.Trace is { Count: > 0 } trace) explanation.AddRange(trace);
        else explanation.AddRange(decisions.Select(x => $"#{x.Frame.Index:d2} {x.Frame.Display}: {x.Explanation}"));

        var deciding = walk.Deciding;
        var owner = isExit ? null : walk.Owner;
        if (owner is not null && !OwnerCategory.All.Contains(owner.Category))
        {
            // The contract's category list is fixed (reports group by it); a catalog typo must not leak into it.
            explanation.Add($"owner {owner.Name} has category '{owner.Category}', which is not one of the known categories: reported as unknown");
            owner = owner with { Category = OwnerCategory.Unknown };
        }
        ModuleInfo? decidingModule = deciding is null ? null : SafeFindModule(crash, deciding.Frame);
        string processName = ProcessName(crash);

        // Bucket.
        var signature = BucketSignature(crash, walk, decisions, isExit, isExitFrame);
        string bucketClass = classification?.Class ?? BucketId.NoException;
        string bucket = BucketId.Build(bucketClass, crash.Exception?.Code, signature);

        // Confidence.
        var reasons = ConfidenceReasons(crash, classification, walk, walkFailed, decisions, decidingModule, isExit);
        var confidence = Combine(reasons);

        // The owner's texts may hold placeholders ({module}, {php_version}, …) the catalog fills per module.
        var placeholderModule = decidingModule ?? (deciding?.Frame.Module is { Length: > 0 } fm
            ? new ModuleInfo { Name = ModuleNames.EngineName(fm) ?? fm, FileName = fm.Contains('.') ? fm : null } : null);
        string? symbolsHint = null;
        if (placeholderModule is not null && owner is not null)
            symbolsHint = SafeWhereToGet(catalog, placeholderModule, crash) ?? Expand(owner.Symbols, placeholderModule, crash);

        var verdict = new Verdict
        {
            Owner = isExit ? NoOwner : owner?.Name ?? UnknownOwner,
            OwnerModule = isExit || deciding is null ? null : decidingModule?.FileName ?? decidingModule?.Name ?? deciding.Frame.Module,
            OwnerFrame = isExit ? null : deciding?.Frame.Display,
            Category = isExit ? OwnerCategory.None : owner?.Category ?? OwnerCategory.Unknown,
            Confidence = confidence,
            ConfidenceReasons = reasons.Select(r => r.Text).ToList(),
            Bucket = bucket,
            Rule = isExit ? null : walk.RuleId,
            ReportUrl = owner?.ReportUrl,
            SymbolsHint = symbolsHint ?? owner?.Symbols,
            Advice = placeholderModule is null ? owner?.Advice : Expand(owner?.Advice, placeholderModule, crash),
        };
        explanation.Add(isExit
            ? $"verdict: no crash, a voluntary exit: owner none (the catalog's owner of the exit's caller is not used); bucket {bucket}"
            : owner is null
                ? $"verdict: no rule decided the owner: owner unknown; bucket {bucket}"
                : $"verdict: owner {owner.Name} ({owner.Category}) by rule {walk.RuleId ?? "?"} ({walk.Strength ?? "owner"}) at frame #{deciding?.Frame.Index:d2} {deciding?.Frame.Display}; bucket {bucket}");
        explanation.Add($"confidence: {confidence.ToString().ToLowerInvariant()}" +
            (reasons.Count == 0 ? "" : ": " + string.Join("; ", reasons.Select(r => r.Text))));

        var symbols = SymbolProblemsOf(crash, catalog, frames);
        var steps = BuildNextSteps(crash, classification, verdict, symbols, decidingModule, deciding, processName, isExit);

        return new TriageResult
        {
            Crash = crash,
            Exception = classification,
            Verdict = verdict,
            Frames = decisions,
            Symbols = symbols,
            NextSteps = steps,
            Explanation = explanation,
        };
    }

    static string ExplainException(CrashReport crash, ExceptionClassification? cls)
    {
        if (crash.Exception is { } ex)
        {
            var parts = $"exception 0x{ex.Code:x8}" + (ExceptionCodes.NameOf(ex.Code) is { } n ? $" {n}" : "");
            if (ex.Access != AccessKind.Unknown && ex.TargetAddress is { } t)
                parts += ex.Access switch { AccessKind.Read => ", read from", AccessKind.Write => ", write to", _ => ", execute at" } + $" 0x{t:x}";
            return $"{parts} → {cls?.Class}" + (cls?.Detail is { } d ? $" ({d})" : "");
        }
        return cls is null
            ? "no exception recorded and no exit call on the stack: the stack is the thread's state when the dump was taken"
            : $"no exception recorded → {cls.Class} ({cls.Detail})";
    }

    /// <summary>What goes after the class and code in the bucket.</summary>
    static List<string> BucketSignature(CrashReport crash, StackWalkResult walk, IReadOnlyList<FrameDecision> decisions, bool isExit,
        Func<StackFrame, bool> isExitFrame)
    {
        if (isExit)
        {
            // The exit's caller, not ntdll's NtTerminateProcess: the frame right below the deepest exit call
            // that the catalog did not skip.
            int deepestExit = -1;
            for (int i = 0; i < decisions.Count; i++)
                if (isExitFrame(decisions[i].Frame)) deepestExit = i;
            for (int i = deepestExit + 1; i < decisions.Count; i++)
                if (!PassedOverActions.Contains(decisions[i].Action))
                    return [BucketId.FrameSignature(decisions[i].Frame, crash)];
            return [];
        }
        if (walk.SignatureFrames is { Count: > 0 } sig)
        {
            // Only prefix frames and the deciding frame, as the contract says: a sentinel or ignored frame in
            // the signature (the exception dispatcher) would split one bug into buckets with and without it.
            var prefixFrames = decisions.Where(x => x.Action == "prefix").Select(x => x.Frame).ToHashSet();
            var kept = sig.Where(f => prefixFrames.Contains(f) || (walk.Deciding is { } dd && dd.Frame == f))
                .Select(f => BucketId.FrameSignature(f, crash)).ToList();
            if (kept.Count > 0) return kept;
        }
        if (walk.Deciding is { } deciding)
            return [BucketId.FrameSignature(deciding.Frame, crash)];
        // Nothing decided: the first frame the catalog did not pass over keeps crashes in one place apart.
        var first = decisions.FirstOrDefault(x => !PassedOverActions.Contains(x.Action)) ?? decisions.FirstOrDefault();
        return first is null ? [] : [BucketId.FrameSignature(first.Frame, crash)];
    }

    static List<Reason> ConfidenceReasons(CrashReport crash, ExceptionClassification? cls, StackWalkResult walk,
        bool walkFailed, IReadOnlyList<FrameDecision> decisions, ModuleInfo? decidingModule, bool isExit)
    {
        var reasons = new List<Reason>();
        var frames = crash.Frames ?? [];
        if (frames.Count == 0)
        {
            reasons.Add(new("no stack frames: nothing to read the owner from", Confidence.Low));
            return reasons;
        }
        if (isExit)
        {
            var exitFrame = ExceptionClassifier.FindExitFrame(frames);
            if (exitFrame is { Trust: FrameTrust.Scan })
                reasons.Add(new($"the exit call #{exitFrame.Index:d2} {exitFrame.Display} was found by scanning the stack", Confidence.Medium));
            return reasons;
        }
        if (cls is null)
            reasons.Add(crash.Source.Kind == "dbgeng"
                ? new("no exception recorded in the dump: the stack shows the thread when the dump was taken, maybe not a crash", Confidence.Low)
                : new("the text holds no exception record (.exr -1 or .lastevent output gives it): the class is unknown", Confidence.Low));
        if (walkFailed)
            reasons.Add(new("the catalog walk failed", Confidence.Low));

        var deciding = walk.Deciding;
        if (deciding is null || walk.Owner is null)
        {
            if (!walkFailed) reasons.Add(new("no rule decided the owner", Confidence.Low));
            return reasons;
        }
        switch (walk.Strength)
        {
            case "maybe":
                reasons.Add(new($"only a maybe-owner rule ({walk.RuleId}) matched, no definite rule below it", Confidence.Medium)); break;
            case "last":
                reasons.Add(new($"decided by a last-resort rule ({walk.RuleId})", Confidence.Low)); break;
            case "default":
                reasons.Add(new("decided by the catalog's default owner: no rule knew the frames", Confidence.Low)); break;
        }

        var frame = deciding.Frame;
        string moduleName = decidingModule?.DisplayName ?? frame.Module ?? "the deciding frame's module";
        if (walk.Owner.Category == OwnerCategory.Unknown && walk.Strength is not ("last" or "default"))
            reasons.Add(new($"{moduleName} is not in the catalog: who ships it is not known", Confidence.Medium));
        if (frames.Count == 1)
            reasons.Add(new("only one frame is known (the faulting module): its callers cannot be checked", Confidence.Medium));
        if (frame.Module is null && decidingModule is null)
            reasons.Add(new($"the deciding frame #{frame.Index:d2} has no module", Confidence.Low));
        else if (decidingModule is not null)
        {
            switch (decidingModule.Symbols)
            {
                case SymbolStatus.ExportOnly:
                    reasons.Add(new($"{moduleName} has export symbols only: function names on its frames may be wrong", Confidence.Medium)); break;
                case SymbolStatus.None:
                    reasons.Add(new($"no symbols for {moduleName}: its frames have no function names", Confidence.Medium)); break;
                case SymbolStatus.Mismatched:
                    reasons.Add(new($"the symbols of {moduleName} do not match the image: function names may be wrong", Confidence.Medium)); break;
            }
        }
        if (frame.Function is null && frame.Module is not null
            && (decidingModule is null || decidingModule.Symbols is SymbolStatus.Unknown or SymbolStatus.Deferred or SymbolStatus.PrivatePdb or SymbolStatus.PublicPdb))
            reasons.Add(new($"the deciding frame has no function name (no symbols for {moduleName} in the source)", Confidence.Medium));

        // A scanned frame at or above the deciding one means the walk itself may have started from garbage.
        int decidingPosition = -1;
        for (int i = 0; i < decisions.Count; i++)
            if (ReferenceEquals(decisions[i], deciding) || decisions[i].Frame == frame) { decidingPosition = i; break; }
        if (decidingPosition < 0) decidingPosition = decisions.Count - 1;
        var scanned = decisions.Take(decidingPosition + 1).Select(x => x.Frame).FirstOrDefault(f => f.Trust == FrameTrust.Scan);
        if (scanned is not null)
            reasons.Add(new($"frame #{scanned.Index:d2} {scanned.Display} was found by scanning the stack: the frames from there on may be wrong", Confidence.Medium));
        // Code outside every module above the owner: JIT code, a bad function pointer, or a stack the debugger misread.
        var moduleless = decisions.Take(decidingPosition).Select(x => x.Frame).FirstOrDefault(f => f.Module is null && f.Function is null);
        if (moduleless is not null)
            reasons.Add(new($"frame #{moduleless.Index:d2} {moduleless.Display} above the deciding frame is in no module (JIT code, a bad function pointer or a misread stack)", Confidence.Medium));
        return reasons;
    }

    /// <summary>The lowest cap wins; two medium reasons together make it low.</summary>
    static Confidence Combine(List<Reason> reasons)
    {
        if (reasons.Count == 0) return Confidence.High;
        var lowest = reasons.Min(r => r.Cap);
        if (lowest == Confidence.Medium && reasons.Count(r => r.Cap == Confidence.Medium) >= 2) return Confidence.Low;
        return lowest;
    }

    static SymbolProblems SymbolProblemsOf(CrashReport crash, IOwnerCatalog catalog, IReadOnlyList<StackFrame> frames)
    {
        var missing = new List<ModuleSymbolAdvice>();
        var exportOnly = new List<ModuleSymbolAdvice>();
        var mismatched = new List<ModuleSymbolAdvice>();
        var seen = new HashSet<ModuleInfo>(ReferenceEqualityComparer.Instance);
        var seenNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        void Add(ModuleInfo module, bool onStack)
        {
            var list = module.Symbols switch
            {
                SymbolStatus.None => missing, SymbolStatus.ExportOnly => exportOnly, SymbolStatus.Mismatched => mismatched, _ => null,
            };
            if (list is null) return;
            list.Add(new ModuleSymbolAdvice
            {
                Module = module.FileName ?? (module.Path is { Length: > 0 } p ? ModuleNames.FileName(p) : module.Name ?? "?"),
                OnFaultingStack = onStack,
                WhereToGet = SafeWhereToGet(catalog, module, crash),
            });
        }

        // Modules on the faulting stack first, in stack order.
        foreach (var frame in frames)
        {
            var module = SafeFindModule(crash, frame);
            if (module is not null)
            {
                if (seen.Add(module)) Add(module, true);
                continue;
            }
            // Text with no module list: a frame with a module but no function means that module has no symbols.
            if (frame.Module is { Length: > 0 } name && frame.Function is null && seenNames.Add(name))
            {
                var synthetic = name.Contains('.')
                    ? new ModuleInfo { FileName = name, Name = ModuleNames.EngineName(name), Symbols = SymbolStatus.None }
                    : new ModuleInfo { Name = name, Symbols = SymbolStatus.None };
                Add(synthetic, true);
            }
        }
        foreach (var module in crash.Modules ?? [])
            if (seen.Add(module)) Add(module, false);
        return new SymbolProblems { Missing = missing, ExportOnly = exportOnly, Mismatched = mismatched };
    }

    const int MaxSymbolSteps = 5;

    static List<NextStep> BuildNextSteps(CrashReport crash, ExceptionClassification? cls, Verdict verdict, SymbolProblems symbols,
        ModuleInfo? decidingModule, FrameDecision? deciding, string processName, bool isExit)
    {
        var steps = new List<NextStep>();
        var onStack = symbols.Missing.Select(m => (m, "no symbols"))
            .Concat(symbols.ExportOnly.Select(m => (m, "export symbols only")))
            .Concat(symbols.Mismatched.Select(m => (m, "mismatched symbols")))
            .Where(x => x.m.OnFaultingStack).ToList();
        foreach (var (m, what) in onStack.Take(MaxSymbolSteps))
            steps.Add(new NextStep { Kind = "symbols",
                Text = $"Get symbols for {m.Module} (on the faulting stack, {what}): " +
                       (m.WhereToGet ?? "the catalog does not know where; ask the module's vendor for its PDB") });
        int others = symbols.Missing.Count + symbols.ExportOnly.Count + symbols.Mismatched.Count - Math.Min(onStack.Count, MaxSymbolSteps);
        if (others > 0)
            steps.Add(new NextStep { Kind = "symbols", Text = $"{others} more module(s) lack good symbols; see the symbols list." });

        steps.AddRange(NextSteps.ForClass(cls?.Class, processName, ProcessPath(crash, processName)));

        if (!isExit)
        {
            if (!IsUnknownOwner(verdict))
            {
                steps.Add(new NextStep { Kind = "report",
                    Text = $"Report it to {verdict.Owner}" + (verdict.ReportUrl is null ? "" : $": {verdict.ReportUrl}") +
                           $" — with the bucket {verdict.Bucket}, the full dump and this report.",
                    Url = verdict.ReportUrl });
                string? engineName = decidingModule?.Name ?? ModuleNames.EngineName(decidingModule?.FileName ?? deciding?.Frame.Module);
                if (NextSteps.ModuleInfoStep(engineName, verdict.Owner) is { } info) steps.Add(info);
            }
            else if (verdict.OwnerModule is { } unknownModule)
            {
                steps.Add(new NextStep { Kind = "report",
                    Text = $"{unknownModule} decided the crash but the catalog does not know who ships it: its path, company and version resource say; report it to that vendor, and add an owner and a rule for it in a site catalog (--rules) so the next triage names it." });
                string? engineName = decidingModule?.Name ?? ModuleNames.EngineName(decidingModule?.FileName ?? deciding?.Frame.Module);
                if (NextSteps.ModuleInfoStep(engineName, "its vendor") is { } info) steps.Add(info with { Text = $"See who ships {unknownModule}:" });
            }
            else
                steps.Add(new NextStep { Kind = "report",
                    Text = "No rule knows the frames of this stack: read it from the top, skipping Windows and C runtime frames; the first module of your own or a vendor's is the likely owner. `fcgi rules explain module!function` shows what the catalog does with a frame, and a site catalog (--rules) can teach it." });
            steps.Add(NextSteps.DumpStep(processName, cls?.Class ?? BucketId.NoException,
                IsUnknownOwner(verdict) ? null : verdict.Owner, verdict.ReportUrl));
        }
        steps.Add(NextSteps.VerboseStep());
        return steps;
    }

    /// <summary>The process image name: the report's, else the .exe in the module list, else php-cgi.exe.</summary>
    public static string ProcessName(CrashReport crash)
    {
        var name = crash.Process?.Name;
        if (string.IsNullOrWhiteSpace(name))
            name = (crash.Modules ?? []).Select(m => m.FileName ?? (m.Path is { Length: > 0 } p ? ModuleNames.FileName(p) : null))
                .FirstOrDefault(f => f is not null && f.EndsWith(".exe", StringComparison.OrdinalIgnoreCase));
        return NextSteps.SafeProcessName(name);
    }

    static string? ProcessPath(CrashReport crash, string processName)
    {
        foreach (var m in crash.Modules ?? [])
            if (m.Path is { Length: > 0 } p && string.Equals(ModuleNames.FileName(p), processName, StringComparison.OrdinalIgnoreCase))
                return p;
        var cmd = crash.Process?.CommandLine?.Trim();
        if (string.IsNullOrEmpty(cmd)) return null;
        string first = cmd[0] == '"'
            ? cmd[1..].Split('"')[0]
            : cmd.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return first.EndsWith(".exe", StringComparison.OrdinalIgnoreCase) ? first : null;
    }

    static string? Expand(string? text, ModuleInfo module, CrashReport crash)
    {
        if (text is null) return null;
        try { return SymbolPlaceholders.Expand(text, module, crash); }
        catch (Exception e) when (e is not OutOfMemoryException) { return text; }
    }

    /// <summary>An owner the catalog itself calls unknown (its catch-all for modules it does not know).</summary>
    static bool IsUnknownOwner(Verdict v) => v.Owner == UnknownOwner || v.Category == OwnerCategory.Unknown;

    static bool SafeIsCatalogExit(RuleCatalog catalog, StackFrame frame, CrashReport crash)
    {
        try { return catalog.IsExitFrame(frame, crash); }
        catch (Exception e) when (e is not OutOfMemoryException) { return false; }
    }

    static ModuleInfo? SafeFindModule(CrashReport crash, StackFrame frame)
    {
        try { return crash.FindModule(frame.Module, frame.InstructionPointer); }
        catch (ArgumentException) { return null; }
    }

    static string? SafeWhereToGet(IOwnerCatalog catalog, ModuleInfo module, CrashReport crash)
    {
        try { return catalog.WhereToGetSymbols(module, crash); }
        catch (Exception e) when (e is not OutOfMemoryException) { return null; }
    }
}
