using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>One input line after the paste noise around it was removed.</summary>
/// <param name="Number">1-based line number in the text as given (after HTML was turned into lines).</param>
/// <param name="Raw">The line as given, for SkippedLines.</param>
/// <param name="Text">The line without prompt, timestamp, quote marker and trailing blanks.</param>
/// <param name="Command">When the line was a debugger prompt ("0:000> kb"), the command typed; else null.</param>
internal sealed record TextLine(int Number, string Raw, string Text, string? Command)
{
    public bool IsBlank => Text.Length == 0 && Command is null;
    /// <summary><see cref="Text"/> without leading blanks, made once: every reader looks at it, and each trimming its own
    /// copy of each line cost more than the lines themselves.</summary>
    public string Trimmed { get; } = Text.Trim();
}

/// <summary>Turns pasted text into clean lines: CRLF/CR, HTML, prompts, timestamps, quote markers, code fences.</summary>
internal static partial class InputText
{
    /// <summary>The text's lines, cleaned when asked for. Lines end at CRLF, CR or LF; the text after the last end is a
    /// line too. The blanks at the text's ends are not read (<see cref="ContentOf"/>).</summary>
    /// <param name="owned">The text was made for this read and is seen by no one else (a file ReadText decoded): HTML is
    /// then turned into text over the string's own characters, so a report is never held twice.</param>
    public static IReadOnlyList<TextLine> Split(string text, bool owned = false)
    {
        if (owned)
        {
            var chars = MemoryMarshal.AsMemory(text.AsMemory()).Span;
            if (HtmlText.LooksLikeHtml(text)) return Content(text, HtmlText.ConvertInPlace(chars));
            // What Clean does to every line, done once over the whole text: a tab-separated report pasted as one line is
            // then not copied to be cleaned. (A skipped line then shows its tabs as blanks.)
            chars.Replace('\t', ' ');
            chars.Replace('\u00a0', ' ');
            return Content(text, text.Length);
        }
        if (!HtmlText.LooksLikeHtml(text)) return Content(text, text.Length);
        var copy = text.ToCharArray();
        int length = HtmlText.ConvertInPlace(copy);
        return Content(new string(copy, 0, length), length);
    }

    static Lines Content(string text, int length)
    {
        var (from, count) = ContentOf(text.AsSpan(0, length));
        return new Lines(text, from, from + count);
    }

    /// <summary>
    /// Where a text's content is: after the blanks that begin its first line and before the blanks and line breaks that
    /// end it. Neither is any line's content (no line is dropped before the first, so line numbers stay), and a text that
    /// is one line with a line break after it is then the line itself: a report pasted as one line is not copied to be
    /// cut out of its text.
    /// </summary>
    public static (int From, int Count) ContentOf(ReadOnlySpan<char> text)
    {
        int from = LeadingBlanks(text), end = LastContent(text) + 1;
        return end <= from ? (0, 0) : (from, end - from);
    }

    /// <summary>How many of a text's first characters are blanks within its first line.</summary>
    public static int LeadingBlanks(ReadOnlySpan<char> text) => text.IndexOfAnyExcept(LineBlanks) is var i and >= 0 ? i : text.Length;

    /// <summary>The last character that is not a blank or a line break, or -1.</summary>
    public static int LastContent(ReadOnlySpan<char> text) => text.LastIndexOfAnyExcept(Blanks);

    /// <summary>The most of a field's value a reader keeps.</summary>
    public const int MaxFieldValue = 4096;

    /// <summary>
    /// A "name: value" or "key=value" field's value, trimmed, its first <see cref="MaxFieldValue"/> characters: a value is
    /// a name, a path, a bucket or an address, and the rest of a line that is a whole report pasted as one is none of them
    /// (taking it all copied the report).
    /// </summary>
    public static string FieldValue(ReadOnlySpan<char> value)
    {
        value = value.TrimStart();
        return value[..Math.Min(value.Length, MaxFieldValue)].TrimEnd().ToString();
    }

