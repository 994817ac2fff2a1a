using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Catalog;

public enum PatternKind { Exact, Glob, Regex }

/// <summary>
/// A name matcher as catalog files write it: an exact name, a glob (`*` any run, `?` one character),
/// or a regular expression written between slashes (`/^zend_mm_/`, `/.../i` for case-insensitive).
/// Exact names and globs compare case-insensitively, the way WinDbg compares symbol names.
/// </summary>
public sealed class NamePattern
{
    public string Text { get; }
    public PatternKind Kind { get; }
    /// <summary>Characters that match only themselves: the "longer glob" of the precedence rules.</summary>
    public int LiteralLength { get; }
    /// <summary>True for `*` (and `**`…): matches every name, so it adds nothing to a rule's specificity.</summary>
    public bool MatchesEverything { get; }

    private readonly string _lowered;
    private readonly LinearRegex? _regex;

    private NamePattern(string text, PatternKind kind, LinearRegex? regex)
    {
        Text = text;
        Kind = kind;
        _regex = regex;
        _lowered = text.ToLowerInvariant();
        MatchesEverything = kind == PatternKind.Glob && text.All(c => c == '*');
        LiteralLength = kind switch
        {
            PatternKind.Exact => text.Length,
            PatternKind.Glob => text.Count(c => c is not ('*' or '?')),
            _ => RegexLiteralLength(text),
        };
    }

