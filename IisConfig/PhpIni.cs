namespace FcgiExt.IisConfig;

/// <summary>One `name = value` line of a php.ini, with the section it sits in.</summary>
public sealed record IniEntry(string Section, string Name, string? Value, SourceLocation Location);

/// <summary>
/// A php.ini read the way PHP reads the parts the checks need: `;` comments, `[sections]`, quoted values, later lines
/// winning. Entries under `[PATH=…]` and `[HOST=…]` apply to some scripts only, so <see cref="Get"/> leaves them out;
/// every other section name is only a heading to PHP.
/// </summary>
public sealed class PhpIni
{
    public string File { get; }
    public IReadOnlyList<IniEntry> Entries { get; }

    PhpIni(string file, IReadOnlyList<IniEntry> entries) { File = file; Entries = entries; }

    public static PhpIni Load(string path)
    {
        string text;
        try { text = System.IO.File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigFileException(path, 0, 0, $"cannot read: {e.Message}");
        }
        return Parse(text, path);
    }

    /// <exception cref="ConfigFileException">The first line PHP's parser would stop at.</exception>
    public static PhpIni Parse(string text, string file)
    {
        var entries = new List<IniEntry>();
        string section = "";
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n];
            int start = line.Length - line.TrimStart().Length;
            var body = line.Trim();
            if (n == 0 && body.StartsWith('\uFEFF')) body = body[1..];
            // PHP 7 dropped '#' comments: such a line is a directive nobody reads, as it is here.
            if (body.Length == 0 || body[0] == ';') continue;
            if (body[0] == '[')
            {
                int close = body.IndexOf(']');
                if (close < 0) throw new ConfigFileException(file, n + 1, start + 1, "section name without a closing ']'");
                section = body[1..close].Trim();
                continue;
            }
            int eq = body.IndexOf('=');
            string name = (eq < 0 ? StripComment(body) : body[..eq]).Trim();
            if (name.Length == 0) throw new ConfigFileException(file, n + 1, start + 1, "a value with no directive name before '='");
            string? value = eq < 0 ? null : Value(body[(eq + 1)..], file, n + 1, start + eq + 2);
            entries.Add(new IniEntry(section, name, value, new SourceLocation(file, n + 1, start + 1)));
        }
        return new PhpIni(file, entries);
    }

    static string StripComment(string s)
    {
        int i = s.IndexOf(';');
        return i < 0 ? s : s[..i];
    }

    /// <summary>The text after '=': a quoted string (which may hold ';'), or plain text up to a ';' comment.</summary>
    static string Value(string raw, string file, int line, int column)
    {
        var v = raw.TrimStart();
        column += raw.Length - v.Length;
        if (v.Length > 0 && v[0] is '"' or '\'')
        {
            int close = v.IndexOf(v[0], 1);
            if (close < 0) throw new ConfigFileException(file, line, column, $"quoted value without its closing {v[0]}");
            return v[1..close];
        }
        return StripComment(v).Trim();
    }

    static bool AppliesEverywhere(string section) =>
        !section.StartsWith("PATH=", StringComparison.OrdinalIgnoreCase)
        && !section.StartsWith("HOST=", StringComparison.OrdinalIgnoreCase);

    /// <summary>The line that decides a directive for every script (the last one, as PHP lets later lines win).</summary>
    public IniEntry? Get(string name) =>
        Entries.LastOrDefault(e => e.Value is not null && AppliesEverywhere(e.Section)
                                   && string.Equals(e.Name, name, StringComparison.Ordinal));

    /// <summary>PHP's reading of an ini boolean: on, yes, true and non-zero numbers are true.</summary>
    public static bool IsTrue(string value) => value.Trim().ToLowerInvariant() switch
    {
        "on" or "yes" or "true" => true,
        "off" or "no" or "false" or "none" or "" => false,
        var v => Atoi(v) != 0,
    };

    /// <summary>C's atoi, which PHP uses for numbers in the environment and in ini integers: leading digits, else 0.</summary>
    public static long Atoi(string s)
    {
        s = s.TrimStart();
        int i = 0;
        bool negative = false;
        if (i < s.Length && s[i] is '+' or '-') negative = s[i++] == '-';
        long n = 0;
        for (; i < s.Length && char.IsAsciiDigit(s[i]) && n < int.MaxValue; i++) n = n * 10 + (s[i] - '0');
        return negative ? -n : n;
    }
}
