using NUnit.Framework;

namespace FcgiExt.Tests;

/// <summary>The repository the tests run in (the folder holding FcgiExt.sln above the test binaries).</summary>
public static class TestRepo
{
    static readonly Lazy<string> RootPath = new(() =>
    {
        for (var d = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "FcgiExt.sln"))) return d.FullName;
        throw new InvalidOperationException($"no FcgiExt.sln above {TestContext.CurrentContext.TestDirectory}");
    });

    public static string Root => RootPath.Value;
}
