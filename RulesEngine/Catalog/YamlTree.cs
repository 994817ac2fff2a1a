using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace FcgiExt.RulesEngine.Catalog;

// A small YAML tree built from YamlDotNet's parser events. The catalog needs the line and column of every
// key and value (for `file:line:col` diagnostics) and must report duplicate keys itself; the deserializer
// only reports its first error and the representation model throws on duplicates without a position.

internal abstract record YNode(int Line, int Column);
internal sealed record YScalar(string Value, bool Quoted, int Line, int Column) : YNode(Line, Column);
internal sealed record YSequence(IReadOnlyList<YNode> Items, int Line, int Column) : YNode(Line, Column);
internal sealed record YMapping(IReadOnlyList<KeyValuePair<YScalar, YNode>> Entries, int Line, int Column) : YNode(Line, Column);

internal static class YamlTree
{
    /// <summary>Parses one YAML document; null when the text is empty. Syntax errors become diagnostics.</summary>
    public static YNode? Parse(string text, string file, List<CatalogDiagnostic> diagnostics)
    {
        // YamlDotNet reports a tab in indentation at the start of the enclosing mapping; point at the tab.
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int tab = lines[i].IndexOf('\t');
            if (tab >= 0 && lines[i][..tab].Trim().Length == 0 && lines[i][(tab + 1)..].Trim().Length > 0)
            {
                diagnostics.Add(new(file, i + 1, tab + 1, "bad YAML: tab in indentation (YAML indents with spaces)"));
                return null;
            }
        }
        // Bytes that are not UTF-8 were decoded as U+FFFD: the value no longer says what the author wrote.
        int bad = text.IndexOf('\uFFFD');
        if (bad >= 0)
        {
            int line = 1 + text.AsSpan(0, bad).Count('\n'), col = bad - (text.LastIndexOf('\n', Math.Max(0, bad - 1)) + 1) + 1;
            int count = text.AsSpan().Count('\uFFFD');
            diagnostics.Add(new(file, line, col, $"{count} byte sequence(s) that are not UTF-8 (shown as \uFFFD): save the file as UTF-8",
                DiagnosticSeverity.Warning));
        }
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, YNode>(StringComparer.Ordinal);
        _lastLine = 1; _lastColumn = 1;
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _)) return null;
            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, file, anchors, diagnostics);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var second))
            {
                diagnostics.Add(new(file, (int)second.Start.Line, (int)second.Start.Column,
                    "a catalog file holds one YAML document; a second one starts here"));
            }
            return root;
        }
        catch (YamlException e)
        {
            var message = CleanMessage(e.Message);
            diagnostics.Add(new(file, (int)e.Start.Line, (int)e.Start.Column,
                message.StartsWith("nesting deeper", StringComparison.Ordinal) ? message : "bad YAML: " + message));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner gives up this way on some unterminated flow collections ("[a, b" at the
            // end of a line); the position is the last node it read.
            diagnostics.Add(new(file, _lastLine, _lastColumn,
                "bad YAML: the parser could not continue after this point (an unclosed '[' or '{'?)"));
            return null;
        }
    }

    [ThreadStatic] private static int _lastLine, _lastColumn;

    /// <summary>Deeper lists and mappings are refused: a catalog needs five levels, and the tree is read recursively, so
    /// a file of 10,000 '[' would otherwise overflow the stack and take the whole debugger down with it.</summary>
    public const int MaxNesting = 64;

    private static YNode ReadNode(IParser parser, string file, Dictionary<string, YNode> anchors, List<CatalogDiagnostic> diagnostics,
        int depth = 0)
    {
        var current = parser.Current ?? throw new YamlException("unexpected end of the document");
        int line = (int)current.Start.Line, col = (int)current.Start.Column;
        _lastLine = line; _lastColumn = col;
        if (depth > MaxNesting && current is SequenceStart or MappingStart)
            throw new YamlException(current.Start, current.End, $"nesting deeper than {MaxNesting}");
        switch (current)
        {
            case AnchorAlias alias:
                parser.MoveNext();
                if (anchors.TryGetValue(alias.Value.Value, out var target)) return target;
                throw new YamlException(current.Start, current.End, $"unknown alias '*{alias.Value.Value}'");
            case Scalar scalar:
            {
                parser.MoveNext();
                var node = new YScalar(scalar.Value, scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted
                    or ScalarStyle.Literal or ScalarStyle.Folded, line, col);
                if (!scalar.Anchor.IsEmpty) anchors[scalar.Anchor.Value] = node;
                return node;
            }
            case SequenceStart seqStart:
            {
                parser.MoveNext();
                var items = new List<YNode>();
                while (!parser.Accept<SequenceEnd>(out _))
                    items.Add(ReadNode(parser, file, anchors, diagnostics, depth + 1));
                parser.MoveNext();
                var node = new YSequence(items, line, col);
                if (!seqStart.Anchor.IsEmpty) anchors[seqStart.Anchor.Value] = node;
                return node;
            }
            case MappingStart mapStart:
            {
                parser.MoveNext();
                var entries = new List<KeyValuePair<YScalar, YNode>>();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                while (!parser.Accept<MappingEnd>(out _))
                {
                    var keyNode = ReadNode(parser, file, anchors, diagnostics, depth + 1);
                    var value = ReadNode(parser, file, anchors, diagnostics, depth + 1);
                    if (keyNode is not YScalar key)
                    {
                        diagnostics.Add(new(file, keyNode.Line, keyNode.Column, "a key must be a plain name, not a list or mapping"));
                        continue;
                    }
                    if (!seen.Add(key.Value))
                    {
                        diagnostics.Add(new(file, key.Line, key.Column, $"duplicate key '{key.Value}'"));
                        continue;
                    }
                    entries.Add(new(key, value));
                }
                parser.MoveNext();
                var node = new YMapping(entries, line, col);
                if (!mapStart.Anchor.IsEmpty) anchors[mapStart.Anchor.Value] = node;
                return node;
            }
            default:
                throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
        }
    }

    /// <summary>YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: 20) - (…): "; the diagnostic has the position already.</summary>
    private static string CleanMessage(string message)
    {
        var m = message;
        int sep = m.IndexOf("): ", StringComparison.Ordinal);
        if (m.StartsWith("(Line:", StringComparison.Ordinal) && sep > 0) m = m[(sep + 3)..];
        int nl = m.IndexOfAny(['\r', '\n']);
        return (nl < 0 ? m : m[..nl]).Trim();
    }
}
