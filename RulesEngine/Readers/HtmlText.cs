using System.Net;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>
/// Plain text of pasted HTML in one pass, written over the HTML itself: the text is never longer than the markup it
/// comes from, so the converter writes behind where it reads and needs no second copy of a report (the regex passes
/// it replaces made six, 20× the input, and each unclosed tag rescanned the rest). Hand-written because an HTML
/// parser (AngleSharp, HtmlAgilityPack) builds a DOM of the whole report, which is the memory this avoids, and
/// repairs broken markup where this must leave it as text.
///
/// What it gives, in order of precedence at a '&lt;': script and style elements and comments become a blank; inside
/// a table row (from &lt;tr to the next &lt;/tr&gt;) a line break is a blank and a quoted-printable soft break
/// ("=" at a line's end) nothing; a cell end is a tab; &lt;br&gt;, and the tags of rows, paragraphs, divs, headings,
/// list items, tables and pre a line break; any other tag nothing. Entities are decoded, a no-break space is a blank.
/// Each line loses its tabs, runs of blanks and its blanks at both ends; empty lines go. What does not close (a
/// comment, a script, a row, a tag cut by a truncated report) is left as text rather than guessed at.
/// </summary>
internal static class HtmlText
{
    /// <summary>Converts <paramref name="buffer"/> in place; returns the text's length.</summary>
    public static int ConvertInPlace(Span<char> buffer) => new Converter(buffer).Run();

    /// <summary>The first characters worth a look: a quick test before the whole text is taken for HTML.</summary>
    public static bool LooksLikeHtml(ReadOnlySpan<char> text)
    {
        for (int at = text.IndexOf('<'); at >= 0; at = Next(text, at))
        {
            var rest = text[(at + 1)..];
            if (Starts(rest, "td") || Starts(rest, "tr") || Starts(rest, "br") || Starts(rest, "table") || Starts(rest, "html")
                || Starts(rest, "div") || Starts(rest, "p>"))
                return true;
        }
        return false;

        static int Next(ReadOnlySpan<char> text, int at)
        {
            int n = text[(at + 1)..].IndexOf('<');
            return n < 0 ? -1 : at + 1 + n;
        }
    }

