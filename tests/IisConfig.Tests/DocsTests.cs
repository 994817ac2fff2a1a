using System.Text.Json;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace FcgiExt.IisConfig.Tests;

/// <summary>docs/iis-check.md and docs/iis-check.schema.json follow the rules in code: a section per finding id, in the
/// order they are reported, each naming its rule's source; the schema's id list is the same.</summary>
public partial class DocsTests
{
    static string Doc(string name) => File.ReadAllText(Path.Combine(Fixture.RepoRoot, "docs", name));

    [GeneratedRegex(@"^## `(?<id>[a-z0-9-]+)`\s*$", RegexOptions.Multiline)]
    private static partial Regex Section();

    static Dictionary<string, string> Sections()
    {
        var doc = Doc("iis-check.md").ReplaceLineEndings("\n");
        var heads = Section().Matches(doc).ToList();
        return heads.Select((m, i) => (m.Groups["id"].Value, doc[m.Index..(i + 1 < heads.Count ? heads[i + 1].Index : doc.Length)]))
            .ToDictionary(p => p.Item1, p => p.Item2);
    }

    [Test]
    public void Every_finding_id_has_a_section_in_report_order()
    {
        Assert.That(Sections().Keys, Is.EqualTo(IisChecker.Rules.Select(r => r.Id)));
    }

    [Test]
    public void Each_section_names_its_rules_source_and_a_severity()
    {
        var sections = Sections();
        foreach (var rule in IisChecker.Rules)
        {
            var text = sections[rule.Id];
            // php-src files are cited by their path in the repository: "php/php-src:sapi/cgi/cgi_main.c" as "php-src `sapi/…`".
            string cited = rule.Source.StartsWith("php/php-src:", StringComparison.Ordinal)
                ? $"php-src `{rule.Source["php/php-src:".Length..]}`" : rule.Source;
            Assert.That(text, Does.Contain(cited), $"{rule.Id} cites {rule.Source}");
            Assert.That(text, Does.Match(@"\*\*(error|warning|info)\b"), $"{rule.Id} says its severity");
            Assert.That(text, Does.Contain("Source"), $"{rule.Id} has a Sources line");
        }
    }

    [Test]
    public void The_schema_lists_the_same_ids()
    {
        using var schema = JsonDocument.Parse(Doc("iis-check.schema.json"));
        var ids = schema.RootElement.GetProperty("properties").GetProperty("findings").GetProperty("items").GetProperty("properties")
            .GetProperty("id").GetProperty("enum").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.That(ids, Is.EqualTo(IisChecker.Rules.Select(r => r.Id)));
    }
}