    /// <summary>Parses a pattern; returns null and an error text when it is not usable.</summary>
    public static NamePattern? Parse(string text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text)) { error = "empty pattern"; return null; }
        if (text.Length >= 2 && text[0] == '/')
        {
            int close = text.LastIndexOf('/');
            if (close == 0) { error = $"bad regex '{text}': missing the closing '/'"; return null; }
            var flags = text[(close + 1)..];
            var body = text[1..close];
            if (flags.Any(f => f != 'i')) { error = $"bad regex '{text}': unknown flag(s) '{flags}' (only 'i' is supported)"; return null; }
            if (body.Length == 0) { error = $"bad regex '{text}': empty expression"; return null; }
            if (RegexShape.NonLinearConstruct(body) is { } construct)
            {
                error = $"bad regex '{text}': it needs a construct that cannot run in linear time (a backreference, a lookaround, " +
                        $"an atomic group, a balancing group, a conditional or \\G); write it without: {construct}";
                return null;
            }
            bool ignoreCase = flags.Contains('i');
            try
            {
                // The syntax, checked by the parser alone (the backtracking interpreter's regex is built but never run).
                _ = new Regex(body, RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : 0));
            }
            catch (ArgumentException e)
            {
                error = $"bad regex '{text}': {FirstLine(e.Message)}";
                return null;
            }
            return new NamePattern(text, PatternKind.Regex, new LinearRegex(body, ignoreCase));
        }
        if (text != text.Trim()) { error = $"bad glob '{text}': leading or trailing white space"; return null; }
        bool glob = text.IndexOfAny(['*', '?']) >= 0;
        return new NamePattern(text, glob ? PatternKind.Glob : PatternKind.Exact, null);
    }

    public bool Matches(string? name)
    {
        if (name is null) return false;
        return Kind switch
        {
            PatternKind.Exact => string.Equals(Text, name, StringComparison.OrdinalIgnoreCase),
            PatternKind.Glob => MatchesEverything || GlobMatch(_lowered, name.ToLowerInvariant()),
            _ => _regex!.IsMatch(name),
        };
    }

    /// <summary>Builds the regex now (lint and the tests: every pattern the catalog loads must build).</summary>
    public string? BuildError() => _regex?.BuildError();

    /// <summary>
    /// A catalog regex in .NET's linear-time engine: site catalogs are written by people, and a pattern like (a+)+$ must
    /// not run away on a long frame name. Built on the first name that gets past its required prefixes (see
    /// <see cref="RegexShape"/>): building costs half a megabyte each, and most never meet a name they could match. Not
    /// Compiled: NativeAOT builds (the !fcgi extension) interpret regexes anyway.
    /// </summary>
    private sealed class LinearRegex
    {
        private readonly string _body;
        private readonly bool _ignoreCase;
        private readonly IReadOnlyList<string> _prefixes;
        // Most module regexes are a list of names with optional extensions: matching them is a lookup.
        private readonly IReadOnlySet<string>? _language;
        private Regex? _built;
        private string? _buildError;

        public LinearRegex(string body, bool ignoreCase)
        {
            (_body, _ignoreCase) = (body, ignoreCase);
            var (prefixes, language) = RegexShape.Literals(body);
            _prefixes = prefixes;
            _language = language is null
                ? null : new HashSet<string>(language, ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        }

        public bool IsMatch(string name)
        {
            if (_prefixes.Count > 0 && !_prefixes.Any(p => RegexShape.MayStartWith(name, p, _ignoreCase))) return false;
            if (_language is not null && RegexShape.InLanguage(name, _language) is { } known) return known;
            var regex = Build();
            if (regex is null) return false;
            try { return regex.IsMatch(name); }
            catch (RegexMatchTimeoutException) { return false; }
        }

        public string? BuildError()
        {
            Build();
            return _buildError;
        }

        private Regex? Build()
        {
            if (_built is not null || _buildError is not null) return _built;
            (_built, _buildError) = Built.GetOrAdd((_body, _ignoreCase), static key =>
            {
                var options = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking | (key.IgnoreCase ? RegexOptions.IgnoreCase : 0);
                try { return (new Regex(key.Body, options, TimeSpan.FromMilliseconds(200)), null); }
                // What RegexShape did not foresee: the pattern matches nothing, and lint reports it (BuildError).
                catch (Exception e) when (e is NotSupportedException or ArgumentException) { return (null, FirstLine(e.Message)); }
            });
            return _built;
        }

        /// <summary>One build per expression: rules repeat them (the PHP core's in every catalog file that names it), and a
        /// regex is immutable and safe to share between threads.</summary>
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Body, bool IgnoreCase), (Regex?, string?)> Built
            = new();
    }

    /// <summary>True when every name this pattern's <paramref name="other"/> matches is also matched by this one
    /// (used by lint to find shadowed rules). Answers false when it cannot tell (regexes).</summary>
    public bool Contains(NamePattern other)
    {
        if (MatchesEverything) return true;
        if (Kind == PatternKind.Regex)
            return other.Kind == PatternKind.Exact && Matches(other.Text);
        if (other.Kind == PatternKind.Regex) return false;
        if (other.Kind == PatternKind.Exact) return Matches(other.Text);
        if (Kind == PatternKind.Exact) return false;   // a glob matches more than one name
        return GlobContains(_lowered, other._lowered);
    }

    public override string ToString() => Text;

    /// <summary>Classic glob match with backtracking to the last star; linear in practice.</summary>
    internal static bool GlobMatch(string pattern, string text)
    {
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t])) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { starP = p++; starT = t; }
            else if (starP >= 0) { p = starP + 1; t = ++starT; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>Does glob <paramref name="outer"/> match every string glob <paramref name="inner"/> matches?
    /// A star of the outer pattern may absorb any token of the inner one; a `?` only a single character
    /// or `?`; a literal only the same literal.</summary>
    internal static bool GlobContains(string outer, string inner)
    {
        var memo = new Dictionary<(int, int), bool>();
        bool Go(int i, int j)
        {
            if (memo.TryGetValue((i, j), out var known)) return known;
            bool result;
            if (i == outer.Length) result = j == inner.Length;
            else if (outer[i] == '*') result = Go(i + 1, j) || (j < inner.Length && Go(i, j + 1));
            else if (j == inner.Length) result = false;
            else if (outer[i] == '?') result = inner[j] != '*' && Go(i + 1, j + 1);
            else result = inner[j] == outer[i] && Go(i + 1, j + 1);
            memo[(i, j)] = result;
            return result;
        }
        return Go(0, 0);
    }

    /// <summary>Letters, digits and underscores outside character classes and not after a backslash:
    /// what the expression requires literally. `/^zend_mm_.*$/` counts 7.</summary>
    private static int RegexLiteralLength(string text)
    {
        int close = text.LastIndexOf('/');
        var body = text[1..close];
        int count = 0; bool inClass = false;
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c == '\\') { i++; continue; }
            if (inClass) { if (c == ']') inClass = false; continue; }
            if (c == '[') { inClass = true; continue; }
            // a quantifier after a literal makes it optional or repeated: it no longer counts
            if (i + 1 < body.Length && body[i + 1] is '*' or '?' or '{') continue;
            if (char.IsLetterOrDigit(c) || c == '_') count++;
        }
        return count;
    }

    private static string FirstLine(string s)
    {
        int nl = s.IndexOfAny(['\r', '\n']);
        return nl < 0 ? s : s[..nl];
    }
}

