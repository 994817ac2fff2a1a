using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;
using YamlDotNet.RepresentationModel;

namespace FcgiExt.Tests.Readers;

/// <summary>
/// cases.yaml is what the triage tests use to check verdicts. These tests keep it honest at the reader
/// level: every case's file exists and reads into at least one frame, its exception code is the one the
/// reader finds, and the owner's module appears on the stack whenever the case says the text names it.
/// A web server's log line (Apache "exited with status", IIS "Error Number") carries only the worker's exit code:
/// such a case has no frames; its `exit_code` is checked instead.
/// </summary>
public class CasesYamlTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "text", "cases.yaml")))
            yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        foreach (YamlMappingNode c in (YamlSequenceNode)root.Children[new YamlScalarNode("cases")])
        {
            string? Get(string key) => c.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s && s.Value is not (null or "null" or "") ? s.Value : null;
            yield return new TestCaseData(Get("file")!, Get("expected_owner_module")!, Get("exception_code"), Get("text_names_owner") != "false", Get("url"), Get("exit_code"))
                .SetName("Case_" + Get("file"));
        }
    }

    [Test]
    public void There_are_at_least_twelve_real_cases_with_php_and_ruby() =>
        Assert.That(Cases().Select(c => (string)c.Arguments[0]!).ToList(), Has.Count.GreaterThanOrEqualTo(12)
            .And.Some.Contains("ruby").And.Some.Contains("php").And.None.StartsWith("synthetic"));

    [TestCaseSource(nameof(Cases))]
    public void Case_reads(string file, string ownerModule, string? exceptionCode, bool textNamesOwner, string? url, string? exitCode)
    {
        Assert.That(url, Does.StartWith("http"));
        var r = Fixture.Read(file);
        if (exitCode is not null)
        {
            Assert.That(r.Source.Kind, Is.EqualTo("server-log"));
            Assert.That(r.Process.ExitCode, Is.EqualTo(Convert.ToUInt32(exitCode, 16)));
        }
        else
            Assert.That(r.Frames, Is.Not.Empty);
        if (exceptionCode is not null)
            Assert.That(r.Exception?.Code, Is.EqualTo(Convert.ToUInt32(exceptionCode, 16)));
        var modules = r.Frames.Select(f => f.Module).Where(m => m is not null).ToList();
        if (textNamesOwner)
            Assert.That(modules, Has.Some.EqualTo(ownerModule).IgnoreCase, $"{ownerModule} on the stack of {file}");
        else
            Assert.That(modules, Has.None.EqualTo(ownerModule).IgnoreCase);
    }
}
