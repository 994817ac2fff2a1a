using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Triage;

namespace FcgiExt.RulesEngine.Rendering;

/// <summary>
/// The report as the user reads it in a console or the debugger: the verdict in three lines first, then the
/// procedure's sections: symbols, exception, stack (each frame tagged with the rule that decided it), the verdict's
/// detail, next steps. Verbose adds the per-frame explanation and the whole trace. Plain text or DML depends only on
/// the output; the steps' form on whether the reader is in the debugger.
/// </summary>
public static class TextRenderer
{
    /// <summary>The report as a string. Plain text is read outside the debugger (`fcgi triage --stack-text`), so its steps
    /// name what runs there; DML exists only in the debugger.</summary>
    public static string Render(TriageResult result, bool verbose = false, bool dml = false)
    {
        var writer = new StringWriter();
        Render(result, new TextWriterOutput(writer, dml), verbose, outsideDebugger: !dml);
        return writer.ToString();
    }

    /// <param name="firstSection">Number of the first section: the extension prints its own "[1] Symbol set-up" first
    /// and starts the rest at 2, so the report reads as the six steps of the procedure.</param>
    /// <param name="headline">False when the caller printed <see cref="RenderHeadline"/> itself (before its own section).</param>
    public static void Render(TriageResult r, ReportOutput o, bool verbose = false, int firstSection = 1, bool outsideDebugger = false,
        bool headline = true)
    {
        int n0 = firstSection - 1;
        var crash = r.Crash;
        if (headline) RenderHeadline(r, o);
        o.Bold("FcgiExt triage");
        o.Text($": {crash.Process.Name ?? "process unknown"}");
        if (crash.Process.Architecture != Architecture.Unknown) o.Text($" ({RenderFormat.Architecture(crash.Process.Architecture)})");
        if (crash.Process.ProcessId is { } pid) o.Text($", pid {pid}");
        if (crash.Source.Live) o.Text(" — a live process stopped in the debugger");
        else
        {
            o.Text($" — from {crash.Source.Kind}");
            if (crash.Source.Path is { } path) o.Text($" {path}");
        }
        o.Line();
        if (crash.Source.SkippedLineCount > 0)
        {
            o.Warning($"The reader skipped {crash.Source.SkippedLineCount} line(s) it could not read" +
                (verbose ? ":" : " (-v lists them)."));
            o.Line();
            if (verbose)
            {
                foreach (var s in crash.Source.SkippedLines)
                    o.Line($"    line {s.LineNumber}: {s.Text}");
                if (crash.Source.SkippedLineCount > crash.Source.SkippedLines.Count)
                    o.Line($"    … and {crash.Source.SkippedLineCount - crash.Source.SkippedLines.Count} more");
            }
        }
        foreach (var note in crash.Source.Notes) o.Line($"Note: {note}");
        o.Line();

        Section(o, n0 + 1, "Symbols");
        RenderSymbols(r, o);

        Section(o, n0 + 2, "Exception");
        RenderException(r, o);

        Section(o, n0 + 3, "Stack" + (crash.FaultingThread?.Index is { } tn ? $" (thread ~{tn}" +
            (crash.FaultingThread.Id is { } tid ? $", id 0x{tid:x})" : ")") : ""));
        RenderStack(r, o, verbose);

        Section(o, n0 + 4, "Verdict");
        RenderVerdict(r, o);

        Section(o, n0 + 5, "Next steps");
        int n = 1;
        foreach (var step in r.NextSteps)
        {
            var (text, label, cmd) = RenderFormat.Step(step, outsideDebugger);
            Wrapped(o, $"  {n++}. ", text);
            if (cmd is not null)
            {
                o.Text("       ");
                if (label is not null) o.Text(label + " ");
                o.Command(cmd);
                o.Line();
            }
        }

        if (verbose && r.Explanation.Count > 0)
        {
            o.Line();
            o.Bold("Explanation");
            o.Line();
            foreach (var line in r.Explanation) o.Line($"  {line}");
        }
    }

    /// <summary>The verdict in three lines: owner, confidence, bucket — what the user came for, before the detail.</summary>
    public static void RenderHeadline(TriageResult r, ReportOutput o)
    {
        var v = r.Verdict;
        o.Text("Owner:      ");
        o.Bold(RenderFormat.OwnerLine(v));
        if (v.OwnerModule is not null && v.Owner != Triager.NoOwner) o.Text($", {v.OwnerModule}");
        o.Line();
        o.Line($"Confidence: {RenderFormat.Lower(v.Confidence)}" +
               (v.ConfidenceReasons.Count == 0 ? "" : $" ({v.ConfidenceReasons.Count} reason(s) under Verdict)"));
        o.Text("Bucket:     ");
        o.Bold(v.Bucket);
        o.Line();
        o.Line();
    }

    /// <summary>Long text wrapped at <see cref="TextLayout.DefaultWidth"/> under its label (debugger windows and terminals).</summary>
    static void Wrapped(ReportOutput o, string label, string text)
    {
        foreach (var line in TextLayout.Hanging(label, text, TextLayout.DefaultWidth)) o.Line(line);
    }

    static void Section(ReportOutput o, int number, string title)
    {
        o.Bold($"[{number}] {title}");
        o.Line();
    }

