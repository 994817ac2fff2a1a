namespace FcgiExt.RulesEngine.Catalog;

/// <summary>
/// What a catalog regex's text shows without building it. .NET's linear-time engine (NonBacktracking) costs about half
/// a megabyte and a few milliseconds per regex to build, 150 MB and a second for the built-in catalog; most rules'
/// regexes never meet a name they could match (a module regex per extension), so a pattern is built when a name first
/// gets past its required prefix, and the constructs that engine refuses are found here at load, where the catalog's
/// other errors are. A test holds this scanner to the engine's own verdict.
/// </summary>
public static class RegexShape
{
    /// <summary>The first construct NonBacktracking does not support (a lookaround, an atomic group, a conditional, a
    /// backreference, a balancing group, \G), as "what at column N", or null.</summary>
    public static string? NonLinearConstruct(string body)
    {
        int commentEnd = -1;
        foreach (int i in SyntaxAt(body, 0, body.Length))
        {
            if (i <= commentEnd) continue;
            char c = body[i];
            if (c == '\\')
            {
                if (i + 1 >= body.Length) return null;   // a trailing backslash: the syntax check reports it
                char e = body[i + 1];
                if (e is >= '1' and <= '9') return $"a backreference (\\{e}) at column {i + 1}";
                if (e == 'k') return $"a backreference (\\k) at column {i + 1}";
                if (e == 'G') return $"the \\G anchor at column {i + 1}";
                continue;
            }
            if (c != '(' || i + 1 >= body.Length || body[i + 1] != '?') continue;
            var rest = body.AsSpan(i + 2);
            if (rest.StartsWith("#"))
            {
                // (?#comment): nothing in it is syntax.
                commentEnd = body.IndexOf(')', i);
                if (commentEnd < 0) return null;
                continue;
            }
            int column = i + 1;
            if (rest.StartsWith("=") || rest.StartsWith("!") || rest.StartsWith("<=") || rest.StartsWith("<!"))
                return $"a lookaround at column {column}";
            if (rest.StartsWith(">")) return $"an atomic group at column {column}";
            if (rest.StartsWith("(")) return $"a conditional at column {column}";
            if (rest.Length > 0 && rest[0] is '<' or '\'')
            {
                // (?<name>…) is a group; (?<name-other>…) and (?<-other>…) are balancing groups.
                char end = rest[0] == '<' ? '>' : '\'';
                int close = rest[1..].IndexOf(end);
                if (close >= 0 && rest[1..(close + 1)].Contains('-')) return $"a balancing group at column {column}";
            }
        }
        return null;
    }

    /// <summary>
    /// Literal texts one of which every match starts the name with: "^php_zmq([-_]…)?(\.dll)?$" gives php_zmq,
    /// "^(kernelbase|kernel32)(\.dll)?$" kernelbase and kernel32, "^a$|^b$" a and b. Empty when the expression is not
    /// anchored at the start in every branch or starts with something that is not a literal; a name that starts with none
    /// of them cannot match. Only letters, digits and plain punctuation count as literals, so comparing needs no regex
    /// knowledge; at most <see cref="MaxPrefixes"/> (more say too little to be worth it).
    /// </summary>
    public static IReadOnlyList<string> RequiredPrefixes(string body) => Literals(body).Prefixes;

    /// <summary>
    /// Every name the expression matches, when they are few and written out: "^(ws2_32|mswsock)(\.dll)?$" matches
    /// ws2_32, mswsock, ws2_32.dll and mswsock.dll and nothing else, so such a rule needs no regex at all. Null when the
    /// expression is not one of literals, small character classes and optional parts, anchored at both ends in every
    /// branch. (A "$" also matches before a final line break, as the engine's does; see <see cref="InLanguage"/>.)
    /// </summary>
    public static IReadOnlyList<string>? FiniteLanguage(string body) => Literals(body).Language;

    /// <summary>True when <paramref name="name"/> is one of <paramref name="language"/>'s names as the regex would match it;
    /// null when a character that is not ASCII leaves it to the regex (case-insensitive "k" matches the Kelvin sign).</summary>
    public static bool? InLanguage(string name, IReadOnlySet<string> language)
    {
        if (!System.Text.Ascii.IsValid(name)) return null;
        return language.Contains(name) || (name.EndsWith('\n') && language.Contains(name[..^1]));
    }

