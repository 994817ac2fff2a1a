using NUnit.Framework;

namespace FcgiExt.Integration.Tests;

/// <summary>One version in all three places (issue 14): the extension DLL's version resource as the engine's `.chain`
/// shows it, `!help`, and the CLI (ProductInfo, which `fcgi --version` prints).</summary>
[Category("Integration")]
public class VersionEverywhereTests
{
    [Test]
    public void Chain_and_help_show_the_version_the_cli_has()
    {
        ExtensionSession.BuildDllIfStale();
        string version = RulesEngine.ProductInfo.Version;
        string dump = Path.Combine(TestPaths.Scenarios, "xdebug-null-write", "minidump.dmp");
        var run = TestPaths.Wine.Engine(dump, null, null, $".load {ExtensionSession.WineDll}; .chain; !help");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        // The resource carries the version of the build; a DLL built at another commit differs only after the '+'.
        string release = version.Split('+')[0];
        Assert.That(run.Stdout, Does.Match($@"fcgiext\.dll: image {System.Text.RegularExpressions.Regex.Escape(release)}\+[0-9a-f]+"));
        Assert.That(run.Stdout, Does.Contain($"version {release}"));
        Assert.That(run.Stdout, Does.Contain("README"));
        var host = TestPaths.Wine.RunHost(["--version"]);
        Assert.That(host.Stdout.Trim(), Does.StartWith(release + "+"), host.Stderr);
    }
}
