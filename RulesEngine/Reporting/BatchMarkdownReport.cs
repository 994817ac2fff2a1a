using System.Text;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.RulesEngine.Reporting;

/// <summary>
/// The batch report as Markdown, for an issue or a wiki page: a summary table, then per bucket the verdict, why,
/// the exception, the stack down to the deciding frame and two below (what a maintainer asks for: "share the k
/// output"), the deciding module, symbols and next steps; failed dumps; with -v every dump's own stack.
/// Escaping is Rendering.Md's: one place decides what is safe.
/// </summary>
public static class BatchMarkdownReport
{
    static string MdText(string? s) => s is null ? "-" : Md.Text(s);

    public static string Render(BatchReport r, bool verbose = false)
    {
        var sb = new StringBuilder();
        sb.Append("# FastCGI crash triage\n\n").Append(Md.Text(BatchReportRenderers.Summary(r))).Append(".\n\n");
        if (r.Buckets.Count > 0)
        {
            sb.Append("## Buckets\n\n");
            sb.Append("| # | owner | class | count | confidence | seen |\n|---:|---|---|---:|---|---|\n");
            for (int i = 0; i < r.Buckets.Count; i++)
            {
                var b = r.Buckets[i];
                sb.Append($"| {i + 1} | {MdText(Owner(b.Owner, b.Detail))} | {MdText(b.ExceptionClass)} | {b.Count} " +
                    $"| {MdText(b.Confidence)} | ")
                  .Append(Md.Text(Seen(b.FirstSeen, b.LastSeen))).Append(" |\n");
            }
        }
        for (int i = 0; i < r.Buckets.Count; i++)
        {
            var b = r.Buckets[i];
            sb.Append($"\n## {i + 1}. {MdText(Owner(b.Owner, b.Detail))} — {MdText(b.ExceptionClass ?? "no exception")}, ")
              .Append(b.Count == 1 ? "1 dump" : $"{b.Count} dumps").Append("\n\n");
            sb.Append("- bucket: ").Append(Md.Code(b.Bucket, inTable: false)).Append('\n');
            sb.Append("- seen: ").Append(Md.Text(Seen(b.FirstSeen, b.LastSeen))).Append('\n');
            if (b.Detail is { } d) Detail(sb, d, verbose: false);
            sb.Append(b.AllDumps.Count == 1 ? "- dump: " : "- dumps: ")
                .Append(string.Join(", ", b.AllDumps.Select(x => Md.Code(x, inTable: false))))
              .Append('\n');
            if (b.Detail is { } withSteps) Steps(sb, withSteps);
        }
        var failed = r.Dumps.Where(d => !d.Triaged).ToList();
        if (failed.Count > 0)
        {
            sb.Append("\n## Could not be triaged\n\n");
            foreach (var f in failed)
                sb.Append("- ").Append(Md.Code(f.Dump, inTable: false)).Append(": ").Append(MdText(f.Error)).Append('\n');
        }
        if (verbose)
            foreach (var dump in r.Dumps.Where(d => d.Triaged && d.Detail is not null))
            {
                sb.Append("\n## Dump ").Append(Md.Code(dump.Dump, inTable: false)).Append("\n\n");
                sb.Append("- bucket: ").Append(Md.Code(dump.Get("verdict", "bucket") ?? "-", inTable: false)).Append('\n');
                Detail(sb, dump.Detail!, verbose: true);
            }
        return sb.ToString();
    }

    static string Owner(string owner, DumpDetail? d) => d?.IsExit == true || owner == "none" ? RenderFormat.NotACrash : owner;

    static string Seen(DateTimeOffset? first, DateTimeOffset? last) =>
        first is null ? "-" : first == last ? BatchReportRenderers.Time(first)
            : $"{BatchReportRenderers.Time(first)} to {BatchReportRenderers.Time(last)}";

    static void Detail(StringBuilder sb, DumpDetail d, bool verbose)
    {
        sb.Append("- verdict: ").Append(Md.Text(BatchTextReport.Sentence(d))).Append('\n');
        foreach (var reason in d.ConfidenceReasons) sb.Append("  - ").Append(Md.Text(reason)).Append('\n');
        foreach (var suspect in d.Suspects) sb.Append("- suspect: ").Append(Md.Text(suspect)).Append('\n');
        if (d.ExceptionLine is { } ex) sb.Append("- exception: ").Append(Md.Text(ex)).Append('\n');
        if (d.ExceptionDetail is { } detail) sb.Append("  - ").Append(Md.Text(detail)).Append('\n');
        if (d.DecidingModule is { } m)
            sb.Append("- module: ").Append(Md.Code(m.FileName, inTable: false)).Append(' ')
              .Append(Md.Text(m.Version ?? "(version not in the dump)"))
              .Append(m.Path is { } p ? ", " + Md.Code(p, inTable: false) : "").Append("; symbols ").Append(MdText(m.Symbols)).Append('\n');
        var frames = verbose ? d.AllFrames.Select(x => x.Frame).ToList() : d.Stack.ToList();
        if (frames.Count > 0)
        {
            sb.Append("\n| # | frame | decision | symbols |").Append(verbose ? " why |" : "").Append('\n')
              .Append("|---:|---|---|---|").Append(verbose ? "---|" : "").Append('\n');
            for (int i = 0; i < frames.Count; i++)
            {
                var f = frames[i];
                string frame = Md.Code(f.Display) + (f.Source is { } src ? " " + Md.Text(src) : "") + (f.Inline ? " (inline)" : "")
                               + (f.Scanned ? " (scanned)" : "");
                var shown = BatchTextReport.ShownDecision(frames, i);
                string decision = f.Deciding ? "**" + Md.Text(shown) + "**" : Md.Text(shown);
                sb.Append($"| {f.Index:d2} | {frame} | {decision} | {MdText(f.Symbols)} |");
                if (verbose) sb.Append(' ').Append(MdText(i < d.AllFrames.Count ? d.AllFrames[i].Explanation : null)).Append(" |");
                sb.Append('\n');
            }
            if (!verbose && d.FramesNotShown > 0) sb.Append($"\n{d.FramesNotShown} more frame(s) below; `fcgi triage -v` shows them.\n");
            sb.Append('\n');
        }
        if (d.SymbolProblems.Count > 0)
        {
            sb.Append("- symbols lacking: ")
              .Append(string.Join(", ", d.SymbolProblems.Select(s => Md.Code(s.Module, inTable: false) + " (" + s.Problem +
                                                                      (s.OnFaultingStack ? ", on the stack" : "") + ")")))
              .Append('\n');
        }
    }

    static void Steps(StringBuilder sb, DumpDetail d)
    {
        if (d.Steps.Count == 0) return;
        sb.Append("\n**Next steps**\n\n");
        int n = 1;
        foreach (var step in d.Steps.Select(s => s.ForReader))
        {
            sb.Append(n++).Append(". ").Append(Md.Text(step.Text)).Append('\n');
            if (step.Command is { } cmd)
                sb.Append("   ").Append(step.Label is { } label ? Md.Text(label) + " " : "").Append(Md.Code(cmd, inTable: false))
                    .Append('\n');
        }
    }
}
