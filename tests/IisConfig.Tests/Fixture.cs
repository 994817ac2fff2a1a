using FcgiExt.IisConfig;
using NUnit.Framework;

namespace FcgiExt.IisConfig.Tests;

/// <summary>The configuration files under Fixtures/, one folder per situation, and the repository for docs/.</summary>
public static class Fixture
{
    public static string Dir(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", name);
    public static string Config(string name) => Path.Combine(Dir(name), "applicationHost.config");
    public static string PhpIni(string name) => Path.Combine(Dir(name), "php.ini");

    public static string RepoRoot
    {
        get
        {
            for (var d = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "FcgiExt.sln"))) return d.FullName;
            throw new InvalidOperationException("no FcgiExt.sln above the test binaries");
        }
    }

    /// <summary>No file beside any fullPath exists: what this machine sees of a Windows server's C:\.</summary>
    public sealed class NothingOnDisk : IFileProbe
    {
        public bool Exists(string path) => false;
    }

    /// <summary>The checks of one fixture folder, with its own php.ini given as --php-ini would give it.</summary>
    public static IisCheckReport Check(string name, IFileProbe? probe = null, params string[] webConfigs)
    {
        var config = IisConfiguration.Load([Config(name), .. webConfigs.Select(w => Path.Combine(Dir(name), w))]);
        string? ini = File.Exists(PhpIni(name)) ? PhpIni(name) : null;
        return IisCheckReport.Run(config, ini, probe ?? new NothingOnDisk());
    }
}
