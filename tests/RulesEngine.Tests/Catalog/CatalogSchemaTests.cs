using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;
using Json.Schema;
using NUnit.Framework;
using YamlDotNet.Serialization;

namespace FcgiExt.Tests.Catalog;

/// <summary>
/// docs/catalog.schema.json (for editors, through the YAML language server) and the catalog parser agree: a file is
/// schema-valid exactly when lint reports no structural error (unknown key, bad category, missing id, bad action,
/// stray or missing owner, wrong shape, bad id, bad exception…). Pattern, regex, reference and shadowing problems are
/// the linter's alone and do not count.
/// </summary>
public class CatalogSchemaTests
{
    public const string SchemaLine = "# yaml-language-server: $schema=../../../docs/catalog.schema.json";

    static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(TestRepo.Root, "docs", "catalog.schema.json"))));

    /// <summary>The parser's messages for what the schema also describes (CatalogParser.cs).</summary>
    static readonly Regex SchemaTypeMessage = new(string.Join("|",
        @"^unknown key '", @"^bad category '", @" is missing '\w+:'$", @"^bad action '", @"needs an 'owner:'$",
        @"takes no owner", @" must be a list", @" must be a mapping", @"must be a single value", @"^bad id '", @"' is empty$",
        @"^bad exception", @"^the rule matches every frame", @"^an example needs 'frames:'", @"^a frame is a string",
        @"^a tag is a plain word", @"^a catalog file is a mapping"), RegexOptions.CultureInvariant);

    static List<string> SchemaTypeErrors(string yaml)
    {
        // What `fcgi rules lint --no-builtin case.yaml` reports, narrowed to the structural messages.
        var diagnostics = CatalogLinter.Lint(RuleCatalog.FromSources([new CatalogSource("case.yaml", yaml, 1)]));
        return diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error && SchemaTypeMessage.IsMatch(d.Message))
            .Select(d => d.ToString()).ToList();
    }

    /// <summary>YAML → JSON the way the YAML language server sees it (anchors and aliases resolved, scalars as strings).</summary>
    static JsonNode? ToJson(object? yaml) => yaml switch
    {
        null => null,
        IDictionary<object, object> map => new JsonObject(map.Select(kv => KeyValuePair.Create(kv.Key.ToString()!, ToJson(kv.Value)))),
        IList<object> list => new JsonArray(list.Select(ToJson).ToArray()),
        _ => JsonValue.Create(yaml.ToString()),
    };

    static (bool Valid, string Errors) Validate(string yaml)
    {
        var node = ToJson(new DeserializerBuilder().Build().Deserialize<object>(yaml));
        using var doc = JsonDocument.Parse(node?.ToJsonString() ?? "null");
        var r = Schema.Value.Evaluate(doc.RootElement.Clone(), new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = string.Join("\n", (r.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
        return (r.IsValid, errors);
    }

    static void AssertAgree(string name, string yaml)
    {
        var lint = SchemaTypeErrors(yaml);
        var (valid, errors) = Validate(yaml);
        Assert.That(valid, Is.EqualTo(lint.Count == 0),
            $"{name}: schema says {(valid ? "valid" : "invalid")} ({errors}), lint's structural errors: [{string.Join("; ", lint)}]");
    }

    public static IEnumerable<TestCaseData> BuiltInFiles() =>
        RuleCatalog.BuiltInSources().Select(s => new TestCaseData(s.Name, s.Text).SetName($"BuiltIn({s.Name})"));

    [TestCaseSource(nameof(BuiltInFiles))]
    public void Every_built_in_file_is_schema_valid_and_lint_clean(string name, string text)
    {
        var (valid, errors) = Validate(text);
        Assert.That(valid, Is.True, $"{name}: {errors}");
        AssertAgree(name, text);
    }

    const string Owner = "  - { id: a, name: A, category: php-extension, report_url: https://example.org/ }\n";

    static readonly (string Name, string Yaml, bool Valid)[] Cases =
    [
        ("valid", "owners:\n" + Owner + "rules:\n  - { id: r, match: { module: a.dll }, action: owner, owner: a, examples: [ { frames: [ \"a!f\" ], expect: a } ] }\n", true),
        ("valid default rule without match", "owners:\n" + Owner + "rules:\n  - { id: r, action: default, owner: a }\n", true),
        ("valid empty lists", "owners:\nrules:\n", true),
        ("valid exception code and class", "rules:\n  - { id: r, match: { exception: 0xc0000005 }, action: ignore, examples: [ { frames: [ \"a!f\" ], exception: HEAP_CORRUPTION, expect: unknown } ] }\n", true),
        ("valid unknown owner reference (a lint error, not structural)", "rules:\n  - { id: r, match: { module: a.dll }, action: owner, owner: nobody }\n", true),
        ("valid bad regex (a lint error, not structural)", "rules:\n  - { id: r, match: { module: '/(/' }, action: ignore }\n", true),
        ("wrong top-level key", "owner:\n" + Owner, false),
        ("wrong owner key", "owners:\n  - { id: a, name: A, category: php-extension, url: https://example.org/ }\n", false),
        ("wrong rule key", "rules:\n  - { id: r, module: a.dll, action: ignore }\n", false),
        ("wrong match key", "rules:\n  - { id: r, match: { modul: a.dll }, action: ignore }\n", false),
        ("wrong example key", "rules:\n  - { id: r, match: { module: a.dll }, action: ignore, examples: [ { frame: [ \"a!f\" ], expect: unknown } ] }\n", false),
        ("wrong category", "owners:\n  - { id: a, name: A, category: php-extensions }\n", false),
        ("missing owner id", "owners:\n  - { name: A, category: php-extension }\n", false),
        ("missing owner name", "owners:\n  - { id: a, category: php-extension }\n", false),
        ("missing rule id", "rules:\n  - { match: { module: a.dll }, action: ignore }\n", false),
        ("bad id", "owners:\n  - { id: 'a b', name: A, category: php-extension }\n", false),
        ("empty name", "owners:\n  - { id: a, name: '', category: php-extension }\n", false),
        ("bad action", "rules:\n  - { id: r, match: { module: a.dll }, action: blame, owner: a }\n", false),
        ("missing action", "rules:\n  - { id: r, match: { module: a.dll } }\n", false),
        ("owner action without owner", "rules:\n  - { id: r, match: { module: a.dll }, action: owner }\n", false),
        ("ignore action with owner", "owners:\n" + Owner + "rules:\n  - { id: r, match: { module: a.dll }, action: ignore, owner: a }\n", false),
        ("rule matching everything", "rules:\n  - { id: r, action: ignore }\n", false),
        ("rule with empty match", "rules:\n  - { id: r, match: {}, action: ignore }\n", false),
        ("bad exception code", "rules:\n  - { id: r, match: { exception: 0xc00005 }, action: ignore }\n", false),
        ("lower-case exception class", "rules:\n  - { id: r, match: { exception: heap_corruption }, action: ignore }\n", false),
        ("example without expect", "rules:\n  - { id: r, match: { module: a.dll }, action: ignore, examples: [ { frames: [ \"a!f\" ] } ] }\n", false),
        ("example without frames", "rules:\n  - { id: r, match: { module: a.dll }, action: ignore, examples: [ { expect: unknown } ] }\n", false),
        ("frames not a list", "rules:\n  - { id: r, match: { module: a.dll }, action: ignore, examples: [ { frames: 'a!f', expect: unknown } ] }\n", false),
        ("owners not a list", "owners: { id: a }\n", false),
        ("name as a list", "owners:\n  - { id: a, name: [ A ], category: php-extension }\n", false),
        ("tag not a word", "rules:\n  - { id: r, match: { module: a.dll }, action: ignore, tags: [ { exit: 1 } ] }\n", false),
        ("match not a mapping", "rules:\n  - { id: r, match: a.dll, action: ignore }\n", false),
        ("file not a mapping", "- a\n- b\n", false),
    ];

    public static IEnumerable<TestCaseData> MalformedAndValidCases() =>
        Cases.Select(c => new TestCaseData(c.Name, c.Yaml, c.Valid).SetName($"Case({c.Name})"));

    [TestCaseSource(nameof(MalformedAndValidCases))]
    public void Schema_and_lint_agree(string name, string yaml, bool expectValid)
    {
        var (valid, errors) = Validate(yaml);
        Assert.That(valid, Is.EqualTo(expectValid), $"{name}: schema {(valid ? "accepted" : "rejected")} it: {errors}");
        AssertAgree(name, yaml);
    }

    [Test]
    public void My_built_in_files_carry_the_schema_line()
    {
        string[] mine = ["ruby.yaml", "ruby-gems.yaml", "ruby-mingw.yaml", "database.yaml", "injected.yaml", "iis.yaml",
                         "windows.yaml", "crt.yaml", "fallback.yaml"];
        foreach (var s in RuleCatalog.BuiltInSources().Where(s => mine.Contains(Path.GetFileName(s.Name))))
            Assert.That(s.Text.Split('\n')[0].TrimEnd('\r'), Is.EqualTo(SchemaLine), s.Name);
        Assert.That(File.Exists(Path.Combine(TestRepo.Root, "RulesEngine", "Catalog", "builtin", "../../../docs/catalog.schema.json")), Is.True,
            "the schema line's relative path resolves from RulesEngine/Catalog/builtin/");
    }
}
