using System.Globalization;
using System.Text;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.RulesEngine.Reporting;

/// <summary>
/// The batch report for a terminal, fitted to its width: a summary table (owner, class, count, confidence), then
/// one block per bucket with what a maintainer asks for — the exception, the stack down to the deciding frame and
/// two below, the deciding module, symbols, the next steps — then the dumps. With -v, one block per dump as well.
/// </summary>
public static class BatchTextReport
{
    const string Indent = "    ";

    public static string Render(BatchReport r, bool verbose = false, int width = TextLayout.DefaultWidth)
    {
        width = Math.Clamp(width, TextLayout.MinWidth, TextLayout.MaxWidth);
        var sb = new StringBuilder();
        sb.AppendLine(BatchReportRenderers.Summary(r)).AppendLine();
        if (r.Buckets.Count > 0)
        {
            sb.AppendLine("Buckets");
            sb.Append(TextLayout.Table(["#", "count", "owner", "class", "confidence"],
                r.Buckets.Select((b, i) => new[] { Num(i + 1), Num(b.Count), OwnerText(b.Owner, b.Detail), b.ExceptionClass ?? "-",
                    b.Confidence })
                    .ToList(), width, new HashSet<int> { 0, 1 }));
        }
        for (int i = 0; i < r.Buckets.Count; i++)
        {
            var b = r.Buckets[i];
            sb.AppendLine();
            var title = $"[{i + 1}] {OwnerText(b.Owner, b.Detail)} — {b.ExceptionClass ?? "no exception"}, {Dumps(b.Count)}, " +
                $"confidence {b.Confidence}";
            foreach (var line in TextLayout.Wrap(title, width)) sb.AppendLine(line);
            Field(sb, "bucket", b.Bucket, width);
            Field(sb, "seen", Seen(b.FirstSeen, b.LastSeen), width);
            if (b.Detail is { } d) Detail(sb, d, width, verbose: false);
            Field(sb, b.AllDumps.Count == 1 ? "dump" : "dumps", string.Join(", ", b.AllDumps), width);
            if (b.Detail is { } steps) Steps(sb, steps, width);
        }
        var failed = r.Dumps.Where(d => !d.Triaged).ToList();
        if (failed.Count > 0)
        {
            sb.AppendLine().AppendLine("Could not be triaged");
            foreach (var f in failed)
                foreach (var line in TextLayout.Hanging($"{Indent}{f.Dump}: ", f.Error ?? "no result", width)) sb.AppendLine(line);
        }
        if (verbose)
            foreach (var dump in r.Dumps.Where(d => d.Triaged))
            {
                sb.AppendLine().AppendLine($"Dump {dump.Dump}");
                Field(sb, "time", BatchReportRenderers.Time(dump.DumpTime), width);
                Field(sb, "bucket", dump.Get("verdict", "bucket") ?? "-", width);
                if (dump.Detail is { } d) Detail(sb, d, width, verbose: true);
            }
        // Each dump with the number of its bucket block above: the long bucket ids are not repeated.
        var number = r.Buckets.Select((b, i) => (b.Bucket, i + 1)).ToDictionary(x => x.Bucket, x => x.Item2, StringComparer.Ordinal);
        sb.AppendLine().AppendLine("Dumps");
        sb.Append(TextLayout.Table(["dump", "bucket", "owner", "confidence"],
            r.Dumps.Select(d => d.Triaged
                ? new[] { d.Dump, number.TryGetValue(d.Get("verdict", "bucket") ?? "", out var n) ? $"[{n}]" : "-",
                          OwnerText(d.Get("verdict", "owner") ?? "-", d.Detail), d.Get("verdict", "confidence") ?? "-" }
                : [d.Dump, "-", "could not be triaged", "-"]).ToList(), width));
        return sb.ToString();
    }

    static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    static string Dumps(int n) => n == 1 ? "1 dump" : $"{n} dumps";

    /// <summary>The owner as a reader takes it: a voluntary exit is not a crash, never "none".</summary>
    static string OwnerText(string owner, DumpDetail? d) => d?.IsExit == true || owner == "none" ? RenderFormat.NotACrash : owner;

    static string Seen(DateTimeOffset? first, DateTimeOffset? last) =>
        first is null ? "-" : first == last ? BatchReportRenderers.Time(first)
            : $"first {BatchReportRenderers.Time(first)}, last {BatchReportRenderers.Time(last)}";

    static void Field(StringBuilder sb, string label, string value, int width)
    {
        foreach (var line in TextLayout.Hanging($"{Indent}{label + ":",-11} ", value, width)) sb.AppendLine(line);
    }

