using FcgiExt.RulesEngine.Model;
using System.Globalization;


namespace FcgiExt.RulesEngine.Catalog;

/// <summary>Reads one catalog file (owners + rules) into the model, reporting every problem with its position.</summary>
public static class CatalogParser
{
    private static readonly string[] TopKeys = ["owners", "rules"];
    private static readonly string[] OwnerKeys = ["id", "name", "category", "report_url", "symbols", "symbol_server", "advice"];
    private static readonly string[] RuleKeys = ["id", "description", "match", "action", "owner", "tags", "examples"];
    private static readonly string[] MatchKeys = ["module", "function", "exception", "process"];
    private static readonly string[] ExampleKeys = ["frames", "exception", "process", "expect"];

    public static CatalogFile Parse(string text, string file, List<CatalogDiagnostic> diagnostics)
    {
        var result = new CatalogFile { Path = file };
        var root = YamlTree.Parse(text, file, diagnostics);
        if (root is null) return result;
        if (root is not YMapping top)
        {
            diagnostics.Add(Diag(file, root, "a catalog file is a mapping with 'owners:' and/or 'rules:'"));
            return result;
        }
        foreach (var (key, value) in top.Entries)
        {
            switch (key.Value)
            {
                case "owners":
                    foreach (var item in Items(value, file, "owners", diagnostics))
                        if (ParseOwner(item, file, diagnostics) is { } o) result.Owners.Add(o);
                    break;
                case "rules":
                    foreach (var item in Items(value, file, "rules", diagnostics))
                        if (ParseRule(item, file, diagnostics) is { } r) result.Rules.Add(r);
                    break;
                default:
                    diagnostics.Add(UnknownKey(file, key, "the catalog", TopKeys));
                    break;
            }
        }
        return result;
    }

    private static IEnumerable<YNode> Items(YNode node, string file, string what, List<CatalogDiagnostic> diagnostics)
    {
        if (node is YScalar { Value: "" or "~" or "null", Quoted: false }) return [];
        if (node is YSequence seq) return seq.Items;
        diagnostics.Add(Diag(file, node, $"'{what}' must be a list (each item starting with '- ')"));
        return [];
    }

    private static CatalogOwnerEntry? ParseOwner(YNode node, string file, List<CatalogDiagnostic> diagnostics)
    {
        if (Fields(node, file, "an owner", OwnerKeys, diagnostics) is not { } f) return null;
        var id = RequiredScalar(f, node, "id", file, "owner", diagnostics);
        var name = RequiredScalar(f, node, "name", file, "owner", diagnostics);
        var category = RequiredScalar(f, node, "category", file, "owner", diagnostics);
        if (category is not null && !OwnerCategory.All.Contains(category.Value))
        {
            diagnostics.Add(Diag(file, category,
                $"bad category '{category.Value}' (expected one " +
                $"of: {string.Join(", ", OwnerCategory.All.Order(StringComparer.Ordinal))})"));
            category = null;
        }
        if (id is not null && !ValidId(id.Value))
        {
            diagnostics.Add(Diag(file, id, $"bad id '{id.Value}': use letters, digits, '-', '_' and '.'"));
            id = null;
        }
        var url = OptionalScalar(f, "report_url", file, diagnostics);
        if (url is not null && !Uri.TryCreate(url.Value, UriKind.Absolute, out _))
            diagnostics.Add(Diag(file, url, $"bad report_url '{url.Value}': give an absolute URL"));
        var server = OptionalScalar(f, "symbol_server", file, diagnostics);
        if (server is not null && server.Value != Owner.MicrosoftSymbolServer)
        {
            diagnostics.Add(Diag(file, server, $"bad symbol_server '{server.Value}' (expected: {Owner.MicrosoftSymbolServer})"));
            server = null;
        }
        if (id is null || name is null || category is null) return null;
        return new CatalogOwnerEntry
        {
            Owner = new Owner
            {
                Id = id.Value, Name = name.Value, Category = category.Value, ReportUrl = url?.Value,
                Symbols = OptionalScalar(f, "symbols", file, diagnostics)?.Value,
                SymbolServer = server?.Value,
                Advice = OptionalScalar(f, "advice", file, diagnostics)?.Value,
            },
            Location = Loc(file, node),
        };
    }

