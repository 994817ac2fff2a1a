using System.Text;
using System.Text.Json;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Triage;

/// <summary>No stack text makes the reader → triage → renderers chain throw: texts spliced and mutated from the
/// real fixtures with fixed seeds, so a failure reproduces.</summary>
public class StackTextFuzzTests
{
    static readonly Lazy<string[]> FixtureLines = new(() =>
        Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "text"))
            .Where(f => !f.EndsWith(".yaml") && !f.EndsWith(".md"))
            .SelectMany(f => DebuggerText.Decode(File.ReadAllBytes(f)).Split('\n'))
            .ToArray());

    static readonly Lazy<RuleCatalog> Catalog = new(RuleCatalog.LoadBuiltIn);

    static string Mutate(Random rng, string line)
    {
        if (line.Length == 0) return line;
        return rng.Next(8) switch
        {
            0 => line[..rng.Next(line.Length)],                                      // cut short (hard wrap)
            1 => line.Insert(rng.Next(line.Length), new string((char)rng.Next(32, 127), rng.Next(1, 4))),
            2 => line.Replace(' ', '\t'),
            3 => line.ToUpperInvariant(),
            4 => line.Replace("0x", "0x0000000"),
            5 => line + " " + line,
            _ => line,
        };
    }

    [TestCase(7)]
    [TestCase(1234)]
    [TestCase(20261126)]
    public void Spliced_and_mutated_debugger_text_never_throws(int seed)
    {
        var rng = new Random(seed);
        var lines = FixtureLines.Value;
        for (int i = 0; i < 150; i++)
        {
            var sb = new StringBuilder();
            int start = rng.Next(lines.Length);
            for (int n = rng.Next(1, 120), k = 0; k < n; k++)
                sb.Append(Mutate(rng, lines[(start + k + (rng.Next(10) == 0 ? rng.Next(lines.Length) : 0)) % lines.Length])).Append('\n');
            var text = sb.ToString();
            Assert.DoesNotThrow(() =>
            {
                var crash = DebuggerText.Read(text, "fuzz.txt");
                var r = Triager.Triage(crash, Catalog.Value);
                Assert.That(r.Explanation, Has.None.Contains("internal error"));
                TextRenderer.Render(r, verbose: true, dml: true);
                using var doc = JsonDocument.Parse(JsonRenderer.Render(r));
                MarkdownRenderer.Render(r, verbose: true);
                HtmlRenderer.Render(r, verbose: true);
            }, $"seed {seed}, case {i}:\n{text}");
        }
    }
}
