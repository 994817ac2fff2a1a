using FcgiExt.DbgEng.Analysis;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Triage;

namespace FcgiExt.Extension.Commands;

/// <summary>The parts of the !fcgi report only a live engine has: the symbol set-up it did and the processes of
/// the session. The rest of the report is RulesEngine's TextRenderer, the same one the CLI uses.</summary>
static class StepsRenderer
{
    public static void SymbolSetup(ReportOutput o, FcgiRun run)
    {
        o.Bold("[1] Symbol set-up");
        o.Line();
        foreach (var change in run.SymbolPlan.Changes) o.Line($"  {change}");
        if (!run.SymbolPlan.Changed) o.Line("  symbol path unchanged");
        o.Line($"  symbol path: {run.SymbolPlan.SymbolPath}");
        if (!string.IsNullOrEmpty(run.ImagePath)) o.Line($"  image path:  {run.ImagePath}");
        o.Line("  line numbers on (SYMOPT_LOAD_LINES); symbols reloaded (.reload /f)");
        o.Line();
    }

    public static void Processes(ReportOutput o, FcgiRun run)
    {
        if (!run.HasEvent)
        {
            o.Warning("No debug event in this session: nothing stopped the worker yet.");
            o.Line();
            o.Line("  Live: `sxe av` (and `sxe -c \"\" c0000374`), then `g` until php-cgi.exe faults, then !fcgi.");
            o.Line("  Or capture a dump on the crash: procdump -ma -e php-cgi.exe, or DebugDiag's crash rule, then open it.");
            o.Line("  Reading the current thread's stack instead (a worker inside ExitProcess is a voluntary exit).");
            o.Line();
        }
        if (run.Processes.Count <= 1) return;
        o.Bold("Processes in this session");
        o.Line();
        foreach (var p in run.Processes)
        {
            bool fastCgi = p.ExecutableName is { } n &&
                (n.StartsWith("php", StringComparison.OrdinalIgnoreCase) || n.StartsWith("ruby", StringComparison.OrdinalIgnoreCase));
            o.Line($"  |{p.EngineId} pid {p.SystemId} {p.ExecutableName ?? "?"}" +
                   (fastCgi ? "  (FastCGI worker)" : "") + (p.RaisedTheEvent ? "  <- raised the event, analysed below" : ""));
        }
        o.Line();
    }

    public static void ModulesOnly(ReportOutput o, TriageResult result)
    {
        o.Bold("[2] Modules with symbol problems");
        o.Line();
        TextRenderer.RenderSymbols(result, o);
    }
}
