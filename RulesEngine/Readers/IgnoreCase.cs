using System.Buffers;
using System.Collections.Concurrent;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>
/// Case-insensitive ordinal search for the readers' per-line tests. With invariant globalization (how the tools are
/// built) string.IndexOf(…, OrdinalIgnoreCase) compares character by character, and a report pasted as one line is
/// megabytes that each test scans: that was most of the reading time of such a text. SearchValues searches with
/// vector instructions whatever the globalization mode; one is made per needle, once.
/// </summary>
internal static class IgnoreCase
{
    static readonly ConcurrentDictionary<string, SearchValues<string>> Needles = new();

    public static int IndexOf(ReadOnlySpan<char> text, string value) =>
        text.IndexOfAny(Needles.GetOrAdd(value, static v => SearchValues.Create([v], StringComparison.OrdinalIgnoreCase)));

    public static bool Contains(ReadOnlySpan<char> text, string value) => IndexOf(text, value) >= 0;

    /// <summary>The first of several needles at once (made by the caller with <see cref="Any"/>).</summary>
    public static bool ContainsAny(ReadOnlySpan<char> text, SearchValues<string> values) => text.IndexOfAny(values) >= 0;

    public static SearchValues<string> Any(params string[] values) => SearchValues.Create(values, StringComparison.OrdinalIgnoreCase);
}