/// <summary>
/// A module matcher. Rules name modules the way people see them — the image file name
/// (`php_xdebug-3.3.1-8.3-vs16-x86_64.dll`, `msvcrt-ruby220.dll`) — while dbgeng names them by the file
/// name without extension with '-' and '.' turned into '_' (`php_xdebug_3_3_1_8_3_vs16_x86_64`,
/// `msvcrt_ruby220`). A module pattern accepts both: it is compared with the image file name when that
/// is known and the pattern has an extension, otherwise in the engine's form.
/// </summary>
public sealed class ModulePattern
{
    private static readonly string[] KnownExtensions = [".dll", ".exe", ".so", ".sys", ".drv", ".ocx", ".cpl", ".pyd", ".node"];

    public NamePattern Pattern { get; }
    /// <summary>The same pattern in the engine's module-name form (no extension, '-' and '.' as '_').</summary>
    public NamePattern EngineForm { get; }
    public bool HasExtension { get; }
    /// <summary>`*.so`: the stem is only wildcards, so the engine form would match every module; such a
    /// pattern can only be decided from the image file name.</summary>
    public bool NeedsFileName { get; }

    private ModulePattern(NamePattern pattern, NamePattern engineForm, bool hasExtension, bool needsFileName)
    {
        Pattern = pattern; EngineForm = engineForm; HasExtension = hasExtension; NeedsFileName = needsFileName;
    }

    public static ModulePattern? Parse(string text, out string? error)
    {
        var pattern = NamePattern.Parse(text, out error);
        if (pattern is null) return null;
        if (pattern.Kind != PatternKind.Regex && text.IndexOfAny(['!', '/', '\\']) >= 0)
        {
            error = text.Contains('!')
                ? $"bad module pattern '{text}': '!' separates module and function; write them as 'module:' and 'function:'"
                : $"bad module pattern '{text}': give a file name, not a path";
            return null;
        }
        if (pattern.Kind == PatternKind.Regex)
            return new ModulePattern(pattern, pattern, false, false);
        string? ext = KnownExtensions.FirstOrDefault(e => text.EndsWith(e, StringComparison.OrdinalIgnoreCase) && text.Length > e.Length);
        var stem = ext is null ? text : text[..^ext.Length];
        var engineText = stem.Replace('-', '_').Replace('.', '_');
        var engineForm = NamePattern.Parse(engineText, out _)!;
        return new ModulePattern(pattern, engineForm, ext is not null, ext is not null && stem.All(c => c is '*' or '?'));
    }

    public bool Matches(ModuleCandidate module)
    {
        if (Pattern.Kind == PatternKind.Regex)
            return Pattern.Matches(module.FileName) || Pattern.Matches(module.EngineName);
        if (HasExtension && module.FileName is not null) return Pattern.Matches(module.FileName);
        if (NeedsFileName) return false;
        return EngineForm.Matches(module.EngineName);
    }

    /// <summary>Does this pattern match every module <paramref name="other"/> matches? (false when unsure)</summary>
    public bool Contains(ModulePattern other)
    {
        if (Pattern.MatchesEverything) return true;
        if (NeedsFileName) return other.HasExtension && Pattern.Contains(other.Pattern);
        return EngineForm.Contains(other.EngineForm);
    }

    public override string ToString() => Pattern.Text;
}

/// <summary>The names one stack frame's module is known by.</summary>
public readonly record struct ModuleCandidate(string? FileName, string? EngineName)
{
    /// <summary>Builds the names from the frame's module text and, when the crash lists it, the module's record.</summary>
    public static ModuleCandidate For(string? frameModule, CrashReport? crash)
    {
        if (string.IsNullOrEmpty(frameModule)) return default;
        var module = crash?.FindModule(frameModule);
        var raw = ModuleNames.FileName(frameModule);
        string? fileName = module?.FileName is { } f ? ModuleNames.FileName(f)
            : LooksLikeFileName(raw) ? raw : null;
        string engine = module?.Name ?? ModuleNames.EngineName(fileName) ?? raw.Replace('-', '_').Replace('.', '_');
        return new ModuleCandidate(fileName, engine);
    }

    public static ModuleCandidate For(ModuleInfo module) =>
        new(module.FileName is { } f ? ModuleNames.FileName(f) : null, module.Name ?? ModuleNames.EngineName(module.FileName));

    private static bool LooksLikeFileName(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot > 0 && name.Length - dot is >= 3 and <= 6 && name[(dot + 1)..].All(char.IsLetterOrDigit)
               && !name[(dot + 1)..].All(char.IsDigit);
    }

    public string Display => FileName ?? EngineName ?? "?";
}
