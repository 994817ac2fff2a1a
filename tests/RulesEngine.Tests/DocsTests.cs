using System.Text.Json;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Triage;
using FcgiExt.Tests.Triage;
using NUnit.Framework;
using static FcgiExt.Tests.Triage.Crashes;

namespace FcgiExt.Tests;

/// <summary>docs/triage.md and docs/verdict.schema.json follow the code: the confidence table and the JSON verdict.</summary>
public class DocsTests
{
    static string Doc(string name) => File.ReadAllText(Path.Combine(TestRepo.Root, "docs", name));

    sealed record Row(string Id, string Cap, string Summary);

    /// <summary>The rows of the `| id | caps at | when |` table under "## Confidence reasons".</summary>
    static List<Row> ReasonsTable()
    {
        var lines = Doc("triage.md").ReplaceLineEndings("\n").Split('\n');
        int section = Array.FindIndex(lines, l => l.Trim() == "## Confidence reasons");
        Assert.That(section, Is.GreaterThanOrEqualTo(0), "docs/triage.md has no \"## Confidence reasons\" section");
        int header = Array.FindIndex(lines, section, l => l.TrimStart().StartsWith('|'));
        Assert.That(header, Is.GreaterThan(section), "no table in \"## Confidence reasons\"");
        Assert.That(Cells(lines[header]), Is.EqualTo(new[] { "id", "caps at", "when" }), "the table's header");
        Assert.That(Cells(lines[header + 1]).All(c => c.Trim(':').Length > 0 && c.Trim(':').All(ch => ch == '-')), Is.True,
            "the header's separator row");
        var rows = new List<Row>();
        for (int i = header + 2; i < lines.Length && lines[i].TrimStart().StartsWith('|'); i++)
        {
            var cells = Cells(lines[i]);
            Assert.That(cells, Has.Length.EqualTo(3), $"docs/triage.md line {i + 1}: {lines[i]}");
            rows.Add(new Row(Unquote(cells[0]), cells[1], cells[2]));
        }
        return rows;
    }

    /// <summary>A table row's cells; `\|` is a literal bar.</summary>
    static string[] Cells(string line)
    {
        var t = line.Trim();
        if (t.StartsWith('|')) t = t[1..];
        if (t.EndsWith('|') && !t.EndsWith("\\|")) t = t[..^1];
        return t.Replace("\\|", "\u0001").Split('|').Select(c => c.Replace("\u0001", "|").Trim()).ToArray();
    }

    static string Unquote(string cell) => cell.Length >= 2 && cell[0] == '`' && cell[^1] == '`' ? cell[1..^1] : cell;

    [Test]
    public void Triage_md_lists_every_confidence_reason_in_table_order_with_cap_and_summary()
    {
        var doc = ReasonsTable();
        var code = ConfidencePolicy.Reasons.Select(r => new Row(r.Id, r.Cap.ToString().ToLowerInvariant(), r.Summary)).ToList();
        Assert.That(doc.Select(r => r.Id), Is.EqualTo(code.Select(r => r.Id)), "ids, in the order of ConfidencePolicy.Reasons");
        Assert.That(doc, Is.EqualTo(code), "each row: id | cap (lower case) | the reason's Summary, word for word");
    }

    [Test]
    public void Triage_md_names_every_frame_action()
    {
        var doc = Doc("triage.md");
        foreach (var action in Enum.GetValues<FrameAction>())
            Assert.That(doc, Does.Contain($"`{action.Name()}`"), action.ToString());
    }

    // ---- docs/verdict.schema.json ----

    static JsonElement VerdictSchema(JsonDocument schema) =>
        schema.RootElement.GetProperty("properties").GetProperty("verdict");

    [Test]
    public void Schema_declares_suspects_under_the_verdict()
    {
        using var schema = JsonDocument.Parse(Doc("verdict.schema.json"));
        var verdict = VerdictSchema(schema);
        Assert.That(verdict.GetProperty("type").GetString(), Is.EqualTo("object"));
        Assert.That(verdict.GetProperty("properties").TryGetProperty("suspects", out var suspects), Is.True, "verdict.properties.suspects");
        Assert.That(suspects.GetProperty("type").GetString(), Is.EqualTo("array"));
        var items = suspects.GetProperty("items");
        Assert.That(items.GetProperty("type").GetString(), Is.EqualTo("object"));
        Assert.That(items.GetProperty("required").EnumerateArray().Select(e => e.GetString()),
            Is.EquivalentTo(new[] { "owner", "module", "frame", "why" }));
        var props = items.GetProperty("properties");
        foreach (var name in new[] { "owner", "module", "frame", "why" })
            Assert.That(props.TryGetProperty(name, out _), Is.True, $"suspects.items.properties.{name}");
        Assert.That(props.GetProperty("module").GetProperty("type").EnumerateArray().Select(e => e.GetString()),
            Is.EquivalentTo(new[] { "string", "null" }), "module may be null");
    }

    static TriageResult XdebugResult() => Triager.Triage(XdebugNullWrite(), FakeCatalog.Standard());

