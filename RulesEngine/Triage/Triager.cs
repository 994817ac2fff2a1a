using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>
/// The one analysis entry point: crash report + layered catalog → verdict. `!fcgi`, the engine host's `serve`,
/// `fcgi triage &lt;dumps&gt;` and `fcgi triage --stack-text` all call <see cref="Triage"/>, so the same input and
/// catalogs give the same verdict everywhere. The steps, each a small class: classify → walk → owner →
/// confidence → bucket → symbols → next steps. Never throws: every renderer and the batch tool rely on a result.
/// </summary>
public static class Triager
{
    public const string UnknownOwner = "unknown", NoOwner = "none";

    public static TriageResult Triage(CrashReport crash, IOwnerCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(crash);
        ArgumentNullException.ThrowIfNull(catalog);
        try
        {
            return Run(Normalised(crash), catalog);
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

    /// <summary>Reports built by hand (tests, fuzzers, JSON) may leave lists null: make them empty once, here; and a
    /// 32-bit target's addresses are cut to 32 bits.</summary>
    static CrashReport Normalised(CrashReport crash) => AddressWidth.CutTo32Bits(NoNullLists(crash));

    static CrashReport NoNullLists(CrashReport crash) =>
        crash.Modules is null || crash.Process is null || crash.Source is null || crash.FaultingThread is { Frames: null }
            ? crash with
            {
                Modules = crash.Modules ?? [], Process = crash.Process ?? new(), Source = crash.Source ?? new(),
                FaultingThread = crash.FaultingThread is { Frames: null } t ? t with { Frames = [] } : crash.FaultingThread,
            }
            : crash;

    static TriageResult Run(CrashReport crash, IOwnerCatalog catalog)
    {
        crash = ClassifyStep.WithoutExitBreakpoint(crash, catalog);
        var cls = ClassifyStep.Run(crash, catalog);
        var walk = WalkStep.Run(crash, catalog, cls);
        var owner = OwnerStep.Run(crash, catalog, cls, walk);
        var reasons = ConfidencePolicy.Evaluate(new TriageFacts(crash, cls, walk, owner));
        var confidence = ConfidencePolicy.Combine(reasons);
        var bucket = BucketStep.Run(crash, catalog, cls, walk, owner);
        var verdict = VerdictOf(crash, catalog, cls, owner, confidence, reasons, bucket);
        var symbols = SymbolsStep.Run(crash, catalog);
        var steps = NextStepsStep.Run(crash, cls, owner, verdict, symbols);

        var explanation = new List<string> { ClassifyStep.Explain(crash, cls) };
        explanation.AddRange(walk.Trace);
        explanation.AddRange(owner.Trace);
        if (owner.Owner is { } o && !OwnerCategory.All.Contains(o.Category))
            explanation.Add($"owner {o.Name} has category '{o.Category}', which is not one of the known categories: reported as unknown");
        explanation.Add(cls.IsExit
            ? $"verdict: no crash, a voluntary exit: owner none; bucket {bucket}"
            : owner.Owner is null
                ? owner.ReporterStack
                    ? $"verdict: owner unknown, {OwnerStep.ReporterStackText(owner.ReportingFrame)}; bucket {bucket}"
                    : $"verdict: owner unknown; bucket {bucket}"
                : $"verdict: owner {verdict.Owner} ({verdict.Category}) " +
                  $"by {(owner.RuleId is { } id ? $"rule {id}" : "the runtime's report")} " +
                  $"({(owner.Strength ?? FrameAction.Owner).Name()}, {owner.Evidence.ToString().ToLowerInvariant()})" +
                  (owner.Deciding is { } d ? $" at frame #{d.Frame.Index:d2} {d.Frame.Display}" : "") + $"; bucket {bucket}");
        foreach (var r in reasons)
            explanation.Add($"confidence reason {r.Id} (caps at {Name(r.Cap)}): {r.Text}");
        explanation.Add($"confidence: {Name(confidence)}" + (reasons.Count == 0 ? " (no reason lowers it)" : ""));

        return new TriageResult
        {
            Crash = crash,
            Exception = cls.Classification,
            Verdict = verdict,
            Frames = owner.Decisions,
            Symbols = symbols,
            NextSteps = steps,
            Explanation = explanation,
        };
    }

    static string Name(Confidence c) => c.ToString().ToLowerInvariant();

    static Verdict VerdictOf(CrashReport crash, IOwnerCatalog catalog, CrashClass cls, OwnerDecision decision, Confidence confidence,
        IReadOnlyList<AppliedReason> reasons, string bucket)
    {
        var owner = decision.Owner;
        if (owner is not null && !OwnerCategory.All.Contains(owner.Category))
            // The contract's category list is fixed (reports group by it); a catalog typo must not leak into it.
            owner = owner with { Category = OwnerCategory.Unknown };
        var deciding = decision.Deciding;
        var module = decision.DecidingModule ?? (deciding?.Frame.Module is { Length: > 0 } fm
            ? new ModuleInfo { Name = ModuleNames.EngineName(fm) ?? fm, FileName = fm.Contains('.') ? fm : null } : null);
        string? symbolsHint = null;
        if (module is not null && owner is not null)
            symbolsHint = catalog.WhereToGetSymbols(module, crash) ?? Expand(owner.Symbols, module, crash);
        return new Verdict
        {
            Owner = cls.IsExit ? NoOwner : owner?.Name ?? UnknownOwner,
            OwnerModule = cls.IsExit || deciding is null || owner is null
                ? null : decision.DecidingModule?.FileName ?? decision.DecidingModule?.Name ?? deciding.Frame.Module,
            OwnerFrame = cls.IsExit || owner is null ? null : deciding?.Frame.Display,
            Category = cls.IsExit ? OwnerCategory.None : owner?.Category ?? OwnerCategory.Unknown,
            Confidence = confidence,
            ConfidenceReasons = reasons.Select(r => r.Text).ToList(),
            Bucket = bucket,
            Rule = cls.IsExit ? null : decision.RuleId,
            ReportUrl = owner?.ReportUrl,
            // Without a module the owner's text still has its placeholders filled (as unknown), never left as {…}.
            SymbolsHint = symbolsHint ?? (owner?.Symbols is { } raw ? Expand(raw, new ModuleInfo(), crash) : null),
            Advice = module is null ? owner?.Advice : Expand(owner?.Advice, module, crash),
            Suspects = decision.Suspects,
        };
    }

    /// <summary>The process image name: the report's, else the .exe in the module list, else php-cgi.exe.</summary>
    public static string ProcessName(CrashReport crash) => NextSteps.SafeProcessName(NamedProcess(crash));

    /// <summary>The process the input names (the report's, else the .exe in the module list); null when none.</summary>
    public static string? NamedProcess(CrashReport crash)
    {
        var name = crash.Process?.Name;
        if (string.IsNullOrWhiteSpace(name))
            name = (crash.Modules ?? []).Select(m => m.FileName ?? (m.Path is { Length: > 0 } p ? ModuleNames.FileName(p) : null))
                .FirstOrDefault(f => f is not null && f.EndsWith(".exe", StringComparison.OrdinalIgnoreCase));
        return string.IsNullOrWhiteSpace(name) ? null : name;
    }

    /// <summary>Owner texts may hold placeholders ({module}, {php_version}, …) the catalog fills per module.</summary>
    static string? Expand(string? text, ModuleInfo module, CrashReport crash) =>
        text is null ? null : SymbolPlaceholders.Expand(text, module, crash);
}
