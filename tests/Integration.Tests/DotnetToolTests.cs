using System.Diagnostics;
using NUnit.Framework;

namespace FcgiExt.Integration.Tests;

/// <summary>`dotnet pack Cli` gives the .NET tool FcgiExt.Cli (command `fcgi`): installed into a temporary tool path
/// from the local package, it runs what needs no engine, and for a dump it names the one thing to do when the
/// sources (which build the engine host for Wine) are not there — and triages when FCGI_REPO_ROOT names them.</summary>
[Category("Integration")]
public class DotnetToolTests
{
    string _dir = "";

    static (int Code, string Out, string Err) Run(string file, string workingFolder, IDictionary<string, string?>? env,
        params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingFolder, RedirectStandardOutput = true,
            RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("FCGI_REPO_ROOT");
        foreach (var (k, v) in env ?? new Dictionary<string, string?>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [OneTimeSetUp]
    public void PackAndInstall()
    {
        _dir = TestPaths.TempDir();
        var pack = Run("dotnet", TestPaths.RepoRoot, null, "pack", Path.Combine(TestPaths.RepoRoot, "Cli", "Cli.csproj"), "-c", "Release",
            "-o", Path.Combine(_dir, "packages"), "-nologo");
        Assert.That(pack.Code, Is.Zero, pack.Out + pack.Err);
        var install = Run("dotnet", _dir, null, "tool", "install", "--tool-path", Path.Combine(_dir, "tools"),
            "--add-source", Path.Combine(_dir, "packages"), "FcgiExt.Cli");
        Assert.That(install.Code, Is.Zero, install.Out + install.Err);
    }

    [OneTimeTearDown]
    public void Remove() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    string Fcgi => Path.Combine(_dir, "tools", "fcgi");

    [Test]
    public void The_installed_tool_prints_help_and_the_version()
    {
        var help = Run(Fcgi, _dir, null, "--help");
        Assert.That(help.Code, Is.Zero, help.Err);
        Assert.That(help.Out, Does.Contain("triage").And.Contain("capture").And.Contain("explain"));
        var version = Run(Fcgi, _dir, null, "--version");
        Assert.That(version.Out.Trim(), Does.StartWith(typeof(RulesEngine.ProductInfo).Assembly.GetName().Version!.ToString(3)));
    }

    [Test]
    public void The_installed_tool_explains_a_code_and_triages_debugger_text()
    {
        var explain = Run(Fcgi, _dir, null, "explain", "0xc0000005");
        Assert.That(explain.Code, Is.Zero, explain.Err);
        Assert.That(explain.Out, Does.Contain("STATUS_ACCESS_VIOLATION"));
        var triage = Run(Fcgi, _dir, null, "triage", "--stack-text", Path.Combine(TestPaths.RepoRoot, "samples", "xdebug-event1000.txt"));
        Assert.That(triage.Code, Is.Zero, triage.Err);
        Assert.That(triage.Out, Does.Contain("Owner:      Xdebug"));
    }

    [Test]
    public void Without_the_sources_a_dump_gets_the_one_thing_to_do()
    {
        string dump = Path.Combine(TestPaths.Scenarios, "xdebug-null-write", "minidump.dmp");
        var triage = Run(Fcgi, _dir, null, "triage", dump);
        Assert.That(triage.Code, Is.Not.Zero);
        Assert.That(triage.Err, Does.Contain("FCGI_REPO_ROOT"));
        Assert.That(triage.Err.Trim().Split('\n'), Has.Length.EqualTo(1), triage.Err);
    }
}
