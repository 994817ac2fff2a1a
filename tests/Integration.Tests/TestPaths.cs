using FcgiExt.Cli.Engine;

namespace FcgiExt.Integration.Tests;

/// <summary>Where the tests find their data. The repository root holds FcgiExt.sln; the public dumps are in
/// ../shared/testdata/public beside it (CI has shared/ beside the clone). FCGIEXT_SHARED and FCGIEXT_TESTDUMPS
/// override the two folders (a worktree elsewhere, a scenario folder being written).</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = WineRunner.FindRepoRoot();

    public static string Shared =>
        Environment.GetEnvironmentVariable("FCGIEXT_SHARED") is { Length: > 0 } s ? s : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string PublicDumps => Path.Combine(Shared, "testdata", "public");

    public static string TestDumps =>
        Environment.GetEnvironmentVariable("FCGIEXT_TESTDUMPS") is { Length: > 0 } t ? t : Path.Combine(RepoRoot, "TestDumps");

    public static string Scenarios => Path.Combine(TestDumps, "scenarios");

    /// <summary>One runner for the whole test run: the host build and the prefix are shared.</summary>
    public static WineRunner Wine { get; } = new(RepoRoot);

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "fcgiext-tests-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
