using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>
/// Step 7: what the user does next, in the order that helps: first the verdict's own action (for a voluntary exit
/// the instanceMaxRequests fix; for heap damage page heap; else the report to the owner with what to attach), then
/// the class's steps, then symbols — only for the modules the verdict was read from (at or above the deciding
/// frame, or the deciding module), Microsoft's together in one step — and last how to see the reasoning.
/// </summary>
public static partial class NextStepsStep
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

        // 1. The verdict's own action: for a reporter's own stack, the faulting thread's context first.
        if (owner.ReporterStack && !cls.IsExit) steps.AddRange(FaultingContextSteps(processName));
        if (cls.IsExit)
        {
            steps.AddRange(classSteps);
            classSteps.Clear();
        }
        else
        {
            bool heapDamage = owner.Evidence == OwnerEvidence.HeapDamage;
            if (heapDamage || NextSteps.IsHeapClass(cls.Name ?? ""))
            {
                steps.AddRange(classSteps.Count(s => s.Kind == "page-heap") > 0
                    ? classSteps.Where(s => s.Kind == "page-heap") : NextSteps.PageHeapSteps(processName));
                classSteps.RemoveAll(s => s.Kind == "page-heap");
            }
            steps.AddRange(ReportSteps(crash, cls, owner, verdict, heapDamage));
        }

        // 2. The class's steps.
        steps.AddRange(classSteps);

        // 3. Symbols for the modules the verdict was read from.
        steps.AddRange(SymbolSteps(crash, owner, symbols));

        steps.Add(VerboseStep(crash));
        return steps;
    }

    /// <summary>The stack shown is the reporter's: where the faulting thread's context is.</summary>
    static IEnumerable<NextStep> FaultingContextSteps(string processName)
    {
        yield return new NextStep { Kind = "class",
            Text = "This stack is the thread that reported the crash, not the one that faulted. Switch to the exception record's " +
                   "context (.ecxr; or .exr -1, then .cxr with the context record's address) and read the faulting stack there:",
            Runs = NextStep.InDebugger, Command = ".ecxr; kn",
            Outside = new NextStep { Kind = "class",
                Text = "This stack is the thread that reported the crash, not the one that faulted: in WinDbg on the dump, .ecxr then " +
                       "kn gives the faulting stack; paste that (fcgi triage --stack-text)." } };
        yield return new NextStep { Kind = "dump",
            Text = $"If the dump holds no exception context, take the next one with the exception pointers: procdump -e -ma " +
                   $"{processName} (or MiniDumpWriteDump with MINIDUMP_EXCEPTION_INFORMATION in the process's own crash filter)." };
    }

    static IEnumerable<NextStep> ReportSteps(CrashReport crash, CrashClass cls, OwnerDecision owner, Verdict verdict, bool heapDamage)
    {
        string? engineName = owner.DecidingModule?.Name
            ?? ModuleNames.EngineName(owner.DecidingModule?.FileName ?? owner.Deciding?.Frame.Module);
        if (heapDamage)
        {
            yield return new NextStep { Kind = "report",
                Text = "Do not report it to the module that found the damage yet: the heap was damaged earlier, by code this stack " +
                       "may not show. The suspects list says where to look first; the dump taken with page heap on names the culprit." };
            if (NextSteps.ModuleInfoStep(engineName, "its vendor") is { } detectorInfo)
                yield return detectorInfo with { Text = $"See the version and vendor of {owner.DecidingModule?.FileName ?? engineName}, " +
                    "the first suspect:" };
        }
        else if (!IsUnknownOwner(verdict))
        {
            yield return new NextStep { Kind = "report",
                Text = $"Report it to {verdict.Owner}" + (verdict.ReportUrl is null ? "" : $": {verdict.ReportUrl}") +
                       $" — with the bucket {verdict.Bucket}, the full dump (below), this report and the version of " +
                       $"{verdict.OwnerModule ?? "the module"}.",
                Url = verdict.ReportUrl };
            if (NextSteps.ModuleInfoStep(engineName, verdict.Owner) is { } info) yield return info;
        }
        else if (verdict.OwnerModule is { } unknownModule)
        {
            yield return new NextStep { Kind = "report",
                Text = $"{unknownModule} decided the crash but the catalog does not know who ships it: its path, company and version " +
                       "resource say; report it to that vendor, and add an owner and a rule for it in a site catalog (--rules) so " +
                       "the next " +
                       "triage names it." };
            if (NextSteps.ModuleInfoStep(engineName, "its vendor") is { } info)
                yield return info with { Text = $"See who ships {unknownModule}:" };
        }
        else
            yield return new NextStep { Kind = "report",
                Text = "No rule knows the frames of this stack: read it from the top, skipping Windows and C runtime frames; the first " +
                       "module of your own or a vendor's is the likely owner. `fcgi rules explain module!function` shows what the " +
                       "catalog " +
                       "does with a frame, and a site catalog (--rules) can teach it." };
        yield return NextSteps.DumpStep(Triager.NamedProcess(crash), cls.Name ?? BucketId.NoException,
            IsUnknownOwner(verdict) ? null : verdict.Owner, verdict.ReportUrl, live: crash.Source.Live);
    }

    /// <summary>
    /// Symbol steps for the modules of the frames at or above the deciding frame (all frames when none decided) and for
    /// the deciding module; frames below the deciding frame never change the verdict, so their modules get no step.
    /// Modules whose owner names Microsoft's symbol server share one step.
    /// </summary>
    static IEnumerable<NextStep> SymbolSteps(CrashReport crash, OwnerDecision owner, SymbolProblems symbols)
    {
        var read = ModulesTheVerdictReads(crash, owner);
        var problems = symbols.Missing.Select(m => (m, "no symbols"))
            .Concat(symbols.ExportOnly.Select(m => (m, "export symbols only")))
            .Concat(symbols.Mismatched.Select(m => (m, "mismatched symbols")))
            .Where(x => read.Contains(x.m.Module) || read.Contains(ModuleNames.EngineName(x.m.Module) ?? x.m.Module))
            .ToList();
        var microsoft = problems.Where(x => x.m.SymbolServer == Owner.MicrosoftSymbolServer).Select(x => x.m.Module).ToList();
        if (microsoft.Count > 0)
        {
            var names = string.Join(", ", microsoft.Select(m => ModuleNames.EngineName(m) ?? m).Distinct(StringComparer.OrdinalIgnoreCase));
            yield return new NextStep { Kind = "symbols",
                Text = $"Symbols for {names}: Microsoft's public symbol server has them; point the symbol path at it and reload:",
                Command = @".symfix+ c:\symbols; .reload", Runs = NextStep.InDebugger,
                Outside = new NextStep { Kind = "symbols",
                    Text = $"Symbols for {names}: fcgi triage gets them from Microsoft's public symbol server when it can reach it " +
                           "(not with --offline); without network, put the PDBs in a folder (symchk /om on a machine with network) " +
                           "and pass it:",
                    Command = FcgiTriage(crash, "--sympath <folder>"), Runs = NextStep.InFcgi } };
        }
        foreach (var (m, what) in problems.Where(x => x.m.SymbolServer != Owner.MicrosoftSymbolServer).Take(MaxSymbolSteps))
        {
            string text = $"Get symbols for {m.Module} ({what}): " +
                          (m.WhereToGet ?? "the catalog does not know where; ask the module's vendor for its PDB");
            yield return new NextStep { Kind = "symbols", Text = text,
                Outside = new NextStep { Kind = "symbols", Text = text.TrimEnd('.') + ". Then triage again with the folder that holds it:",
                    Command = FcgiTriage(crash, "--sympath <folder>"), Runs = NextStep.InFcgi } };
        }
    }

    /// <summary>Module names (file and engine name) of the frames the owner was read from, and the deciding module.</summary>
    static HashSet<string> ModulesTheVerdictReads(CrashReport crash, OwnerDecision owner)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        void Add(ModuleInfo? m, string? frameModule)
        {
            foreach (var n in new[] { m?.FileName, m?.Name, ModuleNames.EngineName(m?.FileName), frameModule })
                if (n is { Length: > 0 }) names.Add(n);
        }
        foreach (var d in owner.Decisions)
        {
            if (d.Action == FrameAction.NotReached) continue;
            Add(crash.FindModule(d.Frame.Module, d.Frame.InstructionPointer), d.Frame.Module);
            if (owner.Deciding is { } deciding && (ReferenceEquals(d, deciding) || d.Frame == deciding.Frame)) break;
        }
        if (owner.DecidingModule is { } dm) Add(dm, null);
        return names;
    }

    static NextStep VerboseStep(CrashReport crash) => new()
    {
        Kind = "verbose", Text = "See why each frame was skipped or decided:", Command = "!fcgi -v", Runs = NextStep.InDebugger,
        Outside = new NextStep { Kind = "verbose", Text = "See why each frame was skipped or decided:", Command = FcgiTriage(crash, "-v"),
            Runs = NextStep.InFcgi },
    };

    [GeneratedRegex(@"^[A-Za-z0-9_./\\:() \-]{1,260}$")]
    private static partial Regex SafePath();

    /// <summary>`fcgi triage options input`: the input the report came from when its path is plain, else a placeholder.</summary>
    static string FcgiTriage(CrashReport crash, string options)
    {
        bool dump = crash.Source.Kind == "dbgeng";
        string input = crash.Source.Path is { } p && SafePath().IsMatch(p)
            ? (p.Contains(' ') ? $"\"{p}\"" : p) : dump ? "<dump>" : "<file>";
        return dump ? $"fcgi triage {options} {input}" : $"fcgi triage {options} --stack-text {input}";
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
