using System.Text;

namespace FcgiExt.RulesEngine.Catalog.Tools;

public sealed record TriageIniImport(string Yaml, IReadOnlyList<CatalogDiagnostic> Skipped, int RuleCount, int OwnerCount);

/// <summary>
/// Converts a WinDbg triage.ini into catalog YAML. The format, as Microsoft documents it
/// (https://learn.microsoft.com/en-us/windows-hardware/drivers/debugger/specifying-module-and-function-owners):
/// one `Module[!Function]=Owner` per line; `*` only at the end of a name (elsewhere it is a literal
/// character); `default` as a module or function name is a wildcard (`nt!default` = `nt!*`, `default` = `*!*`);
/// owner `ignore` skips the frame; owner prefixes `maybe_` and `last_` lower the priority; spaces in the
/// owner are ignored. Comment lines (`;` or `#`) and `[section]` headers are skipped; any other line that
/// does not fit is reported with its line number, never dropped silently.
/// Owners get the category `unknown`: triage.ini has no categories, so set them after importing.
/// </summary>
public static class TriageIniImporter
{
    public static TriageIniImport Convert(string text, string file)
    {
        var skipped = new List<CatalogDiagnostic>();
        var owners = new List<string>();                 // owner ids in first-seen order
        var ownerNames = new Dictionary<string, string>(StringComparer.Ordinal);
        var rules = new List<(string Id, string? Module, string? Function, string Action, string? Owner, int Line, string Source)>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            var raw = lines[n];
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is ';' or '#' || (line[0] == '[' && line[^1] == ']')) continue;
            int eq = line.IndexOf('=');
            if (eq <= 0)
            {
                skipped.Add(new(file, n + 1, 1, $"skipped: not Module[!Function]=Owner: '{line}'", DiagnosticSeverity.Warning));
                continue;
            }
            var left = line[..eq].Trim();
            var owner = new string(line[(eq + 1)..].Where(c => !char.IsWhiteSpace(c)).ToArray());
            if (owner.Length == 0)
            {
                skipped.Add(new(file, n + 1, eq + 2, $"skipped: no owner after '=' in '{line}'", DiagnosticSeverity.Warning));
                continue;
            }
            int bang = left.IndexOf('!');
            string module = bang < 0 ? left : left[..bang].Trim();
            string function = bang < 0 ? "*" : left[(bang + 1)..].Trim();
            if (module.Length == 0 || function.Length == 0 || module.Contains(' ') || function.Contains(' '))
            {
                skipped.Add(new(file, n + 1, 1, $"skipped: bad module or function in '{line}'", DiagnosticSeverity.Warning));
                continue;
            }
            string? modulePattern = Pattern(module);
            string? functionPattern = Pattern(function);

            string action; string? ownerText = owner;
            if (owner.Equals("ignore", StringComparison.OrdinalIgnoreCase)) { action = "ignore"; ownerText = null; }
            else if (owner.StartsWith("maybe_", StringComparison.OrdinalIgnoreCase)) { action = "maybe"; ownerText = owner[6..]; }
            else if (owner.StartsWith("last_", StringComparison.OrdinalIgnoreCase)) { action = "last"; ownerText = owner[5..]; }
            else action = modulePattern is null && functionPattern is null ? "default" : "owner";
            if (ownerText is { Length: 0 })
            {
                skipped.Add(new(file, n + 1, eq + 2, $"skipped: '{owner}' names no owner after its prefix", DiagnosticSeverity.Warning));
                continue;
            }
            if (action == "ignore" && modulePattern is null && functionPattern is null)
            {
                skipped.Add(new(file, n + 1, 1, "skipped: 'default=ignore' would skip every frame", DiagnosticSeverity.Warning));
                continue;
            }
            string? ownerId = null;
            if (ownerText is not null)
            {
                ownerId = Slug(ownerText);
                if (!ownerNames.ContainsKey(ownerId)) { ownerNames[ownerId] = ownerText; owners.Add(ownerId); }
            }
            var id = UniqueId(ids, "ini-" + Slug(module == "default" ? "any" : module) +
                                   (functionPattern is null ? "" : "-" + Slug(function.TrimEnd('*') is { Length: > 0 } f ? f : "any")));
            rules.Add((id, modulePattern, functionPattern, action, ownerId, n + 1, line));
        }

        var sb = new StringBuilder();
        sb.Append("# Imported from ").Append(ModuleFileName(file)).AppendLine(" by `fcgi rules import-triage-ini`.");
        sb.AppendLine("# triage.ini has no categories: every owner below is 'unknown' — set each to one of php-core,");
        sb.AppendLine("# php-extension, ruby-core, ruby-gem, database-driver, iis, windows, crt, injected-third-party, application.");
        sb.AppendLine();
        sb.AppendLine("owners:");
        if (owners.Count == 0) sb.AppendLine("  []");
        foreach (var id in owners)
        {
            sb.Append("  - id: ").AppendLine(id);
            sb.Append("    name: ").AppendLine(Quote(ownerNames[id]));
            sb.AppendLine("    category: unknown");
        }
        sb.AppendLine();
        sb.AppendLine("rules:");
        if (rules.Count == 0) sb.AppendLine("  []");
        foreach (var r in rules)
        {
            sb.Append("  - id: ").AppendLine(r.Id);
            sb.Append("    description: ").AppendLine(Quote($"triage.ini line {r.Line}: {r.Source}"));
            if (r.Module is not null || r.Function is not null)
            {
                sb.AppendLine("    match:");
                if (r.Module is not null) sb.Append("      module: ").AppendLine(Quote(r.Module));
                if (r.Function is not null) sb.Append("      function: ").AppendLine(Quote(r.Function));
            }
            sb.Append("    action: ").AppendLine(r.Action);
            if (r.Owner is not null) sb.Append("    owner: ").AppendLine(r.Owner);
        }
        return new TriageIniImport(sb.ToString(), skipped, rules.Count, owners.Count);
    }

    /// <summary>triage.ini names: `default` or `*` = any (null); a trailing `*` is a glob; a `*` or `?` anywhere
    /// else is literal there, which a catalog glob cannot say, so it becomes an anchored regex.</summary>
    private static string? Pattern(string name)
    {
        if (name.Equals("default", StringComparison.OrdinalIgnoreCase) || name == "*") return null;
        var body = name.EndsWith('*') ? name[..^1] : name;
        if (body.IndexOfAny(['*', '?']) < 0) return name;
        var escaped = System.Text.RegularExpressions.Regex.Escape(body);
        return "/^" + escaped + (name.EndsWith('*') ? "" : "$") + "/i";
    }

    private static string Slug(string text)
    {
        var sb = new StringBuilder();
        foreach (char c in text.ToLowerInvariant())
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' ? c : '-');
        var s = sb.ToString().Trim('-');
        while (s.Contains("--")) s = s.Replace("--", "-");
        return s.Length == 0 ? "x" : s;
    }

    private static string UniqueId(HashSet<string> ids, string id)
    {
        var candidate = id;
        for (int i = 2; !ids.Add(candidate); i++) candidate = $"{id}-{i}";
        return candidate;
    }

    private static string Quote(string s) => "'" + s.Replace("'", "''") + "'";

    private static string ModuleFileName(string path) => Model.ModuleNames.FileName(path);
}
