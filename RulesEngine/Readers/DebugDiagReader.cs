using System.Globalization;
using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>
/// DebugDiag crash analysis reports, pasted as HTML (turned into lines by <see cref="InputText.HtmlToText"/>)
/// or as text: the summary sentence ("In php-cgi__PID__….dmp the assembly instruction at
/// php5ts!zend_hash_find+1f in C:\PHP\php5ts.dll … has caused an access violation exception (0xC0000005) when
/// trying to read from memory location 0x00000010 on thread 5") and the per-thread call stack tables under
/// "Thread 5 - System ID 4236". DebugDiag writes displacements in hex without 0x.
/// </summary>
internal sealed partial class DebugDiagReader : IBlockReader
{
    public int TryRead(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder, ReadState state)
    {
        var first = lines[start];
        if (first.Command is not null) return 0;
        var text = first.Text.Trim();
        if (text.Contains(".dmp", StringComparison.OrdinalIgnoreCase) && text.Contains("assembly instruction", StringComparison.OrdinalIgnoreCase))
            return ReadSummary(lines, start, builder);
        var th = ThreadHeader().Match(text);
        if (th.Success) return ReadThread(lines, start, th, builder);
        return 0;
    }

    static int ReadSummary(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder)
    {
        // The sentence may be wrapped over a few lines in a text paste.
        var sentence = lines[start].Text.Trim();
        int used = 1;
        Match m = Summary().Match(sentence);
        while (!m.Success && used < 4 && start + used < lines.Count && lines[start + used].Command is null && !lines[start + used].IsBlank)
        {
            sentence += " " + lines[start + used].Text.Trim();
            used++;
            m = Summary().Match(sentence);
        }
        if (!m.Success) return 0;
        builder.AddKind("debugdiag");
        var dump = m.Groups["dump"].Value;
        var proc = Regex.Match(dump, @"^(?:.*[\\/])?(?<name>.+?)__PID__(?<pid>\d+)__", RegexOptions.IgnoreCase);
        if (proc.Success)
        {
            var name = proc.Groups["name"].Value;
            builder.ProcessName ??= name.EndsWith(".exe", StringComparison.OrdinalIgnoreCase) ? name : name + ".exe";
            if (uint.TryParse(proc.Groups["pid"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) builder.ProcessId ??= pid;
        }
        if (dump.Contains("Second_Chance", StringComparison.OrdinalIgnoreCase)) builder.SetFirstChance(false);
        else if (dump.Contains("First_Chance", StringComparison.OrdinalIgnoreCase)) builder.SetFirstChance(true);
        if (Hex.ParseCode(m.Groups["code"].Value) is { } code) builder.SetCode(code, CrashReportBuilder.ExceptionStrength.Summary);
        if (m.Groups["kind"].Success)
            builder.AccessFromText ??= (m.Groups["kind"].Value.StartsWith("write", StringComparison.OrdinalIgnoreCase) ? AccessKind.Write : AccessKind.Read,
                Hex.Parse(m.Groups["target"].Value));
        int? thread = int.TryParse(m.Groups["thread"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
        if (thread is not null) builder.FaultingThreadIndex ??= thread;
        var dumpProcess = Regex.Match(dump, @"^(?:.*[\\/])?(?<name>[^\\/_]+\.exe)_", RegexOptions.IgnoreCase);
        if (!proc.Success && dumpProcess.Success) builder.ProcessName ??= dumpProcess.Groups["name"].Value;
        var path = m.Groups["path"].Value.Trim();
        var file = ModuleNames.FileName(path);
        builder.AddModule(new ModuleInfo { FileName = file, Name = ModuleNames.EngineName(file), Path = path.Contains('\\') || path.Contains('/') ? path : null });
        if (CallSiteParser.Parse(m.Groups["site"].Value) is { Module: not null } site)
            builder.AddStack(new CrashReportBuilder.StackCandidate("debugdiag", CrashReportBuilder.PriorityFaultingInstruction,
                [new StackFrame { Module = site.Module, Function = site.Function, Displacement = site.Displacement, Trust = FrameTrust.Context }], thread, null));
        if (m.Groups["vendor"].Success) builder.Note("DebugDiag: the faulting module is from " + m.Groups["vendor"].Value.Trim() + ".");
        return used;
    }

    static int ReadThread(IReadOnlyList<TextLine> lines, int start, Match header, CrashReportBuilder builder)
    {
        int threadIndex = int.Parse(header.Groups["n"].Value, CultureInfo.InvariantCulture);
        uint? systemId = uint.TryParse(header.Groups["id"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var sid) ? sid : null;
        var frames = new List<StackFrame>();
        int i = start + 1;
        int misses = 0;
        while (i < lines.Count && lines[i].Command is null)
        {
            var t = lines[i].Text.Trim();
            if (ThreadHeader().IsMatch(t)) break;
            if (t.Length == 0) { if (frames.Count > 0) break; i++; continue; }
            if (TableChrome().IsMatch(t)) { i++; misses = 0; continue; }
            var row = ParseRow(t);
            if (row is not null) { frames.Add(row with { Index = frames.Count }); i++; misses = 0; continue; }
            // Two unusable lines in a row end the table; a single one between rows is skipped.
            if (frames.Count > 0 && i + 1 < lines.Count && ParseRow(lines[i + 1].Text.Trim()) is not null) { builder.Skip(lines[i]); i++; continue; }
            if (frames.Count == 0 && ++misses < 6) { i++; continue; }   // thread details (entry point, times) before the table
            break;
        }
        if (frames.Count > 0)
        {
            builder.AddKind("debugdiag");
            for (int n = 0; n < frames.Count; n++) if (n == 0) frames[n] = frames[n] with { Trust = FrameTrust.Context };
            builder.AddStack(new CrashReportBuilder.StackCandidate("debugdiag", CrashReportBuilder.PriorityDebugDiag, frames, threadIndex, systemId));
        }
        return Math.Max(1, i - start);
    }

    /// <summary>A call stack row: optional frame number and address columns, the function, an optional source.</summary>
    internal static StackFrame? ParseRow(string t)
    {
        var tokens = t.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int k = 0;
        if (tokens.Length > 1 && Regex.IsMatch(tokens[0], @"^\d{1,4}$")) k = 1;
        var columns = new List<ulong>();
        while (k < tokens.Length && Hex.IsAddressToken(tokens[k]) && !tokens[k].StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            columns.Add(Hex.Parse(tokens[k])!.Value);
            k++;
        }
        if (k >= tokens.Length) return null;
        var siteText = tokens[k];
        var site = CallSiteParser.Parse(siteText);
        if (site is null) return null;
        if (site.Module is not null && site.Function is null && site.Displacement is null) return null;
        var rest = string.Join(' ', tokens.Skip(k + 1));
        string? file = null; int? line = null;
        var src = Regex.Match(rest, @"(?<file>(?:[A-Za-z]:)?[\\/][^@]*?\.\w{1,4})\s*(?:@\s*(?<line>\d+)|\((?<line>\d+)\)|:(?<line>\d+))?\s*$");
        if (src.Success) { file = src.Groups["file"].Value.Trim(); if (src.Groups["line"].Success) line = int.Parse(src.Groups["line"].Value, CultureInfo.InvariantCulture); }
        return new StackFrame
        {
            InstructionPointer = site.Address,
            ChildStackPointer = columns.Count >= 2 ? columns[0] : null,
            ReturnAddress = columns.Count >= 2 ? columns[1] : null,
            Module = site.Module,
            Function = site.Function,
            Displacement = site.Displacement,
            SourceFile = file ?? site.SourceFile,
            SourceLine = line ?? site.SourceLine,
            Trust = FrameTrust.Unknown,
        };
    }

    [GeneratedRegex(@"^Thread (?<n>\d+) - System ID (?<id>\d+)", RegexOptions.IgnoreCase)] private static partial Regex ThreadHeader();
    [GeneratedRegex(@"^(?:#\s+)?(?:Function|Frame|Entry point|Create time|Time spent in (?:user|kernel) mode|Call Stack|Full Call Stack|Thread type|Arg \d|Source|Instruction Pointer|Return Address|Stack Address)\b", RegexOptions.IgnoreCase)]
    private static partial Regex TableChrome();
    [GeneratedRegex(@"\bIn (?<dump>\S(?:.*?\S)?\.dmp) the assembly instruction at (?<site>\S+) in (?<path>.+?)(?: from (?<vendor>.+?))? has caused an? (?<what>.+?) exception \((?<code>0x[0-9A-Fa-f]+)\)(?: when trying to (?<kind>read from|write to) memory location (?<target>(?:0x)?[0-9A-Fa-f]+))?(?: on thread (?<thread>\d+))?", RegexOptions.IgnoreCase)]
    private static partial Regex Summary();
}