    /// <summary>The modules whose symbols are missing, export-only or mismatched, with where to get them (also !fcgisym).</summary>
    public static void RenderSymbols(TriageResult r, ReportOutput o)
    {
        var s = r.Symbols;
        if (s.Missing.Count + s.ExportOnly.Count + s.Mismatched.Count == 0)
        {
            o.Line("  " + RenderFormat.NoSymbolProblems(r.Crash));
            o.Line();
            return;
        }
        void List(string label, IReadOnlyList<ModuleSymbolAdvice> list)
        {
            foreach (var m in list)
            {
                o.Text($"  {label,-12} ");
                if (m.OnFaultingStack) o.Warning(m.Module); else o.Text(m.Module);
                o.Line(m.OnFaultingStack ? "  (on the faulting stack)" : "");
                Wrapped(o, "               get them: ", m.WhereToGet ?? "not known to the catalog; ask the module's vendor for its PDB");
            }
        }
        List("missing", s.Missing);
        List("export only", s.ExportOnly);
        List("mismatched", s.Mismatched);
        o.Line();
    }

    static void RenderException(TriageResult r, ReportOutput o)
    {
        o.Line($"  {RenderFormat.ExceptionHeadline(r)}");
        if (r.Exception is { } cls)
        {
            o.Text("  class: ");
            o.Bold(cls.Class);
            o.Line();
            if (cls.Detail is { } d) o.Line($"  {d}");
        }
        if (r.Crash.Exception is { } ex)
        {
            var parts = new List<string>();
            if (ex.Address is { } a) parts.Add($"at {RenderFormat.Address(a)}");
            if (RenderFormat.Access(ex.Access) is { } acc)
                parts.Add($"{RenderFormat.AccessVerb(ex.Access)} {RenderFormat.Address(ex.TargetAddress) ?? "?"}");
            if (ex.FirstChance is { } fc) parts.Add(fc ? "first chance" : "second chance");
            if (parts.Count > 0) o.Line("  " + string.Join(", ", parts));
        }
        o.Line();
    }

    static void RenderStack(TriageResult r, ReportOutput o, bool verbose)
    {
        if (r.Frames.Count == 0)
        {
            o.Line("  No frames.");
            o.Line();
            return;
        }
        var deciding = r.Verdict.OwnerFrame;
        int width = Math.Min(70, r.Frames.Max(d => RenderFormat.FrameWithSource(d.Frame).Length));
        foreach (var d in r.Frames)
        {
            var text = RenderFormat.FrameWithSource(d.Frame);
            o.Text($"  {d.Frame.Index:d2} ");
            bool decided = d.Action.NamesOwner() && d.Frame.Display == deciding;
            if (decided) o.Bold(text.PadRight(width)); else o.Text(text.PadRight(width));
            o.Text("  ");
            o.Text(RenderFormat.DecisionTag(d));
            if (d.Frame.Trust == FrameTrust.Scan) o.Warning("  [scanned]");
            if (SymbolTag(r, d.Frame) is { } tag) o.Warning($"  [{tag}]");
            o.Line();
            if (verbose) o.Line($"       {d.Explanation}");
        }
        if (r.Frames.Any(d => d.Action == FrameAction.NotReached))
            o.Line("  (not-reached: below the deciding frame, so not considered)");
        o.Line();
    }

    /// <summary>"no symbols", "export symbols only", "mismatched symbols" for a frame whose module lacks good symbols.</summary>
    static string? SymbolTag(TriageResult r, StackFrame f) =>
        r.Crash.FindModule(f.Module, f.InstructionPointer)?.Symbols switch
        {
            SymbolStatus.None => "no symbols",
            SymbolStatus.ExportOnly => "export symbols only",
            SymbolStatus.Mismatched => "mismatched symbols",
            _ => null,
        };

    static ModuleInfo? DecidingModule(TriageResult r) =>
        r.Verdict.OwnerModule is { } name ? r.Crash.FindModule(name) ?? r.Crash.FindModule(ModuleNames.EngineName(name)) : null;

    static void RenderVerdict(TriageResult r, ReportOutput o)
    {
        var v = r.Verdict;
        o.Text("  owner:       ");
        o.Bold(RenderFormat.OwnerLine(v));
        o.Line();
        if (v.OwnerFrame is not null) o.Line($"  frame:       {v.OwnerFrame}" + (v.OwnerModule is null ? "" : $" in {v.OwnerModule}"));
        if (DecidingModule(r) is { } m)
            Wrapped(o, "  module:      ", $"{m.FileName ?? m.Name}" +
                (m.FileVersion is { } ver ? $" {ver}" : " (version not in the input)") +
                   (m.Path is { Length: > 0 } p ? $", {p}" : "") +
                   (m.Symbols == SymbolStatus.Unknown ? "; symbol status not in the input"
                       : $"; symbols {RenderFormat.Symbols(m.Symbols)}"));
        if (v.Rule is not null) o.Line($"  rule:        {v.Rule}");
        o.Line($"  confidence:  {RenderFormat.Lower(v.Confidence)}");
        foreach (var reason in v.ConfidenceReasons) Wrapped(o, "               - ", reason);
        o.Text("  bucket:      ");
        o.Bold(v.Bucket);
        o.Line();
        if (v.ReportUrl is not null)
        {
            o.Text("  report to:   ");
            o.Url(v.ReportUrl);
            o.Line();
        }
        if (v.SymbolsHint is not null) Wrapped(o, "  symbols:     ", v.SymbolsHint);
        if (v.Advice is not null) Wrapped(o, "  advice:      ", v.Advice);
        if (v.Suspects.Count > 0)
        {
            o.Line("  suspects:");
            foreach (var s in v.Suspects)
            {
                var where = s.Frame ?? s.Module;
                Wrapped(o, "               - ", $"{s.Owner}" + (where is null ? "" : $" ({where})") + $": {s.Why}");
            }
        }
        o.Line();
    }
}
