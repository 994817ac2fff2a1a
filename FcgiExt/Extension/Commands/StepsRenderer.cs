using FcgiExt.DbgEng.Analysis;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Symbols;
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
        o.Line($"  {SymbolLine(run.SymbolPlan, run.SymbolLoad)}");
        o.Line($"  symbol path: {run.SymbolPlan.SymbolPath}");
        if (!string.IsNullOrEmpty(run.ImagePath)) o.Line($"  image path:  {run.ImagePath}");
        if (run.SymbolLoad.TurnedOnLines) o.Line("  line numbers turned on (.lines)");
        o.Line();
    }

    /// <summary>What !fcgi changed in the session's symbols, in one line: "symbol path: added …; reloaded",
    /// "symbol path unchanged; no reload", or the faulting stack's modules it reloaded.</summary>
    public static string SymbolLine(SymbolPathPlan plan, SymbolLoadReport load)
    {
        const string Added = "added ";
        var added = plan.Changes.Where(c => c.StartsWith(Added, StringComparison.Ordinal)).Select(c => c[Added.Length..]).ToList();
        var notes = plan.Changes.Where(c => !c.StartsWith(Added, StringComparison.Ordinal)).ToList();
        string path = load.PathChanged && added.Count > 0 ? "symbol path: added " + string.Join(", ", added) : "symbol path unchanged";
        if (notes.Count > 0) path += "; " + string.Join("; ", notes);
        string reload = load.ReloadedAll ? "reloaded"
            : load.ReloadedModules.Count > 0
                ? $"reloaded {string.Join(", ", load.ReloadedModules)} (on the faulting stack without symbols)"
                : "no reload";
        string deferred = load.LoadedDeferred > 0 && !load.ReloadedAll
            ? $"; loaded the deferred symbols of {load.LoadedDeferred} module(s)" : "";
        return $"{path}; {reload}{deferred}";
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
