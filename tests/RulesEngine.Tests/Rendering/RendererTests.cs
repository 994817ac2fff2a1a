using System.Text.Json;
using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Triage;
using FcgiExt.Tests.Triage;
using Json.Schema;
using NUnit.Framework;
using static FcgiExt.Tests.Triage.Crashes;

namespace FcgiExt.Tests.Rendering;

public class RendererTests
{
    const string Hostile = "<exec cmd=\".shell rm -rf c:\\\">click</exec> & \"quoted\" | `tick` *bold* <script>alert(1)</script>";

    static TriageResult Xdebug(SymbolStatus symbols = SymbolStatus.PrivatePdb) =>
        Triager.Triage(XdebugNullWrite(xdebugSymbols: symbols), FakeCatalog.Standard());

    /// <summary>A catalog whose every string is hostile: owner name, URL, advice, symbol hints, rule ids.</summary>
    static TriageResult HostileResult()
    {
        var evilOwner = new Owner { Id = "evil", Name = Hostile, Category = OwnerCategory.InjectedThirdParty,
            ReportUrl = "javascript:alert(1)//" + Hostile, Advice = Hostile, Symbols = Hostile };
        var catalog = FakeCatalog.Standard();
        catalog.Rules.Insert(0, new FakeCatalog.Rule(Hostile, "php_xdebug*", null, FrameAction.Owner, evilOwner));
        catalog.Symbols["php_xdebug"] = Hostile;
        var crash = XdebugNullWrite(xdebugSymbols: SymbolStatus.ExportOnly) with
        {
            Process = new ProcessInfo { Name = Hostile, Architecture = Architecture.X64 },
            Source = new DataSource { Kind = "windbg-text", Path = Hostile, SkippedLines = [new SkippedLine(7, Hostile)] },
        };
        return Triager.Triage(crash, catalog);
    }

    // ---- text and DML ----

    [Test]
    public void Text_has_every_step_in_order_and_tags_each_frame()
    {
        var text = TextRenderer.Render(Xdebug());
        int Pos(string s) { int i = text.IndexOf(s, StringComparison.Ordinal); Assert.That(i, Is.GreaterThanOrEqualTo(0), s); return i; }
        Assert.That(new[] { Pos("[1] Symbols"), Pos("[2] Exception"), Pos("[3] Stack"), Pos("[4] Verdict"), Pos("[5] Next steps") },
            Is.Ordered);
        Assert.That(text, Does.Contain("php_xdebug!xdebug_execute_ex+0x1a").And.Contain("OWNER Xdebug (xdebug)"));
        Assert.That(text, Does.Contain("bucket:      NULL_POINTER_WRITE_c0000005_php_xdebug!xdebug_execute_ex"));
        Assert.That(text, Does.Contain("confidence:  high"));
        Assert.That(text, Does.Contain("class: NULL_POINTER_WRITE"));
        Assert.That(text, Does.Contain(@".dump /ma /u c:\dumps\php-cgi_NULL_POINTER_WRITE.dmp"));
        Assert.That(text, Does.Not.Contain("<b>").And.Not.Contain("<exec"), "plain text carries no DML");
        Assert.That(text, Does.Not.Contain("Explanation"), "the trace is for -v");
    }

    [Test]
    public void Verbose_adds_the_per_frame_explanation_and_the_trace()
    {
        var text = TextRenderer.Render(Xdebug(), verbose: true);
        Assert.That(text, Does.Contain("       owner by rule xdebug"));
        Assert.That(text, Does.Contain("Explanation"));
        Assert.That(text, Does.Contain("verdict: owner Xdebug"));
    }