    static bool Starts(ReadOnlySpan<char> s, string prefix) => s.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);

    static bool IsWord(char c) => char.IsLetterOrDigit(c) || c == '_' || char.GetUnicodeCategory(c) is
        System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.ConnectorPunctuation;

    static readonly string[] LineBreakTags = ["tr", "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "table", "thead", "tbody", "pre",
        "ul", "ol"];

    /// <summary>
    /// The next place a closer starts at or after a position. Each answer is kept: a later question from a position up
    /// to the answer has the same answer, and "none after p" holds for every later p, so each closer kind scans the text
    /// once however many openers never close.
    /// </summary>
    sealed class Closer(string token, bool thenTagEnd)
    {
        int from = int.MaxValue, found = -1, end = -1;

        /// <summary>Where the closer at or after <paramref name="p"/> ends (one past it), or -1.</summary>
        public int EndAfter(ReadOnlySpan<char> text, int p)
        {
            if (p >= from && (found < 0 || p <= found)) return found < 0 ? -1 : end;
            from = p;
            (found, end) = Search(text, p);
            return end;
        }

        (int Found, int End) Search(ReadOnlySpan<char> text, int p)
        {
            while (p <= text.Length)
            {
                int i = IgnoreCase.IndexOf(text[p..], token);
                if (i < 0) return (-1, -1);
                int at = p + i, e = at + token.Length;
                if (!thenTagEnd) return (at, e);
                while (e < text.Length && char.IsWhiteSpace(text[e])) e++;
                if (e < text.Length && text[e] == '>') return (at, e + 1);
                p = at + 1;
            }
            return (-1, -1);
        }
    }

    ref struct Converter
    {
        readonly Span<char> buf;
        int r, w;
        // Output state of the current line: whether it has content yet, where its trailing blanks start (-1: none),
        // and whether a line break is owed before the next content.
        bool lineHasContent, needNewline;
        int trailStart;
        int rowEnd;
        readonly Closer script, style, comment, row, tagEnd;

        public Converter(Span<char> buffer)
        {
            buf = buffer;
            r = w = rowEnd = 0;
            lineHasContent = needNewline = false;
            trailStart = -1;
            script = new Closer("</script", true);
            style = new Closer("</style", true);
            comment = new Closer("-->", false);
            row = new Closer("</tr", true);
            tagEnd = new Closer(">", false);
        }

        public int Run()
        {
            while (r < buf.Length)
            {
                char c = buf[r];
                if (c == '<' && Markup()) continue;
                if (c == '&' && Entity()) continue;
                if (c == '\r') { r++; continue; }
                if (c == '\n') { Emit(r < rowEnd ? ' ' : '\n'); r++; continue; }
                if (c == '=' && r < rowEnd)
                {
                    int q = r + 1;
                    while (q < rowEnd && buf[q] == '\r') q++;
                    if (q < rowEnd && buf[q] == '\n') { r = q + 1; continue; }
                }
                Emit(c);
                r++;
            }
            return TrimEnd();
        }

        int TrimEnd() => trailStart >= 0 ? trailStart : w;

        void Emit(char c)
        {
            if (c == '\n')
            {
                if (!lineHasContent) return;
                if (trailStart >= 0) w = trailStart;
                needNewline = true;
                lineHasContent = false;
                trailStart = -1;
                return;
            }
            if (c is '\t' or '\u00a0') c = ' ';
            if (char.IsWhiteSpace(c))
            {
                if (!lineHasContent) return;
                if (c == ' ' && trailStart >= 0 && buf[w - 1] == ' ') return;
                if (trailStart < 0) trailStart = w;
                buf[w++] = c;
                return;
            }
            if (needNewline) { buf[w++] = '\n'; needNewline = false; }
            trailStart = -1;
            lineHasContent = true;
            buf[w++] = c;
        }

        bool Markup()
        {
            ReadOnlySpan<char> text = buf;
            var rest = text[(r + 1)..];
            if (ElementBody(rest, "script", script) || ElementBody(rest, "style", style)) return true;
            if (rest.StartsWith("!--"))
            {
                int e = comment.EndAfter(text, r + 4);
                if (e < 0) return false;
                Emit(' ');
                r = e;
                return true;
            }
            if (r >= rowEnd && Starts(rest, "tr") && (rest.Length == 2 || !IsWord(rest[2])))
                rowEnd = Math.Max(rowEnd, row.EndAfter(text, r + 3));
            bool closing = rest.Length > 0 && rest[0] == '/';
            var name = closing ? rest[1..] : rest;
            if (closing && name.Length >= 2 && (name[0] | 0x20) == 't' && (name[1] | 0x20) is 'd' or 'h')
            {
                int e = r + 4;
                while (e < text.Length && char.IsWhiteSpace(text[e])) e++;
                if (e < text.Length && text[e] == '>') { Emit('\t'); r = e + 1; return true; }
            }
            if (!closing && Starts(name, "br"))
            {
                int e = r + 3;
                while (e < text.Length && char.IsWhiteSpace(text[e])) e++;
                if (e < text.Length && text[e] == '/') e++;
                if (e < text.Length && text[e] == '>') { Emit('\n'); r = e + 1; return true; }
            }
            int word = 0;
            while (word < name.Length && IsWord(name[word])) word++;
            if (word > 0 && IsLineBreakTag(name[..word]))
            {
                int e = tagEnd.EndAfter(text, r + 1 + (closing ? 1 : 0) + word);
                if (e >= 0) { Emit('\n'); r = e; return true; }
            }
            if (name.Length > 0 && char.IsAsciiLetter(name[0]))
            {
                int stop = name.IndexOfAny('<', '>');
                if (stop >= 0 && name[stop] == '>') { r += 1 + (closing ? 1 : 0) + stop + 1; return true; }
            }
            return false;
        }

        static bool IsLineBreakTag(ReadOnlySpan<char> name)
        {
            foreach (var t in LineBreakTags)
                if (name.Equals(t, StringComparison.OrdinalIgnoreCase)) return true;
            return false;
        }

        /// <summary>&lt;script …&gt; … &lt;/script&gt; (or style) as one blank, when both its tag and its closer end.</summary>
        bool ElementBody(ReadOnlySpan<char> rest, string name, Closer closer)
        {
            if (!Starts(rest, name) || (rest.Length > name.Length && IsWord(rest[name.Length]))) return false;
            ReadOnlySpan<char> text = buf;
            int open = tagEnd.EndAfter(text, r + 1 + name.Length);
            if (open < 0) return false;
            int e = closer.EndAfter(text, open);
            if (e < 0) return false;
            Emit(' ');
            r = e;
            return true;
        }

        bool Entity()
        {
            int j = r + 1;
            while (j < buf.Length && j - r < 40 && (char.IsAsciiLetterOrDigit(buf[j]) || buf[j] == '#')) j++;
            if (j >= buf.Length || buf[j] != ';' || j == r + 1) return false;
            var entity = buf[r..(j + 1)];
            string? decoded = entity switch
            {
                "&nbsp;" => " ", "&amp;" => "&", "&lt;" => "<", "&gt;" => ">", "&quot;" => "\"", "&#39;" => "'",
                _ => WebUtility.HtmlDecode(entity.ToString()),
            };
            if (decoded.AsSpan().SequenceEqual(entity)) return false;
            r = j + 1;
            foreach (var ch in decoded) Emit(ch);
            return true;
        }
    }
}
