using System.Globalization;
using System.Text.RegularExpressions;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>A parsed "module!function+0xdisp [file @ line]" as debuggers print a frame's call site.</summary>
internal sealed record CallSite(string? Module, string? Function, ulong? Displacement, ulong? Address, string? SourceFile, int? SourceLine);

internal static partial class CallSiteParser
{
    /// <summary>
    /// Parses a call site; null when the text is not one. Accepts `module!function+0x12`, `module!function+12`
    /// (DebugDiag and old !analyze write hex without 0x), `module!function(args)+0x12` (kp), `module+0x1234`,
    /// `module` alone (kc), a bare address (`0x7ffb1234`, `00007ffb`1234abcd`), `&lt;Unloaded_x.dll&gt;+0x12`, followed by
    /// `[file @ line]`, kv's `(FPO: …)` / `(CONV: …)` notes, a second address or a source path — those trail the
    /// call site and are taken apart here.
    /// </summary>
    public static CallSite? Parse(string text)
    {
        var s = text.Trim();
        if (s.Length == 0) return null;
        string? file = null; int? line = null;

        var src = SourceSuffix().Match(s);
        if (src.Success)
        {
            file = src.Groups["file"].Value.Trim();
            line = int.TryParse(src.Groups["line"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : null;
            s = s[..src.Index].TrimEnd();
        }
        // kv's notes follow a call site of ordinary length. In a longer text (a whole report pasted as one line, or a name
        // of megabytes) they are not looked for: taking them out made a copy of all of it.
        if (s.Length <= NotesScanLimit) s = KvNotes().Replace(s, "").TrimEnd();

        // Bare address (address-only frame).
        var first = FirstToken(s);
        if (Hex.IsAddressToken(first)
            || (first.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && Hex.Parse(first.ToString()) is not null && !first.Contains('!')))
        {
            if (first.Length < s.Length && !TrailerIsHarmless(s.AsSpan(first.Length))) return null;
            return new CallSite(null, null, null, Hex.Parse(first.ToString()), file, line);
        }

        // Where the symbol ends and whether what follows can trail a call site, before a Match and its groups are made:
        // most lines offered are prose, whose first word looks like a module.
        int symbolLength = -1;
        foreach (var vm in Symbol().EnumerateMatches(s)) { symbolLength = vm.Length; break; }
        if (symbolLength < 0) return null;
        var after = s.AsSpan(symbolLength).Trim();
        if (after.Length > 0 && !(file is null && SourceLike().IsMatch(after)) && !TrailerIsHarmless(after)) return null;

        var m = Symbol().Match(s);
        if (!m.Success) return null;
        // A span: on a prose line the "module" is its first word and the rest (maybe megabytes) is no call site.
        var rest = s.AsSpan(m.Length).Trim();
        if (rest.Length > 0)
        {
            // Trailing "second address" or a source path the paster left after the frame.
            if (file is null && SourceLike().IsMatch(rest))
            {
                var trailing = SourceLike().Match(rest.ToString());
                file = trailing.Groups["file"].Value;
                if (int.TryParse(trailing.Groups["line"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var tl)) line = tl;
            }
            else if (!TrailerIsHarmless(rest)) return null;
        }

        var module = m.Groups["module"].Value;
        if (module.StartsWith('<') && module.EndsWith('>')) module = module[1..^1];
        if (module.StartsWith("Unloaded_", StringComparison.OrdinalIgnoreCase)) module = module["Unloaded_".Length..];
        string? function = m.Groups["function"].Success && m.Groups["function"].Value.Length > 0 ? m.Groups["function"].Value : null;
        ulong? disp = m.Groups["disp"].Success ? Hex.Parse(m.Groups["disp"].Value) : null;
        if (!IsPlausibleModule(module)) return null;
        return new CallSite(module, function, disp, null, file, line);
    }

    const int NotesScanLimit = 16 * 1024;

    static ReadOnlySpan<char> FirstToken(string s)
    {
        int sp = s.IndexOf(' ');
        return sp < 0 ? s : s.AsSpan(0, sp);
    }

    /// <summary>What may follow a call site: another address, a source path, "(FPO…)" leftovers.</summary>
    static bool TrailerIsHarmless(string rest) => TrailerIsHarmless(rest.AsSpan());

    /// <summary>Token by token as spans, up to the first that is not harmless: splitting a long line made a string of
    /// every word on it.</summary>
    static bool TrailerIsHarmless(ReadOnlySpan<char> rest)
    {
        foreach (var range in rest.Split(' '))
        {
            var t = rest[range];
            if (t.IsEmpty) continue;
            var bare = t.Trim("[](),");
            if (Hex.IsAddressToken(bare)) continue;
            if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && Hex.Parse(bare.ToString()) is not null) continue;
            if (SourceLike().IsMatch(t)) continue;
            return false;
        }
        return true;
    }

    static bool IsPlausibleModule(string module)
    {
        if (module.Length == 0 || module.Length > 260) return false;
        foreach (var c in module)
            if (char.IsWhiteSpace(c) || c is '(' or ')' or '[' or ']' or '"' or '\'' or ',' or ';' or '=') return false;
        return true;
    }

    // module!function(args)+0xdisp | module!function+disp | module+0xdisp | module
    // Function names may hold C++ templates and operators; args (kp) may hold anything but are balanced parentheses.
    [GeneratedRegex(@"^(?<module>[<A-Za-z_0-9$][^\s!+()]*?)(?:!(?<function>[^\s()+]+(?:\s*<[^>]*>[^\s()+]*)?)(?<args>\((?>[^()]+|\((?<d>)|\)(?<-d>))*(?(d)(?!))\))?)?(?:\+(?<disp>(?:0x)?[0-9a-fA-F`]+))?(?=\s|$)")]
    private static partial Regex Symbol();

    [GeneratedRegex(@"\s*\[(?<file>[^\[\]]+?)\s*@\s*(?<line>\d+)\s*\]\s*$")] private static partial Regex SourceSuffix();
    [GeneratedRegex(@"\s*\((?:FPO|CONV|TrapFrame|KTRAP_FRAME|Inline)[^)]*\)")] private static partial Regex KvNotes();
    // "vm_dump.c:759", "C:\src\php\Zend\zend.c(1499)", "/build/x/base.c:1532"
    [GeneratedRegex(@"^(?<file>(?:[A-Za-z]:)?[\\/\w.\-~ ]*\.(?:c|cc|cpp|cxx|h|hpp|inl|asm|s|y|l|rb))(?:[:(](?<line>\d+)\)?)?$", RegexOptions.IgnoreCase)]
    private static partial Regex SourceLike();
}
