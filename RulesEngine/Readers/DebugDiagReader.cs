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
        var text = first.Trimmed;
        if (SummaryText.MayStart(text))
            return ReadSummary(lines, start, builder);
        var th = ThreadHeader().Match(text);
        if (th.Success) return ReadThread(lines, start, th, builder);
        // A crash rule's log (EXCEPTION DETAILS: "DetailID = 1", "Count:", "Exception #:  0XC0000005", "Stack:" and the
        // frames, which the stack reader takes): the code of the first detail block is the crash's.
        if (text.StartsWith("Exception #:", StringComparison.OrdinalIgnoreCase)
            && ExitCodeLineReader.CodeAfter(text, "Exception #:".Length) is { } code)
        {
            builder.AddKind("debugdiag");
            builder.SetCode(code, CrashReportBuilder.ExceptionStrength.Summary);
            return 1;
        }
        return 0;
    }

    static int ReadSummary(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder)
    {
        // The sentence may be wrapped over a few lines in a text paste, mid-word by a mail or forum.
        var sentence = SummaryText.Window(lines[start].Trimmed);
        int used = 1;
        var m = SummaryText.Parse(sentence);
        while (m is null && used < 4 && start + used < lines.Count && lines[start + used].Command is null && !lines[start + used].IsBlank)
        {
            sentence += " " + lines[start + used].Trimmed;
            used++;
            m = SummaryText.Parse(sentence);
        }
        if (m is null) return 0;
        builder.AddKind("debugdiag");
        var dump = m.Dump ?? "";
        var proc = Regex.Match(dump, @"^(?:.*[\\/])?(?<name>.+?)__PID__(?<pid>\d+)__", RegexOptions.IgnoreCase);
        if (proc.Success)
        {
            var name = proc.Groups["name"].Value;
            builder.ProcessName ??= name.EndsWith(".exe", StringComparison.OrdinalIgnoreCase) ? name : name + ".exe";
            if (uint.TryParse(proc.Groups["pid"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) builder.ProcessId ??= pid;
        }
        var chance = dump.Replace("_", "").Replace(" ", "");
        if (IgnoreCase.Contains(chance, "SecondChance")) builder.SetFirstChance(false);
        else if (IgnoreCase.Contains(chance, "FirstChance")) builder.SetFirstChance(true);
        builder.SetCode(m.Code, CrashReportBuilder.ExceptionStrength.Summary);
        if (m.Access is { } kind) builder.AccessFromText ??= (kind, m.Target);
        if (m.Thread is not null) builder.FaultingThreadIndex ??= m.Thread;
        var dumpProcess = Regex.Match(dump, @"^(?:.*[\\/])?(?<name>[^\\/_]+\.exe)_", RegexOptions.IgnoreCase);
        if (!proc.Success && dumpProcess.Success) builder.ProcessName ??= dumpProcess.Groups["name"].Value;
        if (m.Path is { } path)
        {
            var file = m.FileName!;
            builder.AddModule(new ModuleInfo
            {
                FileName = file, Name = ModuleNames.EngineName(file), Path = path.Contains('\\') || path.Contains('/') ? path : null,
            });
        }
        if (CallSiteParser.Parse(m.Site) is { Module: not null } site)
            builder.AddStack(new CrashReportBuilder.StackCandidate("debugdiag", CrashReportBuilder.PriorityFaultingInstruction,
                [new StackFrame
                {
                    Module = site.Module, Function = site.Function, Displacement = site.Displacement, Trust = FrameTrust.Context,
                }], m.Thread, null));
        if (m.Vendor is { Length: > 0 } vendor) builder.Note("DebugDiag: the faulting module is from " + vendor + ".");
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
            var t = lines[i].Trimmed;
            if (ThreadHeader().IsMatch(t)) break;
            if (t.Length == 0) { if (frames.Count > 0) break; i++; continue; }
            if (TableChrome().IsMatch(t)) { i++; misses = 0; continue; }
            var row = ParseRow(t);
            if (row is not null) { frames.Add(row with { Index = frames.Count }); i++; misses = 0; continue; }
            // Two unusable lines in a row end the table; a single one between rows is skipped.
            if (frames.Count > 0 && i + 1 < lines.Count && ParseRow(lines[i + 1].Trimmed) is not null) { builder.Skip(lines[i]); i++; continue; }
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
        // The first few tokens only (number, columns, a site wrapped over up to three): splitting a whole row cost a
        // string per token on a pasted line of megabytes. The rest is joined the way Split and Join would have.
        var tokens = new RowTokens(t);
        int k = 0;
        if (tokens.Has(2) && Regex.IsMatch(tokens[0], @"^\d{1,4}$")) k = 1;
        var columns = new List<ulong>();
        while (tokens.Has(k + 1) && Hex.IsAddressToken(tokens[k]) && !tokens[k].StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            columns.Add(Hex.Parse(tokens[k])!.Value);
            k++;
        }
        if (!tokens.Has(k + 1)) return null;
        var site = CallSiteParser.Parse(tokens[k]);
        int siteTokens = 1;
        // A cell wrapped mid-word by the mail or forum it was pasted from: "php5ts!zend_hash_fi nd+1f". Join the next
        // token or two when the site alone lacks its displacement and the joined one has it.
        for (int more = 1; more <= 2 && tokens.Has(k + more + 1) && site is not { Displacement: not null }; more++)
        {
            var joined = CallSiteParser.Parse(string.Concat(tokens.Taken.Skip(k).Take(more + 1)));
            if (joined is { Module: not null, Displacement: not null }) { site = joined; siteTokens = more + 1; }
        }
        if (site is null) return null;
        if (site.Module is not null && site.Function is null && site.Displacement is null) return null;
        var rest = tokens.RestAfter(k + siteTokens);
        string? file = null; int? line = null;
        var src = SourceColumn.Match(rest);
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

    /// <summary>A row's space-separated tokens as Split(' ', RemoveEmptyEntries) gives them, taken as they are asked
    /// for; the rest as string.Join(' ', …) of the tokens not taken would give it.</summary>
    sealed class RowTokens(string text)
    {
        public readonly List<string> Taken = [];
        int pos;

        public string this[int i] => Taken[i];

        /// <summary>True when the row has at least <paramref name="count"/> tokens.</summary>
        public bool Has(int count)
        {
            while (Taken.Count < count)
            {
                while (pos < text.Length && text[pos] == ' ') pos++;
                if (pos == text.Length) return false;
                int end = text.IndexOf(' ', pos);
                if (end < 0) end = text.Length;
                Taken.Add(text[pos..end]);
                pos = end;
            }
            return true;
        }

        /// <summary>The tokens from <paramref name="first"/> on, joined by one space.</summary>
        public string RestAfter(int first)
        {
            var sb = new System.Text.StringBuilder();
            foreach (var token in Taken.Skip(first)) sb.Append(sb.Length > 0 ? " " : "").Append(token);
            bool space = sb.Length > 0;
            for (int i = pos; i < text.Length; i++)
            {
                if (text[i] == ' ') { space = sb.Length > 0; continue; }
                if (space) { sb.Append(' '); space = false; }
                sb.Append(text[i]);
            }
            return sb.ToString();
        }
    }

    // NonBacktracking: unanchored with a lazy loop, the backtracking engine rescanned the rest of the row from every
    // slash, minutes on a row line of a megabyte.
    static readonly Regex SourceColumn = new(
        @"(?<file>(?:[A-Za-z]:)?[\\/][^@]*?\.\w{1,4})\s*(?:@\s*(?<line>\d+)|\((?<line>\d+)\)|:(?<line>\d+))?\s*$",
        RegexOptions.NonBacktracking);
    [GeneratedRegex(@"^Thread (?<n>\d+) - System ID (?<id>\d+)", RegexOptions.IgnoreCase)] private static partial Regex ThreadHeader();
    [GeneratedRegex(@"^(?:#\s+)?(?:Function|Frame|Entry point|Create time|Time spent in (?:user|kernel) mode|Call Stack|Full Call Stack|Thread type|Arg \d|Source|Instruction Pointer|Return Address|Stack Address)\b", RegexOptions.IgnoreCase)]
    private static partial Regex TableChrome();
}

/// <summary>
/// DebugDiag's summary sentence, in every form it is pasted in: with or without "In &lt;dump&gt;.dmp", any letter case,
/// x86 or x64 call sites, and wrapped mid-word by a mail or forum ("php5ts!zend_ha sh_find+1f", "exce ption").
/// </summary>
/// <remarks>
/// The keywords are found in the sentence with its white space taken out, so a wrap anywhere is harmless; the parts
/// that may hold real spaces (dump name, path, vendor) are cut from the sentence as given. Plain string searches,
/// linear in the sentence.
/// </remarks>
internal static class SummaryText
{
    internal sealed record Summary(string? Dump, string Site, string? Path, string? FileName, string? Vendor, uint Code,
        AccessKind? Access, ulong? Target, int? Thread);

    const string Instruction = "theassemblyinstructionat";

    /// <summary>A line that may open the sentence (or its first part, when it is wrapped).</summary>
    public static bool MayStart(string text)
    {
        if (IgnoreCase.IndexOf(text, "assembly") < 0 &&
            IgnoreCase.IndexOf(text, ".dmp") < 0) return false;
        var (sq, _) = Squeeze(Window(text));
        return sq.Contains("assemblyinstr", StringComparison.Ordinal) || sq.EndsWith("theassembly", StringComparison.Ordinal)
            || sq.EndsWith("the", StringComparison.Ordinal) && sq.Contains(".dmp", StringComparison.Ordinal);
    }

    const int WindowBefore = 1024, WindowAfter = 2048;

    /// <summary>
    /// The part of a long line the sentence can be in: from a dump name's length before its first "assembly" (or
    /// ".dmp") to a path's and a vendor's length after. The sentence is a few hundred characters; a whole report pasted
    /// as one line is megabytes, which squeezed and mapped (a string and an index a character) cost 12 bytes a character.
    /// </summary>
    public static string Window(string line)
    {
        if (line.Length <= WindowBefore + WindowAfter) return line;
        int at = IgnoreCase.IndexOf(line, "assembly");
        if (at < 0) at = IgnoreCase.IndexOf(line, ".dmp");
        if (at < 0) return line;
        int from = Math.Max(0, at - WindowBefore);
        return line[from..Math.Min(line.Length, at + WindowAfter)];
    }

    /// <summary>The sentence's parts; null when it is not (yet) a whole summary sentence.</summary>
    public static Summary? Parse(string sentence)
    {
        var (sq, map) = Squeeze(sentence);
        int at = sq.IndexOf(Instruction, StringComparison.Ordinal);
        if (at < 0) return null;
        int siteStart = at + Instruction.Length;
        // The call site ends where " in <path>" starts: "in" and a drive letter or a UNC path.
        int inAt = -1;
        for (int j = siteStart + 1; j + 3 < sq.Length; j++)
            if (sq[j] == 'i' && sq[j + 1] == 'n' &&
                (char.IsAsciiLetter(sq[j + 2]) && sq[j + 3] == ':' || sq[j + 2] == '\\' && sq[j + 3] == '\\'))
            { inAt = j; break; }
        int caused = sq.IndexOf("hascaused", siteStart, StringComparison.Ordinal);
        if (caused < 0) return null;
        if (inAt < 0 || inAt > caused) inAt = -1;
        int siteEnd = inAt >= 0 ? inAt : caused;
        var site = Original(sentence, map, siteStart, siteEnd).Replace(" ", "");
        if (site.Length == 0) return null;

        int codeAt = sq.IndexOf("exception(0x", caused, StringComparison.Ordinal);
        if (codeAt < 0) return null;
        int hexStart = codeAt + "exception(0x".Length, hexEnd = hexStart;
        while (hexEnd < sq.Length && Uri.IsHexDigit(sq[hexEnd])) hexEnd++;
        if (hexEnd >= sq.Length || sq[hexEnd] != ')' || Hex.ParseCode(sq[hexStart..hexEnd]) is not { } code) return null;

        string? path = null, file = null, vendor = null;
        if (inAt >= 0)
        {
            int from = sq.IndexOf("from", inAt + 2, StringComparison.Ordinal);
            int pathEnd = from >= 0 && from < caused ? from : caused;
            path = Original(sentence, map, inAt + 2, pathEnd).Trim();
            // A file name has no spaces: one in it is a wrap.
            file = ModuleNames.FileName(path.Replace(" ", ""));
            if (from >= 0 && from < caused) vendor = Original(sentence, map, from + 4, caused).Trim();
        }

        AccessKind? access = null;
        ulong? target = null;
        int trying = sq.IndexOf("whentryingto", hexEnd, StringComparison.Ordinal);
        if (trying >= 0)
        {
            int k = trying + "whentryingto".Length;
            access = sq.AsSpan(k).StartsWith("write") ? AccessKind.Write : sq.AsSpan(k).StartsWith("read") ? AccessKind.Read : null;
            int loc = sq.IndexOf("memorylocation", k, StringComparison.Ordinal);
            if (loc >= 0)
            {
                int v = loc + "memorylocation".Length, e = v;
                if (sq.AsSpan(v).StartsWith("0x")) e += 2;
                while (e < sq.Length && Uri.IsHexDigit(sq[e]) && !sq.AsSpan(e).StartsWith("onthread")) e++;
                target = Hex.Parse(sq[v..e]);
            }
        }
        int? thread = null;
        int th = sq.IndexOf("onthread", hexEnd, StringComparison.Ordinal);
        if (th >= 0)
        {
            int d = th + "onthread".Length, e = d;
            while (e < sq.Length && char.IsAsciiDigit(sq[e])) e++;
            if (e > d && int.TryParse(sq[d..e], NumberStyles.None, CultureInfo.InvariantCulture, out var n)) thread = n;
        }

        // "In <dump>.dmp" before the instruction, when the sentence has it.
        string? dump = null;
        var before = Original(sentence, map, 0, at);
        int dmp = before.LastIndexOf(".dmp", StringComparison.OrdinalIgnoreCase);
        if (dmp >= 0)
        {
            int inWord = -1;
            for (int j = 0; j + 3 <= dmp; j++)
                if ((j == 0 || char.IsWhiteSpace(before[j - 1])) && (before[j] is 'I' or 'i') && (before[j + 1] is 'N' or 'n')
                    && before[j + 2] == ' ')
                { inWord = j; break; }
            if (inWord >= 0) dump = before[(inWord + 3)..(dmp + 4)].Trim();
        }
        return new Summary(dump, site, path, file, vendor, code, access, target, thread);
    }

    /// <summary>The text without white space, lower case, and where each kept character was in the text.</summary>
    static (string Squeezed, int[] Map) Squeeze(string text)
    {
        var sb = new System.Text.StringBuilder(text.Length);
        var map = new List<int>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsWhiteSpace(text[i])) continue;
            sb.Append(char.ToLowerInvariant(text[i]));
            map.Add(i);
        }
        map.Add(text.Length);
        return (sb.ToString(), map.ToArray());
    }

    /// <summary>The text between two squeezed positions, as given (spaces and case kept).</summary>
    static string Original(string text, int[] map, int from, int to) =>
        to <= from ? "" : text[map[from]..map[to]];
}
