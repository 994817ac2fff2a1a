using System.Globalization;
using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>
/// WinDbg's k family (k, kn, kb, kv, kp, kP, kc, kL, in x86 and x64 shapes) and !analyze's STACK_TEXT.
/// A block starts at a column header ("Child-SP RetAddr Call Site", "ChildEBP RetAddr", " # Call Site",
/// "STACK_TEXT:") or, without a header, at a line that is unmistakably a frame (two address columns and a
/// call site). It ends at a blank line, a prompt, or two lines in a row that are not frames; a single
/// unusable line between frames is reported as skipped.
/// </summary>
internal sealed partial class StackTextReader : IBlockReader
{
    /// <summary>One parsed frame line before indexes and instruction pointers are assigned.</summary>
    internal sealed record FrameLine(int? Number, List<string> Columns, bool Inline, CallSite Site);

    public int TryRead(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder, ReadState state)
    {
        var first = lines[start];
        bool analyze = false, header = false;
        if (first.Command is not null) return 0;
        var t = first.Trimmed;
        if (StackTextHeader().IsMatch(t)) { analyze = true; header = true; }
        else if (ColumnHeader().IsMatch(t) || CallSiteOnlyHeader().IsMatch(t)) header = true;
        bool strict = !header && ParseStrict(t) is not null;
        if (!header && !strict && !StartsBareList(lines, start)) return 0;
        bool bare = !header && !strict;

        int i = header ? start + 1 : start;
        var parsed = new List<(FrameLine Frame, bool Scan)>();
        // The warning often comes before the column header (or the first frame): it is this stack's.
        bool scan = WarnedJustAbove(lines, start);
        while (i < lines.Count)
        {
            var line = lines[i];
            if (line.Command is not null) break;
            if (line.IsBlank)
            {
                // !analyze puts a blank line between STACK_TEXT: and the frames; blogs and some pastes
                // double-space every line. A blank line followed by a frame does not end the block.
                if (i + 1 < lines.Count && lines[i + 1].Command is null && !lines[i + 1].IsBlank &&
                    (parsed.Count > 0 || header) && ParseWithContinuations(lines, i + 1, true).Frame is not null) { i++; continue; }
                break;
            }
            var text = line.Trimmed;
            // The engine prints load and symbol messages between frames when k makes it load a module: they are
            // not the end of the stack. ModLoad lines still tell the module's base and path.
            if (IsModLoad(text)) { i += Math.Max(1, ModLoads.TryRead(lines, i, builder, state)); continue; }
            if (SymbolWarnings.TryHandle(text, builder) || IsEngineNoise(text)) { i++; continue; }
            if (StartsOtherBlock(text)) break;
            if (IsScanWarning(text)) { scan = true; i++; continue; }

            var (frame, used) = ParseWithContinuations(lines, i, header || bare);
            if (frame is not null)
            {
                parsed.Add((frame, scan));
                i += used;
                continue;
            }
            // Not a frame: one stray line between frames is skipped; two in a row end the block.
            int next = NextNonNoise(lines, i + 1);
            bool nextIsFrame = next < lines.Count && lines[next].Command is null && !lines[next].IsBlank &&
                               (ParseWithContinuations(lines, next, header || bare).Frame is not null
                                || IsScanWarning(lines[next].Trimmed));
            if (parsed.Count > 0 && nextIsFrame) { builder.Skip(line); i++; continue; }
            break;
        }
        if (parsed.Count == 0)
            return header ? 1 : 0;   // a header with nothing under it: consumed, nothing learned

        builder.AddKind("windbg-text");
        var frames = BuildFrames(parsed, builder);
        int priority = analyze ? CrashReportBuilder.PriorityAnalyze
            : state.InExceptionContext ? CrashReportBuilder.PriorityKAfterEcxr : CrashReportBuilder.PriorityK;
        builder.AddStack(new CrashReportBuilder.StackCandidate("windbg-text", priority, frames, null, null));
        if (parsed.Skip(1).Any(p => p.Scan))
            builder.Note("Some frames follow a \"Following frames may be wrong\" warning: they were found by scanning the stack.");
        return i - start;
    }

