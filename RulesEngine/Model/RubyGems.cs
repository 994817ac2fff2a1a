using System.Text.RegularExpressions;

namespace FcgiExt.RulesEngine.Model;

/// <summary>Where Ruby installs gems: ".../gems/&lt;name&gt;-&lt;version&gt;[-platform]/...". Readers and triage share it.</summary>
public static partial class RubyGems
{
    // The name may hold dashes ("win32-eventlog"); the version starts with a digit; a platform suffix may follow.
    [GeneratedRegex(@"[/\\]gems[/\\](?<name>[A-Za-z0-9_.]+?(-[A-Za-z][A-Za-z0-9_]*)*)-\d[\w.]*(-[\w-]+)?[/\\]", RegexOptions.IgnoreCase)]
    private static partial Regex GemPath();

    /// <summary>The gem a path belongs to: ".../gems/mysql2-0.5.3/lib/mysql2/client.rb" → "mysql2"; null outside a gem.</summary>
    public static string? NameOf(string path) => GemPath().Match(path) is { Success: true } m ? m.Groups["name"].Value : null;
}