    [Test]
    public void Dml_links_only_the_renderers_own_debugger_commands()
    {
        var crash = XdebugNullWrite() with { Exception = new ExceptionInfo { Code = 0xC0000374 } };
        var dml = TextRenderer.Render(Triager.Triage(crash, FakeCatalog.Standard()), dml: true);
        Assert.That(dml, Does.Contain("<exec cmd=\"!fcgi -v\">!fcgi -v</exec>"));
        Assert.That(dml, Does.Contain("<exec cmd=\"lmv m php_xdebug\">lmv m php_xdebug</exec>"));
        Assert.That(dml, Does.Contain(@"<exec cmd="".dump /ma /u c:\dumps\php-cgi_HEAP_CORRUPTION.dmp"">"));
        Assert.That(dml, Does.Contain("gflags /p /enable php-cgi.exe /full"));
        Assert.That(dml, Does.Not.Contain("<exec cmd=\"gflags"), "shell commands are text, not debugger links");
        Assert.That(dml, Does.Contain("<b>[4] Verdict</b>"));
    }

    [Test]
    public void Dml_escapes_every_catalog_and_user_string_so_none_becomes_a_command()
    {
        var dml = TextRenderer.Render(HostileResult(), verbose: true, dml: true);
        Assert.That(dml, Does.Not.Contain("<exec cmd=\".shell"));
        Assert.That(dml, Does.Not.Contain("<script>"));
        Assert.That(dml, Does.Contain("&lt;exec cmd=&quot;.shell rm -rf c:\\&quot;&gt;click&lt;/exec&gt; &amp; &quot;quoted&quot;"));
        // Every link left in the output is one of the renderer's own commands.
        var links = Regex.Matches(dml, "<exec cmd=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.That(links, Is.Not.Empty);
        Assert.That(links, Is.All.Matches<string>(Dml.IsRendererCommand));
        // No markup tag other than the renderer's own.
        var tags = Regex.Matches(dml, "<(/?)([a-z]+)").Select(m => m.Groups[2].Value).Distinct();
        Assert.That(tags, Is.SubsetOf(new[] { "b", "col", "exec" }));
    }

    [Test]
    public void Dml_escape_and_command_grammar()
    {
        Assert.That(Dml.Escape("a<b>&\"c\""), Is.EqualTo("a&lt;b&gt;&amp;&quot;c&quot;"));
        Assert.That(Dml.IsRendererCommand("!fcgi -v"), Is.True);
        Assert.That(Dml.IsRendererCommand("lmv m php_xdebug_3_3_1_8_3_vs16_x86_64"), Is.True);
        Assert.That(Dml.IsRendererCommand(@".dump /ma /u c:\dumps\php-cgi_X.dmp"), Is.True);
        Assert.That(Dml.IsRendererCommand("lmv m x; .shell rm"), Is.False);
        Assert.That(Dml.IsRendererCommand(@".dump /ma /u c:\d.dmp; .shell calc"), Is.False);
        Assert.That(Dml.IsRendererCommand("!fcgi -v\n.shell calc"), Is.False);
        Assert.That(Dml.IsRendererCommand(".shell rm"), Is.False);
    }

    [Test]
    public void Plain_output_prints_commands_as_text()
    {
        var w = new StringWriter();
        var o = new TextWriterOutput(w, dml: false);
        o.Command("!fcgi -v");
        o.Text("<b>");
        Assert.That(w.ToString(), Is.EqualTo("!fcgi -v<b>"));
    }

    // ---- JSON ----

    static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "verdict.schema.json"))));

    static EvaluationResults Validate(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return Schema.Value.Evaluate(doc.RootElement.Clone(), new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    static string Errors(EvaluationResults r) =>
        string.Join("\n", (r.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    [Test]
    public void Json_has_the_contract_field_names_and_types()
    {
        using var doc = JsonDocument.Parse(JsonRenderer.Render(Xdebug(SymbolStatus.ExportOnly)));
        var root = doc.RootElement;
        Assert.That(root.GetProperty("schema_version").GetInt32(), Is.EqualTo(1));
        var v = root.GetProperty("verdict");
        foreach (var key in new[] { "owner", "owner_module", "owner_frame", "category", "confidence", "bucket", "rule" })
            Assert.That(v.GetProperty(key).ValueKind, Is.EqualTo(JsonValueKind.String), key);
        Assert.That(v.GetProperty("owner").GetString(), Is.EqualTo("Xdebug"));
        Assert.That(v.GetProperty("confidence").GetString(), Is.EqualTo("medium"));
        Assert.That(v.GetProperty("owner_frame").GetString(), Is.EqualTo("php_xdebug!xdebug_execute_ex+0x1a"), "'+' stays readable");
        var e = root.GetProperty("exception");
        Assert.That(e.GetProperty("code").GetString(), Is.EqualTo("0xc0000005"));
        Assert.That(e.GetProperty("class").GetString(), Is.EqualTo("NULL_POINTER_WRITE"));
        Assert.That(e.GetProperty("access").GetString(), Is.EqualTo("write"));
        Assert.That(e.GetProperty("target_address").GetString(), Is.EqualTo("0x10"));
        Assert.That(e.GetProperty("address").GetString(), Is.EqualTo("0x7ffb00001234"));
        Assert.That(e.GetProperty("name").GetString(), Does.Contain("write to NULL"));
        var frames = root.GetProperty("frames");
        Assert.That(frames.GetArrayLength(), Is.EqualTo(6));
        Assert.That(frames[0].GetProperty("index").ValueKind, Is.EqualTo(JsonValueKind.Number));
        Assert.That(frames[0].GetProperty("instruction_pointer").GetString(), Does.StartWith("0x"));
        Assert.That(frames[0].GetProperty("action").GetString(), Is.EqualTo("owner"));
        Assert.That(frames[0].GetProperty("rule").GetString(), Is.EqualTo("xdebug"));
        Assert.That(root.GetProperty("modules").GetArrayLength(), Is.EqualTo(5));
        Assert.That(root.GetProperty("modules")[2].GetProperty("symbols").GetString(), Is.EqualTo("export-only"));
        var s = root.GetProperty("symbols");
        Assert.That(s.GetProperty("missing").ValueKind, Is.EqualTo(JsonValueKind.Array));
        Assert.That(s.GetProperty("mismatched").ValueKind, Is.EqualTo(JsonValueKind.Array));
        Assert.That(s.GetProperty("export_only")[0].GetProperty("module").GetString(), Is.EqualTo("php_xdebug.dll"));
        Assert.That(s.GetProperty("export_only")[0].GetProperty("on_faulting_stack").GetBoolean(), Is.True);
        var steps = root.GetProperty("next_steps");
        Assert.That(steps.EnumerateArray().Select(x => x.GetProperty("command").ValueKind == JsonValueKind.String
                ? x.GetProperty("command").GetString() : null),
            Does.Contain("!fcgi -v"));
        Assert.That(root.GetProperty("explanation")[0].GetString(), Does.Contain("NULL_POINTER_WRITE"));
    }

    [Test]
    public void Json_for_an_exit_has_a_null_code_and_class_exit()
    {
        using var doc = JsonDocument.Parse(JsonRenderer.Render(Triager.Triage(PhpCgiExit(), FakeCatalog.Standard())));
        var e = doc.RootElement.GetProperty("exception");
        Assert.That(e.GetProperty("code").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(e.GetProperty("class").GetString(), Is.EqualTo("EXIT"));
        Assert.That(doc.RootElement.GetProperty("verdict").GetProperty("owner").GetString(), Is.EqualTo("none"));
        Assert.That(doc.RootElement.GetProperty("verdict").GetProperty("category").GetString(), Is.EqualTo("none"));
    }

    [Test]
    public void Json_validates_against_docs_verdict_schema()
    {
        var cases = new[]
        {
            Xdebug(), Xdebug(SymbolStatus.None), HostileResult(), Triager.Triage(PhpCgiExit(), FakeCatalog.Standard()),
            Triager.Triage(new CrashReport(), FakeCatalog.Standard()),
            Triager.Triage(XdebugNullWrite() with { Exception = new ExceptionInfo { Code = 0xC0000409, Parameters = [2] } },
                FakeCatalog.Standard()),
        };
        foreach (var r in cases)
        {
            var result = Validate(JsonRenderer.Render(r));
            Assert.That(result.IsValid, Is.True, Errors(result));
        }
    }

    [Test]
    public void The_schema_rejects_output_missing_a_required_field()
    {
        var json = JsonRenderer.Render(Xdebug());
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node["verdict"]!.AsObject().Remove("bucket");
        Assert.That(Validate(node.ToJsonString()).IsValid, Is.False);
        var wrongType = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        wrongType["exception"]!["code"] = 3221225477;
        Assert.That(Validate(wrongType.ToJsonString()).IsValid, Is.False);
    }

    /// <summary>A crash whose php8ts.dll has every version and identity field the engine collector fills.</summary>
    static TriageResult WithIdentities()
    {
        var crash = XdebugNullWrite();
        var php = crash.FindModule("php8ts")!;
        var modules = crash.Modules.Select(m => ReferenceEquals(m, php)
            ? m with
            {
                FileVersion = "8.3.4.0", ProductVersion = "8.3.4", LinkerVersion = "14.29", PdbName = "php8ts.pdb",
                PdbGuid = Guid.Parse("0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9"), PdbAge = 26,
            }
            : m).ToList();
        return Triager.Triage(crash with { Modules = modules }, FakeCatalog.Standard());
    }

    [Test]
    public void Json_modules_carry_version_and_codeview_identity()
    {
        var r = WithIdentities();
        using var doc = JsonDocument.Parse(JsonRenderer.Render(r));
        var php = doc.RootElement.GetProperty("modules").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "php8ts");
        Assert.Multiple(() =>
        {
            Assert.That(php.GetProperty("version").GetString(), Is.EqualTo("8.3.4.0"));
            Assert.That(php.GetProperty("product_version").GetString(), Is.EqualTo("8.3.4"));
            Assert.That(php.GetProperty("linker_version").GetString(), Is.EqualTo("14.29"));
            Assert.That(php.GetProperty("pdb").GetString(), Is.EqualTo("php8ts.pdb"));
            Assert.That(php.GetProperty("pdb_guid").GetString(), Is.EqualTo("0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"));
            Assert.That(php.GetProperty("pdb_age").GetInt32(), Is.EqualTo(26));
            Assert.That(php.GetProperty("file_version").GetString(), Is.EqualTo("8.3.4.0"), "schema_version 1 name kept");
            Assert.That(php.GetProperty("pdb_name").GetString(), Is.EqualTo("php8ts.pdb"), "schema_version 1 name kept");
        });
        var other = doc.RootElement.GetProperty("modules").EnumerateArray().First(m => m.GetProperty("name").GetString() != "php8ts");
        foreach (var key in new[] { "version", "pdb", "pdb_guid", "pdb_age" })
            Assert.That(other.GetProperty(key).ValueKind, Is.EqualTo(JsonValueKind.Null), $"unknown {key} is null, not left out");
        var result = Validate(JsonRenderer.Render(r));
        Assert.That(result.IsValid, Is.True, Errors(result));
    }

    [Test]
    public void The_schema_checks_the_identity_fields_formats()
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(JsonRenderer.Render(WithIdentities()))!.AsObject();
        var module = node["modules"]!.AsArray().First(m => (string?)m!["name"] == "php8ts")!.AsObject();
        module["pdb_guid"] = "0A1B2C3D4E5F60718293A4B5C6D7E8F9";
        Assert.That(Validate(node.ToJsonString()).IsValid, Is.False, "the GUID is written with dashes, lower case");
        module["pdb_guid"] = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";
        module["pdb_age"] = "1a";
        Assert.That(Validate(node.ToJsonString()).IsValid, Is.False, "the age is a number");
        module["pdb_age"] = 26;
        module.Remove("pdb");
        Assert.That(Validate(node.ToJsonString()).IsValid, Is.False, "pdb is required (null when unknown)");
    }

    [Test]
    public void Json_extra_properties_come_first_for_the_batch_tool()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
            JsonRenderer.Write(w, Xdebug(), x => x.WriteString("dump", "a.dmp"));
        using var doc = JsonDocument.Parse(stream.ToArray());
        Assert.That(doc.RootElement.EnumerateObject().First().Name, Is.EqualTo("dump"));
    }

    [Test]
    public void Json_survives_lone_surrogates()
    {
        var crash = XdebugNullWrite() with { Process = new ProcessInfo { Name = "php\ud800.exe" } };
        using var doc = JsonDocument.Parse(JsonRenderer.Render(Triager.Triage(crash, FakeCatalog.Standard())));
        Assert.That(doc.RootElement.GetProperty("process").GetProperty("name").GetString(), Is.EqualTo("php\ufffd.exe"));
    }

    // ---- Markdown ----

    [Test]
    public void Markdown_has_the_verdict_table_stack_and_steps()
    {
        var md = MarkdownRenderer.Render(Xdebug(), verbose: true);
        Assert.That(md, Does.StartWith("# Crash triage: php-cgi.exe"));
        Assert.That(md, Does.Contain("| Bucket | `NULL_POINTER_WRITE_c0000005_php_xdebug!xdebug_execute_ex` |"));
        Assert.That(md, Does.Contain("| 00 | `php_xdebug!xdebug_execute_ex+0x1a` | OWNER Xdebug (xdebug) | owner by rule xdebug |"));
        Assert.That(md, Does.Contain("## Next steps"));
        Assert.That(md, Does.Contain("   `fcgi triage -v --stack-text xdebug.txt`"), "Markdown is read outside the debugger");
        Assert.That(md, Does.Contain("## Explanation"));
    }

    [Test]
    public void Markdown_escapes_hostile_strings_and_keeps_tables_whole()
    {
        var md = MarkdownRenderer.Render(HostileResult(), verbose: true);
        // Code spans show their content literally (GFM), so markup may only appear inside them.
        var outsideCode = Regex.Replace(md, @"(?ms)^(`{3,})text\n.*?^\1$", "");
        outsideCode = Regex.Replace(outsideCode, @"(?<![\\`])(`+)(?!`).*?(?<!`)\1(?!`)", "");
        Assert.That(outsideCode, Does.Not.Contain("<script>").And.Not.Contain("<exec"));
        Assert.That(md, Does.Contain("&lt;script&gt;"));
        // Every row of the verdict table has exactly two cells: an escaped '|' does not split one.
        var rows = md.Split('\n').SkipWhile(l => !l.StartsWith("| | |")).Skip(2).TakeWhile(l => l.StartsWith('|')).ToList();
        Assert.That(rows, Is.Not.Empty);
        foreach (var row in rows)
            Assert.That(Regex.Matches(row, @"(?<!\\)\|").Count, Is.EqualTo(3), row);
    }

    [Test]
    public void Markdown_code_spans_survive_backticks()
    {
        Assert.That(Md.Code("a`b"), Is.EqualTo("``a`b``"));
        Assert.That(Md.Code("`x"), Is.EqualTo("`` `x ``"));
        Assert.That(Md.Text("*a* [b](c) <d>"), Is.EqualTo("\\*a\\* \\[b\\](c) &lt;d&gt;"));
    }

    // ---- HTML ----

    [Test]
    public void Html_is_one_self_contained_file()
    {
        var html = HtmlRenderer.Render(Xdebug(), verbose: true);
        Assert.That(html, Does.StartWith("<!DOCTYPE html>"));
        Assert.That(html, Does.Contain("<style>"));
        Assert.That(html, Does.Not.Contain("<script").And.Not.Contain("<link").And.Not.Contain("src=").And.Not.Contain("@import")
            .And.Not.Contain("url("));
        Assert.That(html, Does.Contain("<code>NULL_POINTER_WRITE_c0000005_php_xdebug!xdebug_execute_ex</code>"));
        Assert.That(html, Does.Contain("<a href=\"https://bugs.xdebug.org/\""));
        Assert.That(html, Does.Contain("<tr class=\"decided\">"));
    }

    [Test]
    public void Html_escapes_hostile_strings_and_does_not_link_javascript_urls()
    {
        var html = HtmlRenderer.Render(HostileResult(), verbose: true);
        Assert.That(html, Does.Not.Contain("<script>").And.Not.Contain("<exec"));
        Assert.That(html, Does.Not.Contain("href=\"javascript:"));
        Assert.That(html, Does.Contain("&lt;exec cmd=&quot;.shell rm -rf c:\\&quot;&gt;"));
    }
}