    private static CatalogRule? ParseRule(YNode node, string file, List<CatalogDiagnostic> diagnostics)
    {
        if (Fields(node, file, "a rule", RuleKeys, diagnostics) is not { } f) return null;
        int before = diagnostics.Count;
        var id = RequiredScalar(f, node, "id", file, "rule", diagnostics);
        if (id is not null && !ValidId(id.Value))
            diagnostics.Add(Diag(file, id, $"bad id '{id.Value}': use letters, digits, '-', '_' and '.'"));
        var actionNode = RequiredScalar(f, node, "action", file, "rule", diagnostics);
        RuleAction action = RuleAction.Owner;
        if (actionNode is not null && !TryAction(actionNode.Value, out action))
            diagnostics.Add(Diag(file, actionNode,
                $"bad action '{actionNode.Value}' (expected one of: owner, maybe, last, ignore, sentinel, prefix, default)"));
        var owner = OptionalScalar(f, "owner", file, diagnostics);
        if (actionNode is not null && TryAction(actionNode.Value, out _))
        {
            bool needsOwner = action is RuleAction.Owner or RuleAction.Maybe or RuleAction.Last or RuleAction.Default;
            if (needsOwner && owner is null)
                diagnostics.Add(Diag(file, actionNode, $"action '{actionNode.Value}' needs an 'owner:'"));
            if (!needsOwner && owner is not null)
                diagnostics.Add(Diag(file, owner, $"action '{actionNode.Value}' takes no owner; remove 'owner:'"));
        }
        var match = f.TryGetValue("match", out var matchNode) ? ParseMatch(matchNode.Value, file, diagnostics) : new RuleMatch();
        if (match is not null && match.Module is null && match.Function is null && match.ConditionCount == 0 &&
            action != RuleAction.Default)
            diagnostics.Add(Diag(file, f.TryGetValue("match", out var mn) ? mn.Value : node,
                "the rule matches every frame: give 'match:' at least a module, a function, an exception or a process (only 'default' " +
                "rules may match everything)"));
        var tags = new List<string>();
        if (f.TryGetValue("tags", out var tagsNode))
            foreach (var t in Items(tagsNode.Value, file, "tags", diagnostics))
                if (t is YScalar s && s.Value.Length > 0) tags.Add(s.Value);
                else diagnostics.Add(Diag(file, t, "a tag is a plain word"));
        var examples = new List<RuleExample>();
        if (f.TryGetValue("examples", out var exNode))
            foreach (var e in Items(exNode.Value, file, "examples", diagnostics))
                if (ParseExample(e, file, diagnostics) is { } ex) examples.Add(ex);
        var description = OptionalScalar(f, "description", file, diagnostics)?.Value;
        if (diagnostics.Count > before || id is null || actionNode is null || match is null) return null;
        return new CatalogRule
        {
            Id = id.Value, Description = description, Match = match, Action = action, OwnerId = owner?.Value,
            Tags = tags, Examples = examples, Location = Loc(file, node),
            OwnerLocation = owner is null ? null : Loc(file, owner),
        };
    }

    private static RuleMatch? ParseMatch(YNode node, string file, List<CatalogDiagnostic> diagnostics)
    {
        if (Fields(node, file, "'match'", MatchKeys, diagnostics) is not { } f) return null;
        int before = diagnostics.Count;
        ModulePattern? module = null, process = null;
        NamePattern? function = null;
        ExceptionCondition? exception = null;
        if (OptionalScalar(f, "module", file, diagnostics) is { } m)
        {
            module = ModulePattern.Parse(m.Value, out var err);
            if (err is not null) diagnostics.Add(Diag(file, m, err));
        }
        if (OptionalScalar(f, "function", file, diagnostics) is { } fn)
        {
            function = NamePattern.Parse(fn.Value, out var err);
            if (err is not null) diagnostics.Add(Diag(file, fn, err));
        }
        if (OptionalScalar(f, "exception", file, diagnostics) is { } ex)
        {
            exception = ParseException(ex.Value, out var err);
            if (err is not null) diagnostics.Add(Diag(file, ex, err));
        }
        if (OptionalScalar(f, "process", file, diagnostics) is { } p)
        {
            process = ModulePattern.Parse(p.Value, out var err);
            if (err is not null) diagnostics.Add(Diag(file, p, err.Replace("module pattern", "process pattern")));
        }
        if (diagnostics.Count > before) return null;
        return new RuleMatch { Module = module, Function = function, Exception = exception, Process = process };
    }

