using System.Text;

namespace FcgiExt.RulesEngine.Rendering;

/// <summary>
/// Word wrapping and a table whose cells wrap, for text that must fit a terminal. Written here rather than taken
/// from Spectre.Console because this library is compiled into the NativeAOT debugger extension, which must not carry
/// a console UI library; the CLI's progress display uses Spectre.Console.
/// </summary>
public static class TextLayout
{
    public const int DefaultWidth = 100, MinWidth = 80, MaxWidth = 160;

    /// <summary>The width to lay out for: COLUMNS-style value clamped to 80–160, 100 when unknown.</summary>
    public static int ClampWidth(int? columns) => columns is { } c and > 0 ? Math.Clamp(c, MinWidth, MaxWidth) : DefaultWidth;

    /// <summary>Splits text into lines of at most <paramref name="width"/> characters at spaces; a word longer than a
    /// line (a bucket id, a path) is cut, since nothing else can make it fit.</summary>
    public static List<string> Wrap(string text, int width)
    {
        width = Math.Max(1, width);
        var lines = new List<string>();
        foreach (var paragraph in text.Replace("\r", "").Split('\n'))
        {
            var line = new StringBuilder();
            foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var w = word;
                if (line.Length > 0 && line.Length + 1 + w.Length > width)
                {
                    lines.Add(line.ToString());
                    line.Clear();
                }
                while (w.Length > width)
                {
                    if (line.Length > 0) { lines.Add(line.ToString()); line.Clear(); }
                    lines.Add(w[..width]);
                    w = w[width..];
                }
                if (line.Length > 0) line.Append(' ');
                line.Append(w);
            }
            lines.Add(line.ToString());
        }
        return lines;
    }

    /// <summary>"label value…" with the value wrapped and its continuation lines indented under the value.</summary>
    public static IEnumerable<string> Hanging(string label, string value, int width)
    {
        var indent = new string(' ', label.Length);
        var lines = Wrap(value, Math.Max(20, width - label.Length));
        for (int i = 0; i < lines.Count; i++) yield return (i == 0 ? label : indent) + lines[i];
    }

    /// <summary>A table that fits <paramref name="width"/>: the widest columns give way first and their cells wrap;
    /// numbers in <paramref name="rightAligned"/> columns are right-aligned.</summary>
    public static string Table(string[] header, IReadOnlyList<string[]> rows, int width, ISet<int>? rightAligned = null,
        string indent = "")
    {
        const string Gap = "  ";
        int cols = header.Length;
        var widths = new int[cols];
        foreach (var row in rows.Prepend(header))
            for (int c = 0; c < cols; c++) widths[c] = Math.Max(widths[c], (c < row.Length ? row[c] : "").Length);
        int budget = width - indent.Length - Gap.Length * (cols - 1);
        var minimum = header.Select(h => Math.Max(Math.Min(h.Length, 12), 6)).ToArray();
        // Columns of words give way first, down to their longest word, so that text wraps between words; only
        // then are long tokens (paths, bucket ids) cut.
        var longestWord = new int[cols];
        foreach (var row in rows.Prepend(header))
            for (int c = 0; c < cols; c++)
                foreach (var w in (c < row.Length ? row[c] : "").Split(' ')) longestWord[c] = Math.Max(longestWord[c], w.Length);
        Shrink(c => Math.Max(minimum[c], longestWord[c]));
        Shrink(c => minimum[c]);
        void Shrink(Func<int, int> floor)
        {
            while (widths.Sum() > budget)
            {
                int widest = -1;
                for (int c = 0; c < cols; c++)
                    if (widths[c] > floor(c) && (widest < 0 || widths[c] > widths[widest])) widest = c;
                if (widest < 0) return;
                widths[widest]--;
            }
        }
        var sb = new StringBuilder();
        void Row(string[] row)
        {
            var cells = Enumerable.Range(0, cols).Select(c => Wrap(c < row.Length ? row[c] : "", widths[c])).ToList();
            int height = cells.Max(x => x.Count);
            for (int line = 0; line < height; line++)
            {
                var parts = new string[cols];
                for (int c = 0; c < cols; c++)
                {
                    var cell = line < cells[c].Count ? cells[c][line] : "";
                    parts[c] = rightAligned?.Contains(c) == true ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]);
                }
                sb.Append(indent).AppendLine(string.Join(Gap, parts).TrimEnd());
            }
        }
        Row(header);
        sb.Append(indent).AppendLine(string.Join(Gap, widths.Select(w => new string('-', w))));
        foreach (var row in rows) Row(row);
        return sb.ToString();
    }
}