    static readonly SearchValues<char> LineBlanks = SearchValues.Create(" \t\u00a0");
    static readonly SearchValues<char> Blanks = SearchValues.Create(" \t\u00a0\r\n\f\v");

    /// <summary>
    /// Lines as ranges over the one text, each made (cut and cleaned) when a reader asks for it and kept while it is
    /// among the last <see cref="Window"/> asked for. Readers walk forwards and look a few lines back, so each line is
    /// made once; holding every line as a string (and its record) at once cost twice the text again.
    /// </summary>
    sealed class Lines : IReadOnlyList<TextLine>
    {
        const int Window = 512;   // a power of two: a slot is the index's low bits
        readonly string _text;
        readonly int[] _starts, _ends;
        readonly TextLine?[] _made = new TextLine?[Window];
        readonly int[] _madeIndex = new int[Window];

        /// <param name="text">The text; only its characters from <paramref name="from"/> to <paramref name="to"/> are read.</param>
        public Lines(string text, int from, int to)
        {
            _text = text;
            var whole = text.AsSpan(0, to);
            int count = 1;
            for (int at = from; ; count++)
            {
                int end = whole[at..].IndexOfAny('\r', '\n');
                if (end < 0) break;
                at = Next(whole, at + end);
            }
            _starts = new int[count];
            _ends = new int[count];
            int start = from;
            for (int n = 0; n < count - 1; n++)
            {
                int end = start + whole[start..].IndexOfAny('\r', '\n');
                (_starts[n], _ends[n]) = (start, end);
                start = Next(whole, end);
            }
            (_starts[count - 1], _ends[count - 1]) = (start, whole.Length);
            Array.Fill(_madeIndex, -1);
        }

        static int Next(ReadOnlySpan<char> text, int end) =>
            end + (text[end] == '\r' && end + 1 < text.Length && text[end + 1] == '\n' ? 2 : 1);

        public int Count => _starts.Length;

        public TextLine this[int index]
        {
            get
            {
                if ((uint)index >= (uint)_starts.Length) throw new ArgumentOutOfRangeException(nameof(index));
                int slot = index & (Window - 1);
                if (_madeIndex[slot] == index) return _made[slot]!;
                // Substring: a line that is the whole text (a report pasted as one line) is the text itself, not a copy.
                var line = Clean(index + 1, _text.Substring(_starts[index], _ends[index] - _starts[index]));
                (_made[slot], _madeIndex[slot]) = (line, index);
                return line;
            }
        }