    static void Detail(StringBuilder sb, DumpDetail d, int width, bool verbose)
    {
        if (d.ExceptionLine is { } ex) Field(sb, "exception", ex, width);
        if (d.ExceptionDetail is { } detail) Field(sb, "detail", detail, width);
        Field(sb, "verdict", Sentence(d), width);
        foreach (var reason in d.ConfidenceReasons) Field(sb, "why", reason, width);
        if (d.DecidingModule is { } m)
            Field(sb, "module", $"{m.FileName} {m.Version ?? "(version not in the dump)"}" + (m.Path is { } p ? $", {p}" : "") +
                                $"; symbols {m.Symbols ?? "unknown"}", width);
        foreach (var suspect in d.Suspects) Field(sb, "suspect", suspect, width);
        var frames = verbose ? d.AllFrames.Select(x => x.Frame).ToList() : d.Stack.ToList();
        if (frames.Count == 0) Field(sb, "stack", "no frames", width);
        else
        {
            sb.Append(Indent).AppendLine("stack:");
            int textWidth = Math.Min(frames.Max(f => f.Display.Length), Math.Max(30, (width - 12) / 2));
            int decisionWidth = Math.Max(20, width - Indent.Length - 5 - textWidth - 2);
            for (int i = 0; i < frames.Count; i++)
            {
                var f = frames[i];
                var left = $"{Indent}{(f.Deciding ? ">" : " ")} {f.Index:d2} ";
                var decision = ShownDecision(frames, i);
                string tags = (f.Scanned ? " [scanned]" : "") + (f.Inline ? " [inline]" : "") + SymbolTag(f.Symbols);
                var pad = new string(' ', left.Length);
                // The frame, then its source line, in the left column; a frame longer than its column keeps its line
                // and its decision starts on the next one.
                var leftLines = new List<string> { f.Display };
                if (f.Source is { } source) leftLines.AddRange(TextLayout.Wrap(source, textWidth));
                var decisionLines = TextLayout.Wrap(decision + tags, decisionWidth);
                int offset = f.Display.Length > textWidth ? 1 : 0;
                for (int l = 0; l < Math.Max(leftLines.Count, decisionLines.Count + offset); l++)
                {
                    var a = l < leftLines.Count ? leftLines[l] : "";
                    var b = l - offset >= 0 && l - offset < decisionLines.Count ? decisionLines[l - offset] : "";
                    sb.AppendLine(((l == 0 ? left : pad) + (b.Length == 0 ? a : a.PadRight(textWidth) + "  " + b)).TrimEnd());
                }
                if (verbose && i < d.AllFrames.Count && d.AllFrames[i].Explanation is { Length: > 0 } why)
                    foreach (var line in TextLayout.Hanging(pad + "  why: ", why, width)) sb.AppendLine(line);
            }
            if (!verbose && d.FramesNotShown > 0)
                sb.Append(Indent).AppendLine($"  ({d.FramesNotShown} more frame(s) below; -v shows them)");
            if (frames.Any(f => f.Deciding))
                sb.Append(Indent).AppendLine("  (> the deciding frame; frames below it are not considered)");
        }
        if (d.SymbolProblems.Count > 0)
        {
            var onStack = d.SymbolProblems.Where(s => s.OnFaultingStack).ToList();
            int others = d.SymbolProblems.Count - onStack.Count;
            var list = string.Join(", ", onStack.Select(s => $"{s.Module} ({s.Problem})"));
            Field(sb, "symbols", (list.Length == 0 ? "every module on the stack has symbols" : "lacking on the stack: " + list) +
                                 (others > 0 ? $"; {others} module(s) not on the stack lack them too" : ""), width);
        }
    }

    /// <summary>A frame's decision as a stack listing shows it: a run of frames skipped by one rule gives its reason once.</summary>
    public static string ShownDecision(IReadOnlyList<ReportFrame> frames, int i) =>
        i > 0 && frames[i].Rule is { } rule && frames[i].Action == "ignore" && frames[i - 1].Rule == rule &&
            frames[i - 1].Action == "ignore"
            ? $"skipped ({rule}, as above)" : frames[i].Decision;

    static string SymbolTag(string? symbols) => symbols switch
    {
        "none" => " [no symbols]", "export-only" => " [export symbols only]", "mismatched" => " [mismatched symbols]", _ => "",
    };

    /// <summary>The verdict in one sentence.</summary>
    public static string Sentence(DumpDetail d)
    {
        if (d.IsExit) return "Not a crash: the process ended itself (a voluntary exit; see the steps for why and how to stop it).";
        var who = d.Owner is "unknown" ? "No owner is known" : $"{d.Owner} ({d.Category}) owns it";
        var how = d.Rule is { } rule ? $", decided by rule {rule}" : "";
        return $"{who}{how}; confidence {d.Confidence ?? "low"}.";
    }

    static void Steps(StringBuilder sb, DumpDetail d, int width)
    {
        if (d.Steps.Count == 0) return;
        sb.Append(Indent).AppendLine("next steps:");
        int n = 1;
        foreach (var step in d.Steps.Select(s => s.ForReader))
        {
            var number = $"{Indent}  {n++}. ";
            foreach (var line in TextLayout.Hanging(number, step.Text, width)) sb.AppendLine(line);
            if (step.Command is { } cmd)
                sb.Append(new string(' ', number.Length)).AppendLine(step.Label is { } label ? $"{label} {cmd}" : cmd);
        }
    }
}
