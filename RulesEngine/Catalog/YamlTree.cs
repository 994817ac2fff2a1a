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
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, YNode>(StringComparer.Ordinal);
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
            diagnostics.Add(new(file, (int)e.Start.Line, (int)e.Start.Column, "bad YAML: " + CleanMessage(e.Message)));
            return null;
        }
    }

    private static YNode ReadNode(IParser parser, string file, Dictionary<string, YNode> anchors, List<CatalogDiagnostic> diagnostics)
    {
        var current = parser.Current ?? throw new YamlException("unexpected end of the document");
        int line = (int)current.Start.Line, col = (int)current.Start.Column;
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
                    items.Add(ReadNode(parser, file, anchors, diagnostics));
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
                    var keyNode = ReadNode(parser, file, anchors, diagnostics);
                    var value = ReadNode(parser, file, anchors, diagnostics);
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
