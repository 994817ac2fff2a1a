using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>Step 7: what the user does next. Heap damage puts full page heap first: without it no stack names the
/// culprit. Otherwise symbols for the faulting stack, the class's steps, the report to the owner, the dump.</summary>
public static class NextStepsStep
{
    const int MaxSymbolSteps = 5;

    public static List<NextStep> Run(CrashReport crash, CrashClass cls, OwnerDecision owner, Verdict verdict, SymbolProblems symbols)
    {
        var steps = new List<NextStep>();
        string processName = Triager.ProcessName(crash);
        // With only an exit code, `fcgi explain`'s steps: they include how to get a dump of the next crash.
        var classSteps = crash.Exception is null && crash.Process.ExitCode is { } exitCode
            ? ExitCodeExplainer.Explain(exitCode, ExceptionCodes.Hex(exitCode), "hexadecimal", processName).NextSteps.ToList()
            : NextSteps.ForClass(cls.Name, processName, ProcessPath(crash, processName));
        bool heapDamage = owner.Evidence == OwnerEvidence.HeapDamage;
        if (heapDamage)
        {
            var pageHeap = NextSteps.PageHeapSteps(processName).ToList();
            steps.AddRange(pageHeap);
            classSteps.RemoveAll(s => s.Kind == "page-heap");
        }

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

        steps.AddRange(classSteps);
        if (!cls.IsExit)
        {
            string? engineName = owner.DecidingModule?.Name
                ?? ModuleNames.EngineName(owner.DecidingModule?.FileName ?? owner.Deciding?.Frame.Module);
            if (heapDamage)
                steps.Add(new NextStep { Kind = "report",
                    Text = "Do not report it to the module that found the damage yet: the heap was damaged earlier, by code this stack " +
                           "may not show. The suspects list says where to look first; the dump taken with page heap on names the culprit." });
            if (heapDamage && NextSteps.ModuleInfoStep(engineName, "its vendor") is { } detectorInfo)
                steps.Add(detectorInfo with { Text = $"See the version and vendor of {owner.DecidingModule?.FileName ?? engineName}, the first suspect:" });
            else if (!IsUnknownOwner(verdict))
            {
                steps.Add(new NextStep { Kind = "report",
                    Text = $"Report it to {verdict.Owner}" + (verdict.ReportUrl is null ? "" : $": {verdict.ReportUrl}") +
                           $" — with the bucket {verdict.Bucket}, the full dump and this report.",
                    Url = verdict.ReportUrl });
                if (NextSteps.ModuleInfoStep(engineName, verdict.Owner) is { } info) steps.Add(info);
            }
            else if (verdict.OwnerModule is { } unknownModule)
            {
                steps.Add(new NextStep { Kind = "report",
                    Text = $"{unknownModule} decided the crash but the catalog does not know who ships it: its path, company and version " +
                           "resource say; report it to that vendor, and add an owner and a rule for it in a site catalog (--rules) so the next " +
                           "triage names it." });
                if (NextSteps.ModuleInfoStep(engineName, "its vendor") is { } info) steps.Add(info with { Text = $"See who ships {unknownModule}:" });
            }
            else
                steps.Add(new NextStep { Kind = "report",
                    Text = "No rule knows the frames of this stack: read it from the top, skipping Windows and C runtime frames; the first " +
                           "module of your own or a vendor's is the likely owner. `fcgi rules explain module!function` shows what the catalog " +
                           "does with a frame, and a site catalog (--rules) can teach it." });
            steps.Add(NextSteps.DumpStep(Triager.NamedProcess(crash), cls.Name ?? BucketId.NoException,
                IsUnknownOwner(verdict) ? null : verdict.Owner, verdict.ReportUrl));
        }
        steps.Add(NextSteps.VerboseStep());
        return steps;
    }

    /// <summary>An owner the catalog itself calls unknown (its catch-all for modules it does not know).</summary>
    static bool IsUnknownOwner(Verdict v) => v.Owner == Triager.UnknownOwner || v.Category == OwnerCategory.Unknown;

    static string? ProcessPath(CrashReport crash, string processName)
    {
        foreach (var m in crash.Modules)
            if (m.Path is { Length: > 0 } p && string.Equals(ModuleNames.FileName(p), processName, StringComparison.OrdinalIgnoreCase))
                return p;
        var cmd = crash.Process.CommandLine?.Trim();
        if (string.IsNullOrEmpty(cmd)) return null;
        string first = cmd[0] == '"'
            ? cmd[1..].Split('"')[0]
            : cmd.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return first.EndsWith(".exe", StringComparison.OrdinalIgnoreCase) ? first : null;
    }
}
