using System.Text;
using FcgiExt.RulesEngine.Triage;

namespace FcgiExt.RulesEngine.Rendering;

/// <summary>
/// The report as Markdown, for a bug report or an issue comment: every dump-, catalog- or user-provided string
/// is escaped so it cannot turn into markup, links or HTML on the page it is pasted into.
/// </summary>
public static class MarkdownRenderer
{
    /// <param name="headingLevel">Level of the report's title (2 when a batch report nests results under its own).</param>
    public static string Render(TriageResult r, bool verbose = false, int headingLevel = 1)
    {
        var sb = new StringBuilder();
        string h1 = new('#', Math.Clamp(headingLevel, 1, 5)), h2 = h1 + "#";
        var v = r.Verdict;
        var crash = r.Crash;

        sb.Append(h1).Append(" Crash triage: ").Append(Md.Text(crash.Process.Name ?? "process unknown")).Append("\n\n");
        sb.Append("| | |\n|---|---|\n");
        Row(sb, "Owner", Md.Text(RenderFormat.OwnerLine(v)));
        if (v.OwnerFrame is not null)
            Row(sb, "Frame", Md.Code(v.OwnerFrame) + (v.OwnerModule is null ? "" : " in " + Md.Code(v.OwnerModule)));
        if (v.OwnerModule is { } om && (crash.FindModule(om) ?? crash.FindModule(Model.ModuleNames.EngineName(om))) is { } dm)
            Row(sb, "Module", Md.Code(dm.FileName ?? dm.Name ?? om) + " " + Md.Text(dm.FileVersion ?? "(version not in the input)") +
                (dm.Path is { Length: > 0 } dp ? ", " + Md.Code(dp) : "") +
                (dm.Symbols == Model.SymbolStatus.Unknown ? "" : "; symbols " + Md.Text(RenderFormat.Symbols(dm.Symbols))));
        if (v.Rule is not null) Row(sb, "Rule", Md.Code(v.Rule));
        Row(sb, "Confidence", Md.Text(RenderFormat.Lower(v.Confidence)) +
            (v.ConfidenceReasons.Count == 0 ? "" : " — " + string.Join("; ", v.ConfidenceReasons.Select(Md.Text))));
        Row(sb, "Bucket", Md.Code(v.Bucket));
        Row(sb, "Exception", Md.Text(RenderFormat.ExceptionHeadline(r)) +
            (r.Exception is null ? "" : " (" + Md.Code(r.Exception.Class) + ")"));
        if (r.Exception?.Detail is { } detail) Row(sb, "Detail", Md.Text(detail));
        if (v.ReportUrl is not null) Row(sb, "Report to", Md.Text(v.ReportUrl));
        if (v.SymbolsHint is not null) Row(sb, "Symbols", Md.Text(v.SymbolsHint));
        if (v.Advice is not null) Row(sb, "Advice", Md.Text(v.Advice));
        Row(sb, "Source", Md.Text(crash.Source.Kind + (crash.Source.Path is null ? "" : " " + crash.Source.Path)) +
            (crash.Source.SkippedLineCount == 0 ? "" : $" ({crash.Source.SkippedLineCount} line(s) skipped by the reader)"));
        sb.Append('\n');

        sb.Append(h2).Append(" Symbols\n\n");
        var s = r.Symbols;
        if (s.Missing.Count + s.ExportOnly.Count + s.Mismatched.Count == 0)
            sb.Append(Md.Text(RenderFormat.NoSymbolProblems(crash))).Append("\n\n");
        else
        {
            sb.Append("| Module | Problem | On the faulting stack | Where to get them |\n|---|---|---|---|\n");
            foreach (var (list, label) in new[] { (s.Missing, "missing"), (s.ExportOnly, "export only"), (s.Mismatched, "mismatched") })
                foreach (var m in list)
                    sb.Append("| ").Append(Md.Code(m.Module)).Append(" | ").Append(label).Append(" | ")
                      .Append(m.OnFaultingStack ? "yes" : "no").Append(" | ").Append(Md.Text(m.WhereToGet ?? "unknown")).Append(" |\n");
            sb.Append('\n');
        }

        sb.Append(h2).Append(" Stack\n\n");
        if (r.Frames.Count == 0) sb.Append("No frames.\n\n");
        else
        {
            sb.Append(verbose ? "| # | Frame | Decision | Why |\n|---|---|---|---|\n" : "| # | Frame | Decision |\n|---|---|---|\n");
            foreach (var d in r.Frames)
            {
                sb.Append("| ").Append(d.Frame.Index.ToString("d2")).Append(" | ").Append(Md.Code(RenderFormat.FrameWithSource(d.Frame)))
                  .Append(d.Frame.Trust == Model.FrameTrust.Scan ? " (scanned)" : "")
                  .Append(" | ").Append(Md.Text(RenderFormat.DecisionTag(d)));
                if (verbose) sb.Append(" | ").Append(Md.Text(d.Explanation));
                sb.Append(" |\n");
            }
            sb.Append('\n');
        }

        sb.Append(h2).Append(" Next steps\n\n");
        int n = 1;
        foreach (var step in r.NextSteps)
        {
            // Markdown is read outside the debugger: the step's outside form, debugger commands labelled.
            var (text, label, command) = RenderFormat.Step(step, outsideDebugger: true);
            sb.Append(n++).Append(". ").Append(Md.Text(text)).Append('\n');
            if (command is not null)
                sb.Append("   ").Append(label is null ? "" : Md.Text(label) + " ").Append(Md.Code(command, inTable: false)).Append('\n');
        }
        sb.Append('\n');

        if (verbose && r.Explanation.Count > 0)
        {
            sb.Append(h2).Append(" Explanation\n\n");
            sb.Append(Md.Fence(string.Join("\n", r.Explanation))).Append('\n');
        }
        return sb.ToString();
    }