    /// <summary>
    /// A list of bare call sites ("php_mongodb!bson_destroy+5b", "php_mongodb+355d") as DebugDiag and
    /// Visual Studio copies give them: three in a row make a stack; fewer could be prose naming a function.
    /// </summary>
    bool StartsBareList(IReadOnlyList<TextLine> lines, int start)
    {
        for (int k = start; k < start + 3; k++)
        {
            if (k >= lines.Count || lines[k].Command is not null) return false;
            var f = Parse(lines[k].Trimmed, inBlock: true);
            if (f is null || f.Columns.Count > 0 || f.Site.Module is null || (f.Site.Function is null && f.Site.Displacement is null)) return false;
        }
        return true;
    }

    /// <summary>Headers of other commands' output that can follow a stack without a blank line.</summary>
    static bool StartsOtherBlock(string text) =>
        text.StartsWith("Unloaded modules", StringComparison.OrdinalIgnoreCase) ||
        System.Text.RegularExpressions.Regex.IsMatch(text, @"^start\s+end\s+module name", RegexOptions.IgnoreCase);

    static readonly ModuleListReader ModLoads = new();

    static bool IsModLoad(string text) => text.StartsWith("ModLoad:", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// What the engine prints while k loads modules and symbols: "Unable to load image …", "*** WARNING: Unable to
    /// verify timestamp for …", "*** ERROR: Symbol file could not be found …", "*** ERROR: Module load completed but
    /// symbols could not be loaded for …" and the symbol loader's banners. Never part of a frame, never its end.
    /// </summary>
    internal static bool IsEngineNoise(string text) =>
        text.StartsWith("Unable to load image", StringComparison.OrdinalIgnoreCase)
        || text.StartsWith("*** WARNING:", StringComparison.OrdinalIgnoreCase)
        || text.StartsWith("*** ERROR:", StringComparison.OrdinalIgnoreCase)
        || text.StartsWith("**** WARNING:", StringComparison.OrdinalIgnoreCase)
        || (text.Length > 0 && text.Trim('*', ' ').Length == 0 && text.Contains('*'));

    static bool WarnedJustAbove(IReadOnlyList<TextLine> lines, int start)
    {
        for (int k = start - 1; k >= 0 && k >= start - 4 && lines[k].Command is null && !lines[k].IsBlank; k--)
        {
            var t = lines[k].Trimmed;
            if (IsScanWarning(t)) return true;
            if (!IsEngineNoise(t) && !IsModLoad(t)) return false;
        }
        return false;
    }

    static int NextNonNoise(IReadOnlyList<TextLine> lines, int i)
    {
        while (i < lines.Count && lines[i].Command is null && !lines[i].IsBlank)
        {
            var t = lines[i].Trimmed;
            if (!IsEngineNoise(t) && !IsModLoad(t)) break;
            i++;
        }
        return i;
    }

    static bool IsScanWarning(string text) =>
        text.StartsWith("WARNING:", StringComparison.OrdinalIgnoreCase) &&
        (IgnoreCase.Contains(text, "frames may be wrong") ||
         IgnoreCase.Contains(text, "unwind information not available"));

    /// <summary>
    /// Parses the frame at <paramref name="i"/>, rejoining what a paste split: kP's parameter lines, a line
    /// hard-wrapped at 80 columns (joined as is) or word-wrapped (joined with a space).
    /// </summary>
    (FrameLine? Frame, int Used) ParseWithContinuations(IReadOnlyList<TextLine> lines, int i, bool inBlock)
    {
        var text = lines[i].Trimmed;
        // kP: "module!function(" then one parameter per line until the closing ")+0x…".
        if (text.EndsWith('(') || (text.AsSpan().Count('(') > text.AsSpan().Count(')') && text.Contains('!')))
        {
            var sb = new System.Text.StringBuilder(text);
            int depth = text.AsSpan().Count('(') - text.AsSpan().Count(')');
            int j = i + 1;
            while (j < lines.Count && depth > 0 && j - i < 64 && lines[j].Command is null && !lines[j].IsBlank)
            {
                var p = lines[j].Trimmed;
                sb.Append(sb[^1] == '(' ? "" : " ").Append(p);
                depth += p.AsSpan().Count('(') - p.AsSpan().Count(')');
                j++;
            }
            if (depth == 0 && Parse(sb.ToString(), inBlock) is { } joined) return (joined, j - i);
        }

        var alone = Parse(text, inBlock);
        if (i + 1 < lines.Count && lines[i + 1].Command is null && !lines[i + 1].IsBlank)
        {
            var next = lines[i + 1].Trimmed;
            // A continuation like "DLER+0x42" parses as a bare call site too; only a line with columns or a
            // frame number stands on its own after a line cut at the wrap width.
            var nextFrame = Parse(next, inBlock);
            bool wrappedAtWidthEarly = lines[i].Text.Length >= 78;
            bool nextStandsAlone = (nextFrame is not null && (!wrappedAtWidthEarly || nextFrame.Columns.Count > 0 || nextFrame.Number is not null || nextFrame.Inline))
                                   || IsScanWarning(next) || next.StartsWith("***", StringComparison.Ordinal)
                                   || IsEngineNoise(next) || IsModLoad(next);
            bool wrappedAtWidth = lines[i].Text.Length >= 78;
            if (!nextStandsAlone && (alone is null || wrappedAtWidth))
            {
                // Hard wrap cuts inside a token; word wrap drops the space it broke at.
                var raw = lines[i].Text.TrimStart();
                foreach (var joinedText in wrappedAtWidth ? new[] { raw + next, raw + " " + next } : new[] { raw + " " + next, raw + next })
                    if (Parse(joinedText, inBlock) is { } joined) return (joined, 2);
            }
        }
        return (alone, 1);
    }

    /// <summary>A frame line even without a header: two address columns and a real call site.</summary>
    FrameLine? ParseStrict(string text)
    {
        var f = Parse(text, inBlock: false);
        return f is not null && (f.Columns.Count >= 2 || f.Inline) && (f.Site.Module is not null || f.Columns.Count >= 2) ? f : null;
    }

    /// <summary>The last few lines parsed, by reference: the block loop, the look-ahead and the bare-list check each parse
    /// the same line again (up to five times), and a parse is pure in its text.</summary>
    /// (An instance's, not a thread's: a reader belongs to one read, and thread-static access in this loop was a tenth
    /// of the reading time.)
    readonly (string? Text, (FrameLine Frame, int CallSiteAt)? Parsed)[] _recent = new (string?, (FrameLine, int)?)[8];
    int _recentNext;

    FrameLine? Parse(string text, bool inBlock)
    {
        var recent = _recent;
        (FrameLine Frame, int CallSiteAt)? parsed = null;
        bool found = false;
        foreach (var r in recent)
            if (ReferenceEquals(r.Text, text)) { (parsed, found) = (r.Parsed, true); break; }
        if (!found)
        {
            parsed = ParseOnce(text);
            recent[_recentNext] = (text, parsed);
            _recentNext = (_recentNext + 1) % recent.Length;
        }
        if (parsed is not var (f, callSiteAt)) return null;
        // Evidence this is a frame and not prose: columns, a frame number with a symbol, or a header above it.
        var site = f.Site;
        bool symbolic = site.Module is not null && (site.Function is not null || site.Displacement is not null);
        if (f.Columns.Count >= 2 || f.Inline) return f;
        if (f.Number is not null && (symbolic || (inBlock && (site.Module is not null || site.Address is not null)))) return f;
        if (inBlock && f.Columns.Count == 0 && symbolic && callSiteAt == 0) return f;
        return null;
    }

    /// <summary>The line taken apart as a frame would be, before the evidence that it is one (which depends on the block).</summary>
    static (FrameLine Frame, int CallSiteAt)? ParseOnce(string text)
    {
        text = WithoutNote(text);
        // Tokens are taken one at a time up to the call site, as spans: a frame needs only its first few, and a string
        // (or a Match) per token of a pasted line that can be megabytes long cost more than the line.
        int pos = 0;
        var token = NextToken(text, ref pos);
        if (token.IsEmpty) return null;
        int? number = null;
        int tokenAt = pos - token.Length;
        // kn/kc frame number: 2+ hex digits, shorter than an address.
        if (FrameNumber().IsMatch(token) && SkipWhite(text, pos) < text.Length)
        {
            number = int.Parse(token, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            token = NextToken(text, ref pos);
            tokenAt = pos - token.Length;
        }
        var columns = new List<string>();
        bool inline = false;
        int callSiteAt = -1;
        for (; !token.IsEmpty; token = NextToken(text, ref pos), tokenAt = pos - token.Length)
        {
            var v = token;
            if (v is ":") continue;
            if (v.StartsWith("(Inline", StringComparison.OrdinalIgnoreCase))
            {
                inline = true;
                if (v is "(Inline") NextToken(text, ref pos);
                continue;
            }
            if (v.Equals("Function)", StringComparison.OrdinalIgnoreCase)) { inline = true; continue; }
            if (Dashes().IsMatch(v)) { columns.Add(v.ToString()); continue; }
            if (!v.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && Hex.IsAddressToken(v)) { columns.Add(v.ToString()); continue; }
            callSiteAt = tokenAt;
            break;
        }
        CallSite? site;
        if (callSiteAt < 0)
        {
            // Address-only frame: the last column is the call site (x86 "ChildEBP RetAddr Addr").
            if (columns.Count < 3 || Dashes().IsMatch(columns[^1])) return null;
            site = new CallSite(null, null, null, Hex.Parse(columns[^1]), null, null);
            columns.RemoveAt(columns.Count - 1);
        }
        else
        {
            site = CallSiteParser.Parse(text[callSiteAt..]);
            if (site is null) return null;
            if (site.Module is { } mod && site.Function is null && site.Displacement is null &&
                (OnlyHex().IsMatch(mod) || ImageFileName().IsMatch(mod)))
                return null;   // "0000000" is a cut address; "php_redis.dll" alone is an lm line, k never prints the extension
        }
        return (new FrameLine(number, columns, inline, site), callSiteAt);
    }

    /// <summary>The next run of non-white characters from <paramref name="pos"/> (as \S+ matches), empty at the end.</summary>
    static ReadOnlySpan<char> NextToken(string text, ref int pos)
    {
        int start = SkipWhite(text, pos);
        int end = start;
        while (end < text.Length && !char.IsWhiteSpace(text[end])) end++;
        pos = end;
        return text.AsSpan(start, end - start);
    }

    static int SkipWhite(string text, int pos)
    {
        while (pos < text.Length && char.IsWhiteSpace(text[pos])) pos++;
        return pos;
    }

    /// <summary>
    /// People annotate the frame they mean: "php8ts!zend_jit_escape_if_undef+0x103  &lt;- mov …", "… ← here". The
    /// note starts at an arrow after white space and is not part of the call site.
    /// </summary>
    internal static string WithoutNote(string text)
    {
        // A note follows a frame within its first few hundred characters; looking further in a line of megabytes only
        // made a copy of most of it.
        foreach (var arrow in NoteMarkers)
        {
            int at = text.AsSpan(0, Math.Min(text.Length, NoteWindow)).IndexOf(arrow, StringComparison.Ordinal);
            if (at > 0) text = text[..at].TrimEnd();
        }
        return text;
    }

    const int NoteWindow = 4096;
    static readonly string[] NoteMarkers = [" <-", " <=", " \u2190", " --> ", " // "];

    static List<StackFrame> BuildFrames(List<(FrameLine Frame, bool Scan)> parsed, CrashReportBuilder builder)
    {
        bool x64 = parsed.Any(p => p.Frame.Columns.Any(Hex.Is64BitToken) || (p.Frame.Site.Address is > 0xFFFFFFFF));
        bool anyColumns = parsed.Any(p => p.Frame.Columns.Count > 0);
        if (anyColumns) builder.SetArchitecture(x64 ? Architecture.X64 : Architecture.X86);
        var frames = new List<StackFrame>(parsed.Count);
        ulong? lastReturn = null;
        for (int n = 0; n < parsed.Count; n++)
        {
            var (f, scan) = parsed[n];
            ulong? sp = f.Columns.Count > 0 && !Dashes().IsMatch(f.Columns[0]) ? Hex.Parse(f.Columns[0]) : null;
            ulong? ret = f.Columns.Count > 1 && !Dashes().IsMatch(f.Columns[1]) ? Hex.Parse(f.Columns[1]) : null;
            // The unwind warning printed above frame 00 is about unwinding out of frame 00: the frames after
            // it were found by scanning, frame 00 itself is the context.
            var trust = f.Inline ? FrameTrust.Inline
                : n == 0 ? FrameTrust.Context
                : scan ? FrameTrust.Scan
                : !anyColumns ? FrameTrust.Unknown
                : x64 ? FrameTrust.UnwindInfo : FrameTrust.Unknown;
            var ip = f.Site.Address ?? (n > 0 ? lastReturn : null);
            frames.Add(new StackFrame
            {
                Index = f.Number ?? n,
                InstructionPointer = ip,
                ChildStackPointer = sp,
                ReturnAddress = ret,
                Module = EngineModule(f.Site.Module),
                Function = f.Site.Function,
                Displacement = f.Site.Displacement,
                SourceFile = f.Site.SourceFile,
                SourceLine = f.Site.SourceLine,
                Trust = trust,
                Inline = f.Inline,
            });
            if (!f.Inline && ret is not null) lastReturn = ret;
        }
        return frames;
    }

    /// <summary>
    /// dbgeng prints a frame's module by its engine name ("atio6axx!eglGetProcAddress"); other stack walkers that
    /// use the same `module!function` shape write the image's file name (Dr. Mingw / exchndl:
    /// "atio6axx.dll!eglGetProcAddress", https://github.com/ddnet/ddnet/issues/5676). An image file name is turned
    /// into the engine name, so every source names the module alike.
    /// </summary>
    static string? EngineModule(string? module) =>
        module is not null && (module.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            || module.EndsWith(".exe", StringComparison.OrdinalIgnoreCase))
            ? ModuleNames.EngineName(module) : module;

    [GeneratedRegex(@"^STACK_TEXT:", RegexOptions.IgnoreCase)] private static partial Regex StackTextHeader();
    [GeneratedRegex(@"^(?:#\s+)?(?:Child-SP|ChildEBP)\s+RetAddr\b", RegexOptions.IgnoreCase)] private static partial Regex ColumnHeader();
    [GeneratedRegex(@"^#?\s*Call Site$", RegexOptions.IgnoreCase)] private static partial Regex CallSiteOnlyHeader();
    [GeneratedRegex(@"^[0-9a-fA-F]{2,4}$")] private static partial Regex FrameNumber();
    [GeneratedRegex(@"^-{8}(?:`-{8})?$")] private static partial Regex Dashes();
    [GeneratedRegex(@"^[0-9a-fA-F`]+$")] private static partial Regex OnlyHex();
    [GeneratedRegex(@"\.(?:dll|exe|sys|drv|ocx|so)$", RegexOptions.IgnoreCase)] private static partial Regex ImageFileName();
}

/// <summary>The symbol loader's warnings, wherever they appear: they tell each module's symbol status.</summary>
internal static partial class SymbolWarnings
{
    public static bool TryHandle(string text, CrashReportBuilder builder)
    {
        if (!text.StartsWith("***", StringComparison.Ordinal)) return false;
        var m = ExportOnly().Match(text);
        if (m.Success) { builder.AddModule(ModuleFromPath(m.Groups["path"].Value, SymbolStatus.ExportOnly)); return true; }
        m = NoSymbols().Match(text);
        if (m.Success) { builder.AddModule(ModuleFromPath(m.Groups["path"].Value, SymbolStatus.None)); return true; }
        if (Checksum().IsMatch(text) || text.Trim('*', ' ').Length == 0 || IgnoreCase.Contains(text, "Symbol Loading Error") ||
            IgnoreCase.Contains(text, "symbols"))
            return true;
        return false;
    }

    static ModuleInfo ModuleFromPath(string pathOrName, SymbolStatus status)
    {
        var p = pathOrName.Trim().TrimEnd('-', ' ');
        var file = ModuleNames.FileName(p);
        bool hasDir = p.Contains('\\') || p.Contains('/');
        return new ModuleInfo { FileName = file, Name = ModuleNames.EngineName(file), Path = hasDir ? p : null, Symbols = status };
    }

    [GeneratedRegex(@"Defaulted to export symbols for (?<path>.+?)\s*(?:-\s*)?$", RegexOptions.IgnoreCase)] private static partial Regex ExportOnly();
    [GeneratedRegex(@"symbols could not be loaded for (?<path>.+?)\s*$", RegexOptions.IgnoreCase)] private static partial Regex NoSymbols();
    [GeneratedRegex(@"Unable to verify (?:checksum|timestamp)", RegexOptions.IgnoreCase)] private static partial Regex Checksum();
}
