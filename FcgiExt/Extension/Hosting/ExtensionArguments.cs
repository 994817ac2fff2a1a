namespace FcgiExt.Extension.Hosting;

/// <summary>A usage error: the command prints the message and its usage, and returns E_INVALIDARG.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Splits a command's argument string the way debugger users type it: blanks separate words, double quotes
/// group a path with spaces. Options start with '-' (or '/'): -v, -json, -y C:\syms, -explain mod!fn.
/// </summary>
public sealed class ExtensionArguments
{
    readonly List<string> _words;
    int _next;

    public ExtensionArguments(string? text) => _words = Split(text ?? "");

    public static List<string> Split(string text)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false, any = false;
        foreach (char c in text)
        {
            if (c == '"') { quoted = !quoted; any = true; continue; }
            if (!quoted && char.IsWhiteSpace(c))
            {
                if (any) words.Add(current.ToString());
                current.Clear(); any = false;
                continue;
            }
            current.Append(c); any = true;
        }
        if (quoted) throw new UsageException("unbalanced double quote in the arguments");
        if (any) words.Add(current.ToString());
        return words;
    }

    public bool AtEnd => _next >= _words.Count;

    /// <summary>The next word if it is an option (-x or /x), normalised to lower case without the prefix.</summary>
    public string? NextOption()
    {
        if (AtEnd) return null;
        var w = _words[_next];
        if (w.Length < 2 || (w[0] != '-' && w[0] != '/')) return null;
        _next++;
        return w[1..].ToLowerInvariant();
    }

    /// <summary>The value that must follow an option such as -y.</summary>
    public string Value(string option)
    {
        if (AtEnd) throw new UsageException($"-{option} needs a value");
        return _words[_next++];
    }

    public string? NextWord() => AtEnd ? null : _words[_next++];

    public IReadOnlyList<string> Rest()
    {
        var rest = _words.Skip(_next).ToList();
        _next = _words.Count;
        return rest;
    }
}