    static void Row(StringBuilder sb, string key, string value) => sb.Append("| ").Append(key).Append(" | ").Append(value).Append(" |\n");
}

/// <summary>Markdown escaping (GitHub-flavoured): text, inline code and fenced blocks that stay literal.</summary>
public static class Md
{
    // Text never starts a line (it follows a cell bar, a list number or a heading), so the line-start
    // markers (#, -, +, digits with '.') need no escape; emphasis, code, links, tables and HTML do.
    const string Special = "\\`*_[]|~";

    /// <summary>Literal text, also safe inside a table cell: every markup character is backslash-escaped,
    /// line breaks become spaces (a newline would end the table row).</summary>
    public static string Text(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length + 8);
        foreach (var ch in text)
        {
            if (ch is '\r' or '\n') { sb.Append(' '); continue; }
            if (char.IsControl(ch)) continue;
            if (ch == '<') { sb.Append("&lt;"); continue; }
            if (ch == '>') { sb.Append("&gt;"); continue; }
            if (ch == '&') { sb.Append("&amp;"); continue; }
            if (Special.Contains(ch)) sb.Append('\\');
            sb.Append(ch);
        }
        return sb.ToString();
    }

    /// <summary>Inline code: a backtick run longer than any inside; '|' escaped so table cells hold (GFM).</summary>
    public static string Code(string? text, bool inTable = true)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var clean = new string(text.Select(c => c is '\r' or '\n' ? ' ' : c).Where(c => !char.IsControl(c)).ToArray());
        if (inTable) clean = clean.Replace("|", "\\|");
        int longest = 0, run = 0;
        foreach (var ch in clean) { run = ch == '`' ? run + 1 : 0; longest = Math.Max(longest, run); }
        var fence = new string('`', longest + 1);
        bool pad = clean.StartsWith('`') || clean.EndsWith('`');
        return pad ? $"{fence} {clean} {fence}" : $"{fence}{clean}{fence}";
    }

    /// <summary>A fenced block longer than any backtick run in the text, so nothing inside ends it.</summary>
    public static string Fence(string text)
    {
        int longest = 0, run = 0;
        foreach (var ch in text) { run = ch == '`' ? run + 1 : 0; longest = Math.Max(longest, run); }
        var fence = new string('`', Math.Max(3, longest + 1));
        return $"{fence}text\n{text}\n{fence}\n";
    }
}
