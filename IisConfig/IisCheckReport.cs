using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FcgiExt.IisConfig;

/// <summary>A run of the checks: the files read, each pool with the php.ini it was checked against, the findings.</summary>
public sealed record IisCheckReport(IisConfiguration Config, IReadOnlyList<(FastCgiApplication App, PhpIniChoice? Ini)> Pools,
    IReadOnlyList<Finding> Findings)
{
    public const int SchemaVersion = 1;
    public const int Width = 100;

    /// <summary>Reads nothing itself: the caller picked the files; php.ini is chosen per PHP pool.</summary>
    /// <exception cref="ConfigFileException">A php.ini that is malformed or (when given) unreadable.</exception>
    public static IisCheckReport Run(IisConfiguration config, string? phpIni, IFileProbe probe)
    {
        // The checker asks once per PHP pool, in order; the answers are kept for the report's list of pools.
        var chosen = new List<PhpIniChoice>();
        var findings = IisChecker.Check(config, a =>
        {
            var c = IisChecker.ChoosePhpIni(a, phpIni, probe);
            chosen.Add(c);
            return c;
        }, probe);
        int next = 0;
        var pools = config.Applications.Select(a => (a, a.IsPhp ? chosen[next++] : (PhpIniChoice?)null)).ToList();
        return new IisCheckReport(config, pools, findings);
    }

    /// <summary>Exit 1 when anything needs doing; remarks (info) alone leave it 0.</summary>
    public bool NeedsAction => Findings.Any(f => f.Severity >= Severity.Warning);

    static string Name(Severity s) => s.ToString().ToLowerInvariant();

    public string ToJson()
    {
        var o = new JsonObject
        {
            ["schema_version"] = SchemaVersion,
            ["files"] = new JsonArray([.. Config.Files.Select(f => (JsonNode)f)]),
            ["applications"] = new JsonArray([.. Pools.Select(p => (JsonNode)new JsonObject
            {
                ["key"] = p.App.Key,
                ["full_path"] = p.App.FullPath,
                ["arguments"] = p.App.Arguments,
                ["location"] = p.App.Location.ToString(),
                ["php_ini"] = p.Ini is null ? null : new JsonObject
                {
                    ["server_path"] = p.Ini.ServerPath,
                    ["found_by"] = p.Ini.How,
                    ["read"] = p.Ini.Ini?.File,
                    ["given"] = p.Ini.Given,
                },
            })]),
            ["handlers"] = Config.Handlers.Count(h => h.IsFastCgi),
            ["findings"] = new JsonArray([.. Findings.Select(f => (JsonNode)new JsonObject
            {
                ["id"] = f.Id,
                ["severity"] = Name(f.Severity),
                ["title"] = f.Rule.Title,
                ["message"] = f.Message,
                ["fix"] = new JsonArray([.. f.Fix.Select(x => (JsonNode)x)]),
                ["source"] = f.Source,
                ["file"] = f.Location.File,
                ["line"] = f.Location.Line,
                ["column"] = f.Location.Column,
                ["application"] = f.Application,
            })]),
            ["counts"] = new JsonObject
            {
                ["error"] = Findings.Count(f => f.Severity == Severity.Error),
                ["warning"] = Findings.Count(f => f.Severity == Severity.Warning),
                ["info"] = Findings.Count(f => f.Severity == Severity.Info),
            },
        };
        // Paths are full of backslashes and appcmd commands of quotes: escape only what JSON requires.
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public string ToText()
    {
        var s = new StringBuilder();
        int handlers = Config.Handlers.Count(h => h.IsFastCgi);
        Wrap(s, "", $"fcgi iis check: {Plural(Pools.Count, "FastCGI application")} and {Plural(handlers, "FastCGI handler")} in " +
                    string.Join(", ", Config.Files));
        foreach (var (app, ini) in Pools)
            Wrap(s, "  ", $"{app.Key} ({app.Location})" + (ini is null ? "" : ini.Ini is { } read
                ? $": php.ini {read.File}" + (ini.Given ? " (--php-ini)" : $" ({ini.How})")
                : $": php.ini {ini.ServerPath ?? "unknown"} not readable here"));
        foreach (var f in Findings)
        {
            s.Append('\n');
            Wrap(s, "", $"{Name(f.Severity)} {f.Id}: {f.Rule.Title} ({f.Location})");
            Wrap(s, "    ", f.Message);
            if (f.Fix.Count > 0)
            {
                s.Append("    fix:\n");
                foreach (var fix in f.Fix) Command(s, "      ", fix);
            }
            Wrap(s, "    ", $"source: {f.Source}");
        }
        s.Append('\n');
        int errors = Findings.Count(f => f.Severity == Severity.Error), warnings = Findings.Count(f => f.Severity == Severity.Warning);
        s.Append($"{Plural(errors, "error")}, {Plural(warnings, "warning")}, {Plural(Findings.Count - errors - warnings, "remark")}\n");
        return s.ToString();
    }

    static string Plural(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";

    /// <summary>Words onto lines of at most <see cref="Width"/> columns; a word longer than a line gets one of its own.</summary>
    public static void Wrap(StringBuilder s, string indent, string text)
    {
        var line = new StringBuilder(indent);
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > indent.Length && line.Length + 1 + word.Length > Width)
            {
                s.Append(line).Append('\n');
                line.Clear().Append(indent);
            }
            if (line.Length > indent.Length) line.Append(' ');
            line.Append(word);
        }
        s.Append(line).Append('\n');
    }

    /// <summary>A command split for cmd.exe: at spaces outside quotes, each broken line ending in cmd's `^`, so it pastes
    /// as one command. JSON has every command whole.</summary>
    public static void Command(StringBuilder s, string indent, string command)
    {
        var parts = new List<string>();
        var part = new StringBuilder();
        bool quoted = false;
        foreach (char c in command)
        {
            if (c == '"') quoted = !quoted;
            if (c == ' ' && !quoted) { if (part.Length > 0) parts.Add(part.ToString()); part.Clear(); }
            else part.Append(c);
        }
        if (part.Length > 0) parts.Add(part.ToString());
        var line = new StringBuilder(indent);
        string more = indent + "  ";
        foreach (var p in parts)
        {
            bool first = line.Length == indent.Length || line.Length == more.Length && line.ToString() == more;
            if (!first && line.Length + 1 + p.Length + 2 > Width)
            {
                s.Append(line).Append(" ^\n");
                line.Clear().Append(more);
                first = true;
            }
            if (!first) line.Append(' ');
            line.Append(p);
        }
        s.Append(line).Append('\n');
    }
}
