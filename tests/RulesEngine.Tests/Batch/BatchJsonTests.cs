using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using FcgiExt.Cli.Batch;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Reporting;
using FcgiExt.RulesEngine.Triage;
using FcgiExt.Tests.Triage;
using Json.Schema;
using NUnit.Framework;

namespace FcgiExt.Tests.Batch;

/// <summary>`fcgi triage <dumps> --format json`: the envelope of docs/batch.schema.json, written readably.</summary>
public class BatchJsonTests
{
    static string Doc(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, name);

    /// <summary>The batch schema with the verdict schema it $refs, in a registry of their own.</summary>
    static readonly Lazy<JsonSchema> Schema = new(() =>
    {
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        JsonSchema.FromText(File.ReadAllText(Doc("verdict.schema.json")), options);
        return JsonSchema.FromText(File.ReadAllText(Doc("batch.schema.json")), options);
    });

    static EvaluationResults Validate(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return Schema.Value.Evaluate(doc.RootElement.Clone(), new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    static string Errors(EvaluationResults r) => string.Join("\n", (r.Details ?? []).Where(d => d.Errors is { Count: > 0 })
        .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    /// <summary>A real verdict (the renderer's JSON, as the engine host sends it), with text that a strict encoder
    /// would escape: the frame's "+0x1a", and an apostrophe and angle brackets in the catalog's advice.</summary>
    static JsonObject Verdict()
    {
        var catalog = FakeCatalog.Standard();
        var result = Triager.Triage(Crashes.XdebugNullWrite(), catalog);
        var json = (JsonObject)JsonNode.Parse(JsonRenderer.Render(result, indented: false))!;
        json["verdict"]!["advice"] = "Don't load <xdebug> in production";
        return json;
    }

    static BatchReport Report() => BatchReport.Build([
        new DumpOutcome { Dump = "site/a/minidump.dmp", Result = Verdict(), DumpTime = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000) },
        new DumpOutcome { Dump = "site/b/minidump.dmp", Result = Verdict() },
        new DumpOutcome { Dump = "site/notes.dmp", Error = "site/notes.dmp: not a Windows dump file (no MDMP or PAGEDUMP signature)" },
    ]);

    [Test]
    public void The_envelope_is_valid_against_the_documented_schema()
    {
        var json = BatchJsonReport.Render(Report());
        var result = Validate(json);
        Assert.That(result.IsValid, Is.True, Errors(result));

        var doc = JsonNode.Parse(json)!.AsObject();
        Assert.That(doc.Select(p => p.Key), Is.EqualTo(new[] { "schema_version", "tool_version", "dumps", "buckets", "failed" }));
        Assert.That(doc["dumps"]!.AsArray().Select(d => d!["dump"]!.GetValue<string>()),
            Is.EqualTo(new[] { "site/a/minidump.dmp", "site/b/minidump.dmp" }), "dumps holds the verdicts only");
        Assert.That(doc["dumps"]![0]!["dump_time"]!.GetValue<string>(), Is.EqualTo("2023-11-14T22:13:20Z"));
        var failed = doc["failed"]!.AsArray().Single()!;
        Assert.That(failed["dump"]!.GetValue<string>(), Is.EqualTo("site/notes.dmp"));
        Assert.That(failed["error"]!.GetValue<string>(), Does.Contain("not a Windows dump file"));
        var bucket = doc["buckets"]!.AsArray().Single()!;
        Assert.That(bucket["count"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(bucket["dumps"]!.AsArray().Select(d => d!.GetValue<string>()),
            Is.EqualTo(new[] { "site/a/minidump.dmp", "site/b/minidump.dmp" }));
    }

    [Test]
    public void The_schema_rejects_what_breaks_the_contract()
    {
        // The test is only worth something if the schema can fail: a verdict without its owner, a failed dump without
        // its error, an envelope without failed.
        var broken = BatchJsonReport.ToJson(Report());
        broken["dumps"]![0]!["verdict"]!.AsObject().Remove("owner");
        Assert.That(Validate(broken.ToJsonString()).IsValid, Is.False, "a verdict is checked against verdict.schema.json");

        var noError = BatchJsonReport.ToJson(Report());
        noError["failed"]![0]!.AsObject().Remove("error");
        Assert.That(Validate(noError.ToJsonString()).IsValid, Is.False);

        var noFailed = BatchJsonReport.ToJson(Report());
        noFailed.Remove("failed");
        Assert.That(Validate(noFailed.ToJsonString()).IsValid, Is.False);
    }

    [Test]
    public void Tool_version_is_the_informational_version_of_the_build()
    {
        var assembly = typeof(BatchJsonReport).Assembly;
        string expected = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        var doc = JsonNode.Parse(BatchJsonReport.Render(Report()))!;
        Assert.That(doc["tool_version"]!.GetValue<string>(), Is.EqualTo(expected).And.Not.Empty);
        Assert.That(doc["schema_version"]!.GetValue<int>(), Is.EqualTo(1));
    }

    [Test]
    public void Plus_apostrophe_and_angle_brackets_are_written_as_themselves()
    {
        // What `grep '+0x1a' report.json` needs: the raw text, not \u002B escapes.
        var json = BatchJsonReport.Render(Report());
        Assert.That(json, Does.Contain("\"owner_frame\": \"php_xdebug!xdebug_execute_ex+0x1a\""));
        Assert.That(json, Does.Contain("Don't load <xdebug> in production"));
        Assert.That(json, Does.Not.Contain("\\u002B").And.Not.Contain("\\u0027").And.Not.Contain("\\u003C").And.Not.Contain("\\u003E"));
    }

    [Test]
    public void The_results_file_is_written_readably_too()
    {
        var path = Path.Combine(Path.GetTempPath(), $"fcgi-results-{Guid.NewGuid():N}.jsonl");
        try
        {
            using (var log = new ResultsLog(path, append: false))
                log.Append(new DumpOutcome { Dump = "a.dmp", Result = Verdict() });
            var line = File.ReadAllText(path);
            Assert.That(line, Does.Contain("php_xdebug!xdebug_execute_ex+0x1a").And.Contain("Don't load <xdebug>"));
            Assert.That(line, Does.Not.Contain("\\u00"));
            Assert.That(ResultsLog.Read(path, out _).Single().Get("verdict", "advice"), Is.EqualTo("Don't load <xdebug> in production"));
        }
        finally { File.Delete(path); }
    }
}