    /// <summary>`0xc0000374` (or `c0000374`) is a code; an upper-case name or glob (`HEAP_CORRUPTION`, `NULL_POINTER_*`) is a
    /// class.</summary>
    public static ExceptionCondition? ParseException(string text, out string? error)
    {
        error = null;
        var t = text.Trim();
        var hex = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? t[2..] : t;
        if (hex.Length == 8 && uint.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
            return new ExceptionCondition(t, code, null);
        // Event logs and IIS print codes in decimal (3221225477, -1073741819): accept them as the code they are.
        if (t.Length is > 0 and not 8 && (t.TrimStart('-').All(char.IsAsciiDigit)))
        {
            if (uint.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var unsigned))
                return new ExceptionCondition(t, unsigned, null);
            if (int.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var signed))
                return new ExceptionCondition(t, unchecked((uint)signed), null);
            error = $"bad exception code '{text}': too large for a 32-bit code";
            return null;
        }
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            error = $"bad exception code '{text}': write 8 hex digits, e.g. 0xc0000374";
            return null;
        }
        if (t.Length == 0 || !char.IsAsciiLetterUpper(t[0]) && t[0] is not ('*' or '?')
            || !t.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c is '_' or '*' or '?'))
        {
            error = $"bad exception '{text}': give a code (0xc0000005) or a class name in capitals (ACCESS_VIOLATION, HEAP_CORRUPTION, " +
                "NULL_POINTER_*)";
            return null;
        }
        return new ExceptionCondition(t, null, NamePattern.Parse(t, out _));
    }

    private static RuleExample? ParseExample(YNode node, string file, List<CatalogDiagnostic> diagnostics)
    {
        if (Fields(node, file, "an example", ExampleKeys, diagnostics) is not { } f) return null;
        int before = diagnostics.Count;
        var frames = new List<string>();
        if (!f.TryGetValue("frames", out var framesNode))
            diagnostics.Add(Diag(file, node, "an example needs 'frames:' (a list of \"module!function\")"));
        else
            foreach (var fr in Items(framesNode.Value, file, "frames", diagnostics))
                if (fr is YScalar s && s.Value.Trim().Length > 0) frames.Add(s.Value.Trim());
                else diagnostics.Add(Diag(file, fr, "a frame is a string like \"php8ts!zend_call_function\""));
        var expect = RequiredScalar(f, node, "expect", file, "example", diagnostics);
        var exception = OptionalScalar(f, "exception", file, diagnostics);
        if (exception is not null)
        {
            ParseException(exception.Value, out var err);
            if (err is not null) diagnostics.Add(Diag(file, exception, err));
        }
        var process = OptionalScalar(f, "process", file, diagnostics);
        if (diagnostics.Count > before || expect is null) return null;
        return new RuleExample
        {
            Frames = frames, Exception = exception?.Value, Process = process?.Value, Expect = expect.Value, Location = Loc(file, node),
        };
    }

    // ---- helpers -------------------------------------------------------------------------------------

    private static Dictionary<string, KeyValuePair<YScalar, YNode>>? Fields(YNode node, string file, string what,
        string[] allowed, List<CatalogDiagnostic> diagnostics)
    {
        if (node is not YMapping map)
        {
            diagnostics.Add(Diag(file, node, $"{what} must be a mapping of keys ({string.Join(", ", allowed)})"));
            return null;
        }
        var result = new Dictionary<string, KeyValuePair<YScalar, YNode>>(StringComparer.Ordinal);
        foreach (var entry in map.Entries)
        {
            if (!allowed.Contains(entry.Key.Value))
                diagnostics.Add(UnknownKey(file, entry.Key, what, allowed));
            else
                result[entry.Key.Value] = entry;
        }
        return result;
    }

    private static YScalar? RequiredScalar(Dictionary<string, KeyValuePair<YScalar, YNode>> f, YNode owner, string key,
        string file, string what, List<CatalogDiagnostic> diagnostics)
    {
        if (!f.ContainsKey(key))
        {
            diagnostics.Add(Diag(file, owner, $"{what} is missing '{key}:'"));
            return null;
        }
        var s = OptionalScalar(f, key, file, diagnostics);
        if (s is not null && s.Value.Trim().Length == 0)
        {
            diagnostics.Add(Diag(file, s, $"'{key}' is empty"));
            return null;
        }
        return s;
    }

    private static YScalar? OptionalScalar(Dictionary<string, KeyValuePair<YScalar, YNode>> f, string key, string file,
        List<CatalogDiagnostic> diagnostics)
    {
        if (!f.TryGetValue(key, out var entry)) return null;
        if (entry.Value is YScalar s) return s;
        diagnostics.Add(Diag(file, entry.Value, $"'{key}' must be a single value, not a list or mapping"));
        return null;
    }

    private static bool TryAction(string text, out RuleAction action)
    {
        action = RuleAction.Owner;
        switch (text)
        {
            case "owner": action = RuleAction.Owner; return true;
            case "maybe": action = RuleAction.Maybe; return true;
            case "last": action = RuleAction.Last; return true;
            case "ignore": action = RuleAction.Ignore; return true;
            case "sentinel": action = RuleAction.Sentinel; return true;
            case "prefix": action = RuleAction.Prefix; return true;
            case "default": action = RuleAction.Default; return true;
            default: return false;
        }
    }

    private static bool ValidId(string id) =>
        id.Length > 0 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static CatalogDiagnostic UnknownKey(string file, YScalar key, string where, string[] allowed) =>
        new(file, key.Line, key.Column, $"unknown key '{key.Value}' in {where} (expected: {string.Join(", ", allowed)})");

    private static CatalogDiagnostic Diag(string file, YNode node, string message) => new(file, node.Line, node.Column, message);

    private static SourceLocation Loc(string file, YNode node) => new(file, node.Line, node.Column);
}