        public IEnumerator<TextLine> GetEnumerator()
        {
            for (int i = 0; i < Count; i++) yield return this[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    static TextLine Clean(int number, string raw)
    {
        // One copy for both replacements (a report pasted as one line is megabytes), none when neither is there.
        var s = raw.AsSpan().IndexOfAny('\t', '\u00a0') < 0 ? raw : string.Create(raw.Length, raw, static (span, r) =>
        {
            r.AsSpan().CopyTo(span);
            span.Replace('\t', ' ');
            span.Replace('\u00a0', ' ');
        });
        s = s.TrimEnd();
        if (s.Length > 0 && s[0] == '\uFEFF') s = s[1..];
        // Each prefix pattern is tried only when the line's first characters can start it: every line passes here.
        // Process-output prefixes people paste along (Passenger: "App 20765 stderr: ").
        if (s.StartsWith("App ", StringComparison.Ordinal)) s = AppStderrPrefix().Replace(s, "");
        // Markdown / e-mail quoting: "> Faulting application name: …", also with the quoted text indented (">    Fault Module
        // Name: …", a problem signature quoted as Windows shows it). A prompt "0:000> " is not a quote.
        if (FirstNonBlank(s) == '>' && QuotePrefix().Match(s) is { Success: true } q) s = s[q.Length..];
        // Log timestamps in front of each line.
        for (int k = 0; k < 2 && StartsLikeNumber(s); k++)
        {
            var t = TimestampPrefix().Match(s);
            if (!t.Success || t.Length == s.Length) break;
            s = s[t.Length..];
        }
        // Spans: a trimmed copy of every indented line only to look at its first characters cost a line's worth each.
        var trimmed = s.AsSpan().Trim();
        if (trimmed.StartsWith("```", StringComparison.Ordinal)) return new TextLine(number, raw, "", null);
        // Markdown inline code around a whole line: `Faulting module name: …`. WinDbg's backticks sit inside addresses, never at both ends.
        if (trimmed.Length > 2 && trimmed[0] == '`' && trimmed[^1] == '`' && trimmed[1] != '`') s = trimmed[1..^1].ToString();
        if (char.IsDigit(FirstNonBlank(s)) && Prompt().Match(s) is { Success: true } p)
            return new TextLine(number, raw, "", s[p.Length..].Trim());
        return new TextLine(number, raw, s, null);
    }

    static char FirstNonBlank(string s)
    {
        foreach (var c in s) if (!char.IsWhiteSpace(c)) return c;
        return '\0';
    }

    /// <summary>What a time stamp prefix starts with: blanks, an optional '[', a digit.</summary>
    static bool StartsLikeNumber(string s)
    {
        int i = 0;
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
        if (i < s.Length && s[i] == '[') i++;
        return i < s.Length && char.IsDigit(s[i]);   // \d is any decimal digit
    }

    [GeneratedRegex(@"^App \d+ (?:stderr|stdout): ?")] private static partial Regex AppStderrPrefix();
    [GeneratedRegex(@"^\s*(?:>\s*)+(?=\S)")] private static partial Regex QuotePrefix();
    [GeneratedRegex(@"^\s*\[?(?:\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?|\d{1,2}/\d{1,2}/\d{2,4},? \d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?: ?[AP]M)?)\]?\s+(?:spid\w+\s+)?")]
    private static partial Regex TimestampPrefix();
    [GeneratedRegex(@"^\s*\d+:\d+(?::[0-9a-fA-Fx]+)?>\s?")] private static partial Regex Prompt();

    /// <summary>Plain text of an HTML paste (see <see cref="HtmlText"/>).</summary>
    public static string HtmlToText(string html)
    {
        var chars = html.ToCharArray();
        return new string(chars, 0, HtmlText.ConvertInPlace(chars));
    }

}

/// <summary>Number parsing the way debuggers print numbers.</summary>
internal static class Hex
{
    /// <summary>Parses "00007ffb`3c1b4a24", "0x1f", "1f", "0n31" (decimal). Null when it is not a number.</summary>
    public static ulong? Parse(string? s)
    {
        if (string.IsNullOrEmpty(s)) return null;
        s = s.Trim();
        if (s.StartsWith("0n", StringComparison.OrdinalIgnoreCase))
            return ulong.TryParse(s.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : null;
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) s = s[2..];
        s = s.Replace("`", "");
        if (s.Length == 0 || s.Length > 16) return null;
        return ulong.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    public static uint? ParseCode(string? s) => Parse(s) is { } v && v <= uint.MaxValue ? (uint)v : null;

    /// <summary>True for a token that is an address as the k commands print it (8 or 16 hex digits, backtick allowed).</summary>
    public static bool IsAddressToken(string t) => IsAddressToken(t.AsSpan());

    /// <summary>As <see cref="IsAddressToken(string)"/>, without a string per token.</summary>
    public static bool IsAddressToken(ReadOnlySpan<char> t)
    {
        var s = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? t[2..] : t;
        if (s.Length == 17 && s[8] == '`') return AllHex(s[..8]) && AllHex(s[9..]);
        return (s.Length == 8 || s.Length == 16) && AllHex(s);
    }

    static bool AllHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s) if (!Uri.IsHexDigit(c)) return false;
        return true;
    }

    /// <summary>64-bit when the text writes addresses with 16 digits or a backtick.</summary>
    public static bool Is64BitToken(string t)
    {
        var s = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? t[2..] : t;
        return s.Contains('`') || s.Length == 16;
    }
}