    /// <summary>Heap corruption reported by ntdll while Xdebug frees: owner unknown, suspects listed.</summary>
    static TriageResult HeapDamageResult()
    {
        var crash = XdebugNullWrite() with
        {
            Exception = new ExceptionInfo { Code = ExceptionCodes.HeapCorruption, Address = 0x7ffb00001000 },
            FaultingThread = new ThreadInfo
            {
                Index = 0,
                Frames =
                [
                    Frame(0, "ntdll", "RtlReportCriticalFailure", 0x56),
                    Frame(1, "ntdll", "RtlFreeHeap", 0x51),
                    Frame(2, "ucrtbase", "_free_base", 0x1b),
                    Frame(3, "php_xdebug", "xdebug_str_free", 0x1a),
                    Frame(4, "php8ts", "execute_ex", 0x51),
                    Frame(5, "php_cgi", "main", 0x99b),
                ],
            },
        };
        return Triager.Triage(crash, FakeCatalog.Standard());
    }

    [Test]
    public void Heap_damage_crash_has_suspects_in_json_and_text()
    {
        var r = HeapDamageResult();
        Assert.That(r.Verdict.Suspects, Is.Not.Empty, "the heap-damage crash must give suspects");
        using var json = JsonDocument.Parse(JsonRenderer.Render(r));
        var suspects = json.RootElement.GetProperty("verdict").GetProperty("suspects");
        Assert.That(suspects.GetArrayLength(), Is.EqualTo(r.Verdict.Suspects.Count));
        var first = suspects[0];
        Assert.That(first.GetProperty("owner").GetString(), Is.EqualTo(r.Verdict.Suspects[0].Owner));
        Assert.That(first.GetProperty("frame").GetString(), Is.EqualTo(r.Verdict.Suspects[0].Frame));
        Assert.That(first.GetProperty("why").GetString(), Is.EqualTo(r.Verdict.Suspects[0].Why));
        Assert.That(first.TryGetProperty("module", out _), Is.True);
        // The report wraps long lines: compare with the whitespace run together.
        var flat = System.Text.RegularExpressions.Regex.Replace(TextRenderer.Render(r), @"\s+", " ");
        Assert.That(flat, Does.Contain(" suspects:").And.Contain(r.Verdict.Suspects[^1].Why));
        Assert.That(TextRenderer.Render(XdebugResult()), Does.Not.Contain("suspects:"), "no suspects, no list");
    }

    [Test]
    public void Every_verdict_property_the_json_renderer_writes_is_declared_in_the_schema()
    {
        using var schema = JsonDocument.Parse(Doc("verdict.schema.json"));
        var declared = VerdictSchema(schema);
        foreach (var result in new[] { XdebugResult(), HeapDamageResult() })
        {
            using var json = JsonDocument.Parse(JsonRenderer.Render(result));
            var undeclared = new List<string>();
            Walk(json.RootElement.GetProperty("verdict"), declared, "verdict", undeclared);
            Assert.That(undeclared, Is.Empty, "properties JsonRenderer writes that docs/verdict.schema.json does not declare " +
                $"({result.Verdict.Bucket})");
        }
    }

    [Test]
    public void Every_module_property_the_json_renderer_writes_is_declared_and_the_identity_is_required()
    {
        using var schema = JsonDocument.Parse(Doc("verdict.schema.json"));
        var moduleSchema = schema.RootElement.GetProperty("$defs").GetProperty("module");
        var module = new ModuleInfo
        {
            FileName = "php8ts.dll", Name = "php8ts", Path = @"C:\PHP\php8ts.dll", Base = 0x7ffb00000000, Size = 0x400000,
            Timestamp = 0x65f1a2b3, FileVersion = "8.3.4.0", ProductVersion = "8.3.4", LinkerVersion = "14.29",
            PdbName = "php8ts.pdb", PdbGuid = Guid.NewGuid(), PdbAge = 1, Symbols = SymbolStatus.ExportOnly, SymbolFile = "php8ts.pdb",
        };
        var result = Triager.Triage(XdebugNullWrite() with { Modules = [module] }, FakeCatalog.Standard());
        using var json = JsonDocument.Parse(JsonRenderer.Render(result));
        var written = json.RootElement.GetProperty("modules")[0];
        var undeclared = new List<string>();
        Walk(written, moduleSchema, "modules[0]", undeclared);
        Assert.That(undeclared, Is.Empty, "module properties JsonRenderer writes that docs/verdict.schema.json does not declare");
        var required = moduleSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.That(required, Is.SupersetOf(new[] { "version", "pdb", "pdb_guid", "pdb_age" }));
        foreach (var name in new[] { "version", "product_version", "linker_version", "pdb", "pdb_guid", "pdb_age" })
            Assert.That(written.GetProperty(name).ValueKind, Is.Not.EqualTo(JsonValueKind.Null), name);
    }

    /// <summary>Every property of <paramref name="value"/> must be in <paramref name="schema"/>'s properties, down
    /// through objects and arrays' items.</summary>
    static void Walk(JsonElement value, JsonElement schema, string path, List<string> undeclared)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var props = schema.TryGetProperty("properties", out var p) ? p : default;
                foreach (var prop in value.EnumerateObject())
                {
                    if (props.ValueKind != JsonValueKind.Object || !props.TryGetProperty(prop.Name, out var sub))
                        undeclared.Add($"{path}.{prop.Name}");
                    else Walk(prop.Value, sub, $"{path}.{prop.Name}", undeclared);
                }
                break;
            case JsonValueKind.Array:
                if (!schema.TryGetProperty("items", out var items))
                {
                    if (value.GetArrayLength() > 0) undeclared.Add($"{path}[] (no items schema)");
                    break;
                }
                int i = 0;
                foreach (var item in value.EnumerateArray()) Walk(item, items, $"{path}[{i++}]", undeclared);
                break;
        }
    }
}