    /// <summary><see cref="RequiredPrefixes"/> and <see cref="FiniteLanguage"/> from one reading of the expression.</summary>
    public static (IReadOnlyList<string> Prefixes, IReadOnlyList<string>? Language) Literals(string body)
    {
        var all = new List<string>();
        bool finite = true;
        foreach (var branch in Alternatives(body, 0, body.Length))
        {
            if (branch.Length == 0 || body[branch.Start] != '^') return ([], null);
            var (prefixes, _, ended) = Sequence(body, branch.Start + 1, branch.End);
            finite &= ended;
            if (prefixes.Contains("") && !ended) return ([], null);
            all.AddRange(prefixes);
            if (all.Count > MaxPrefixes) return ([], null);
        }
        var distinct = all.Distinct().ToList();
        // A prefix that starts with another one adds nothing: "php_gd" already lets "php_gd2.dll" through.
        var minimal = distinct.Where(p => !distinct.Any(q => q.Length < p.Length && p.StartsWith(q, StringComparison.Ordinal))).ToList();
        return (minimal.Contains("") ? [] : minimal, finite ? distinct : null);
    }

    const int MaxPrefixes = 64;

    /// <summary>The prefixes a sequence's matches start with; whether the whole sequence was literal (so what follows it
    /// extends them); whether it ended at a final "$" (so they are all it matches).</summary>
    static (List<string> Prefixes, bool Whole, bool Ended) Sequence(string body, int from, int to)
    {
        var prefixes = new List<string> { "" };
        int i = from;
        while (i < to)
        {
            List<string> item;
            bool whole;
            int next;
            char c = body[i];
            if (c == '$' && i == to - 1) return (prefixes, true, true);
            if (c == '(')
            {
                int close = ClosingParen(body, i);
                if (close < 0 || close >= to) return (prefixes, false, false);
                int inner = GroupBodyStart(body, i);
                if (inner < 0) return (prefixes, false, false);   // a look-around, an inline option, a comment
                (item, whole) = (new List<string>(), true);
                foreach (var alt in Alternatives(body, inner, close))
                {
                    var (p, w, ended) = Sequence(body, alt.Start, alt.End);
                    item.AddRange(p);
                    whole &= w && !ended;   // a "$" inside a group: what follows it is not simply appended
                }
                next = close + 1;
            }
            else if (c == '[' && ClassChars(body, i) is var (chars, end) && chars is not null)
            {
                (item, whole, next) = (chars, true, end);
            }
            else if (Literal(body, i) is var (ch, after) && after > i)
            {
                (item, whole, next) = ([ch.ToString()], true, after);
            }
            else return (prefixes, false, false);
            // A quantifier: "?" makes the item one of its texts or none ("(lib)?sybdb": libsybdb or sybdb; a lazy "??"
            // the same); "*" and "{" may also repeat it, so the prefixes end before it; "+" keeps it once, then ends them.
            char q = next < to ? body[next] : '\0';
            if (q is '*' or '{') return (prefixes, false, false);
            if (q == '?')
            {
                item.Add("");
                next++;
                if (next < to && body[next] == '?') next++;
            }
            var extended = prefixes.SelectMany(p => item.Select(x => p + x)).Distinct().ToList();
            if (extended.Count > MaxPrefixes) return (prefixes, false, false);
            prefixes = extended;
            if (q == '+' || !whole) return (prefixes, false, false);
            i = next;
        }
        return (prefixes, true, false);
    }

    /// <summary>A small character class of letters, digits and ranges of them ("[5-8]", "[aw]") as its characters, and
    /// where the next item starts; null chars for any other class (negated, escapes, wide ranges).</summary>
    static (List<string>? Chars, int After) ClassChars(string body, int open)
    {
        var chars = new List<string>();
        int i = open + 1;
        if (i < body.Length && body[i] == '^') return (null, open);
        for (; i < body.Length && body[i] != ']'; i++)
        {
            char c = body[i];
            if (!char.IsAsciiLetterOrDigit(c) && c is not '_') return (null, open);
            if (i + 2 < body.Length && body[i + 1] == '-' && body[i + 2] != ']')
            {
                char last = body[i + 2];
                if (!char.IsAsciiLetterOrDigit(last) || last < c || last - c > 15) return (null, open);
                for (char x = c; x <= last; x++) chars.Add(x.ToString());
                i += 2;
            }
            else chars.Add(c.ToString());
            if (chars.Count > 16) return (null, open);
        }
        return i < body.Length && chars.Count > 0 ? (chars.Distinct().ToList(), i + 1) : (null, open);
    }

