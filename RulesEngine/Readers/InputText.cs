using System.Globalization;
using System.Net;
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
    /// line too.</summary>
    public static IReadOnlyList<TextLine> Split(string text)
    {
        if (LooksLikeHtml(text)) text = HtmlToText(text);
        return new Lines(text);
    }

    /// <summary>
    /// Lines as ranges over the one text, each made (cut and cleaned) when a reader asks for it and kept while it is
    /// among the last <see cref="Window"/> asked for. Readers walk forwards and look a few lines back, so each line is
    /// made once; holding every line as a string (and its record) at once cost twice the text again.
    /// </summary>
    sealed class Lines : IReadOnlyList<TextLine>
    {
        const int Window = 4096;   // a power of two: a slot is the index's low bits
        readonly string _text;
        readonly int[] _starts, _ends;
        readonly TextLine?[] _made = new TextLine?[Window];
        readonly int[] _madeIndex = new int[Window];

        public Lines(string text)
        {
            _text = text;
            int count = 1;
            for (int at = 0; ; count++)
            {
                int end = text.AsSpan(at).IndexOfAny('\r', '\n');
                if (end < 0) break;
                at = Next(text, at + end);
            }
            _starts = new int[count];
            _ends = new int[count];
            int start = 0;
            for (int n = 0; n < count - 1; n++)
            {
                int end = start + text.AsSpan(start).IndexOfAny('\r', '\n');
                (_starts[n], _ends[n]) = (start, end);
                start = Next(text, end);
            }
            (_starts[count - 1], _ends[count - 1]) = (start, text.Length);
            Array.Fill(_madeIndex, -1);
        }

        static int Next(string text, int end) => end + (text[end] == '\r' && end + 1 < text.Length && text[end + 1] == '\n' ? 2 : 1);

        public int Count => _starts.Length;

        public TextLine this[int index]
        {
            get
            {
                if ((uint)index >= (uint)_starts.Length) throw new ArgumentOutOfRangeException(nameof(index));
                int slot = index & (Window - 1);
                if (_madeIndex[slot] == index) return _made[slot]!;
                var line = Clean(index + 1, _text[_starts[index].._ends[index]]);
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
        var s = raw.Replace('\t', ' ').Replace('\u00a0', ' ').TrimEnd();
        if (s.Length > 0 && s[0] == '\uFEFF') s = s[1..];
        // Process-output prefixes people paste along (Passenger: "App 20765 stderr: ").
        s = AppStderrPrefix().Replace(s, "");
        // Markdown / e-mail quoting: "> Faulting application name: …", also with the quoted text indented (">    Fault Module
        // Name: …", a problem signature quoted as Windows shows it). A prompt "0:000> " is not a quote.
        var q = QuotePrefix().Match(s);
        if (q.Success) s = s[q.Length..];
        // Log timestamps in front of each line.
        for (int k = 0; k < 2; k++)
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
        var p = Prompt().Match(s);
        if (p.Success)
            return new TextLine(number, raw, "", s[p.Length..].Trim());
        return new TextLine(number, raw, s, null);
    }

    [GeneratedRegex(@"^App \d+ (?:stderr|stdout): ?")] private static partial Regex AppStderrPrefix();
    [GeneratedRegex(@"^\s*(?:>\s*)+(?=\S)")] private static partial Regex QuotePrefix();
    [GeneratedRegex(@"^\s*\[?(?:\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?|\d{1,2}/\d{1,2}/\d{2,4},? \d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?: ?[AP]M)?)\]?\s+(?:spid\w+\s+)?")]
    private static partial Regex TimestampPrefix();
    [GeneratedRegex(@"^\s*\d+:\d+(?::[0-9a-fA-Fx]+)?>\s?")] private static partial Regex Prompt();

    public static bool LooksLikeHtml(string text) =>
        text.Contains("<td", StringComparison.OrdinalIgnoreCase) || text.Contains("<tr", StringComparison.OrdinalIgnoreCase) ||
        text.Contains("<br", StringComparison.OrdinalIgnoreCase) || text.Contains("<table", StringComparison.OrdinalIgnoreCase) ||
        text.Contains("<html", StringComparison.OrdinalIgnoreCase) || text.Contains("<div", StringComparison.OrdinalIgnoreCase) ||
        text.Contains("<p>", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Strips tags and decodes entities, keeping the table layout readable: a cell ends with a tab, a row,
    /// paragraph, heading or &lt;br&gt; with a new line. Script and style bodies are dropped. Unclosed tags and
    /// unknown entities are left as text rather than guessed at.
    /// </summary>
    public static string HtmlToText(string html)
    {
        var s = ScriptOrStyle().Replace(html, " ");
        s = Comment().Replace(s, " ");
        // Newlines inside a table row are layout (a row may span several source lines); elsewhere they are
        // kept, because pasted HTML is often mixed with plain text whose lines matter.
        s = s.Replace("\r", "");
        // A quoted-printable soft break ("=" at the end of a line) that a mail client left in is no break at all.
        s = TableRow().Replace(s, m => m.Value.Replace("=\n", "").Replace('\n', ' '));
        s = CellEnd().Replace(s, "\t");
        s = LineBreak().Replace(s, "\n");
        s = AnyTag().Replace(s, "");
        s = WebUtility.HtmlDecode(s).Replace('\u00a0', ' ');
        // Empty lines come from markup (a row opens and closes a line), not from the content: drop them.
        // Line numbers in SkippedLines then count lines of this text form.
        var lines = s.Split('\n').Select(l => MultiSpace().Replace(l.Replace('\t', ' '), " ").Trim()).Where(l => l.Length > 0);
        return string.Join('\n', lines);
    }

    // These run over the whole input, so they are NonBacktracking (linear): with the backtracking engine every
    // unclosed "<!--", "<tr" or "<script" of a truncated report rescanned the rest of the text. Script and style
    // are two alternatives instead of a backreference (NonBacktracking has none); at one position only one can match.
    const RegexOptions Linear = RegexOptions.NonBacktracking;
    static readonly Regex ScriptOrStyleRegex = new(@"<script\b[^>]*>.*?</script\s*>|<style\b[^>]*>.*?</style\s*>",
        RegexOptions.IgnoreCase | RegexOptions.Singleline | Linear);
    static readonly Regex CommentRegex = new(@"<!--.*?-->", RegexOptions.Singleline | Linear);
    static readonly Regex TableRowRegex = new(@"<tr\b.*?</tr\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline | Linear);
    static readonly Regex CellEndRegex = new(@"</t[dh]\s*>", RegexOptions.IgnoreCase | Linear);
    static readonly Regex LineBreakRegex = new(@"<br\s*/?>|</?(?:tr|p|div|h[1-6]|li|table|thead|tbody|pre|ul|ol)\b[^>]*>",
        RegexOptions.IgnoreCase | Linear);
    static readonly Regex AnyTagRegex = new(@"</?[a-zA-Z][^<>]*>", Linear);
    static Regex ScriptOrStyle() => ScriptOrStyleRegex;
    static Regex Comment() => CommentRegex;
    static Regex TableRow() => TableRowRegex;
    static Regex CellEnd() => CellEndRegex;
    static Regex LineBreak() => LineBreakRegex;
    static Regex AnyTag() => AnyTagRegex;
    [GeneratedRegex(@"[ ]{2,}")] private static partial Regex MultiSpace();
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