    /// <summary>A literal character at <paramref name="i"/> and where the next item starts; (_, i) when not one.</summary>
    static (char Char, int After) Literal(string body, int i)
    {
        char c = body[i];
        if (c == '\\' && i + 1 < body.Length && body[i + 1] is '.' or '-' or '_' or '$' or '^' or '+' or '*' or '?' or '(' or ')'
            or '[' or ']' or '{' or '}' or '|' or '\\' or '/')
            return (body[i + 1], i + 2);
        if (char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or ',' or ':' or '@' or '%' or '~' or '=' or '!' or '\'' or '"' or '<' or '>')
            return (c, i + 1);
        return (c, i);
    }

    /// <summary>Where a group's own expression starts: after "(", "(?:", "(?&lt;name&gt;" or "(?'name'"; -1 for the groups that
    /// are not plain (look-arounds, inline options, comments, conditionals).</summary>
    static int GroupBodyStart(string body, int open)
    {
        if (open + 1 >= body.Length || body[open + 1] != '?') return open + 1;
        if (open + 2 >= body.Length) return -1;
        char k = body[open + 2];
        if (k == ':') return open + 3;
        if (k is '<' or '\'' && open + 3 < body.Length && body[open + 3] is not ('=' or '!'))
        {
            int end = body.IndexOf(k == '<' ? '>' : '\'', open + 3);
            return end < 0 ? -1 : end + 1;
        }
        return -1;
    }

    /// <summary>The ")" that closes the group opened at <paramref name="open"/>, or -1.</summary>
    static int ClosingParen(string body, int open)
    {
        int depth = 0;
        foreach (int i in SyntaxAt(body, open, body.Length))
        {
            if (body[i] == '(') depth++;
            else if (body[i] == ')' && --depth == 0) return i;
        }
        return -1;
    }

    /// <summary>The branches of an alternation between <paramref name="from"/> and <paramref name="to"/>, at its own depth.</summary>
    static List<(int Start, int End, int Length)> Alternatives(string body, int from, int to)
    {
        var result = new List<(int, int, int)>();
        int depth = 0, start = from;
        foreach (int i in SyntaxAt(body, from, to))
        {
            char c = body[i];
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == '|' && depth == 0) { result.Add((start, i, i - start)); start = i + 1; }
        }
        result.Add((start, to, to - start));
        return result;
    }

    /// <summary>
    /// Where the expression's syntax is, from <paramref name="from"/> to <paramref name="to"/>: every character outside a
    /// character class, an escape as its backslash (the character after it is not syntax). Classes are skipped whole:
    /// "[]…]" and "[^]…]" start with a literal ']', and a class's own escapes do not end it.
    /// </summary>
    static IEnumerable<int> SyntaxAt(string body, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            char c = body[i];
            if (c == '[')
            {
                int j = i;
                if (j + 1 < body.Length && body[j + 1] == '^') j++;
                if (j + 1 < body.Length && body[j + 1] == ']') j++;
                for (j++; j < body.Length && body[j] != ']'; j++)
                    if (body[j] == '\\') j++;
                i = j;
                continue;
            }
            yield return i;
            if (c == '\\') i++;
        }
    }

    /// <summary>
    /// False only when <paramref name="name"/> certainly does not start with <paramref name="prefix"/>: a character of the
    /// name that is not ASCII decides nothing (case-insensitive regexes match the Kelvin sign for "k"), so the regex then
    /// decides.
    /// </summary>
    public static bool MayStartWith(string name, string prefix, bool ignoreCase)
    {
        if (name.Length < prefix.Length)
        {
            // Too short, unless a character that is not ASCII could stand for more than itself.
            return !System.Text.Ascii.IsValid(name);
        }
        for (int i = 0; i < prefix.Length; i++)
        {
            char n = name[i], p = prefix[i];
            if (!char.IsAscii(n)) return true;
            if (n == p) continue;
            if (ignoreCase && char.IsAsciiLetter(p) && (n | 0x20) == (p | 0x20)) continue;
            return false;
        }
        return true;
    }
}
