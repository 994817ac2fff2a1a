using System.Text.Json;
using FcgiExt.DbgEng;

namespace FcgiExt.Integration.Tests;

/// <summary>`fcgi engine` and `fcgihost collect` end to end under Wine: output, errors, exit codes.</summary>
[Category("Integration")]
[NonParallelizable]
public class EngineSessionTests
{
    static string PublicDump(string name) =>
        Directory.EnumerateFiles(TestPaths.PublicDumps, name, SearchOption.AllDirectories).FirstOrDefault()
        ?? throw new AssertionException($"{name} not found under {TestPaths.PublicDumps}");

    string _dir = "";

    [SetUp]
    public void MakeTempDir() => _dir = TestPaths.TempDir();

    [TearDown]
    public void RemoveTempDir() => Directory.Delete(_dir, true);

    [Test]
    public void Engine_runs_the_commands_as_typed_and_prints_the_engine_output()
    {
        var run = TestPaths.Wine.Engine(PublicDump("tiny-exe-fastfail.dmp"), _dir, null, ".ecxr; kn; lm");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Stderr);
        Assert.That(run.Stdout, Does.Contain("Loading Dump File"));
        Assert.That(run.Stdout, Does.Contain("code c0000409"));
        Assert.That(run.Stdout, Does.Contain(" # Child-SP"), "kn ran after .ecxr (';' split by the engine)");
        Assert.That(run.Stdout, Does.Contain("tiny+0x1af42"));
        Assert.That(run.Stdout, Does.Contain("start             end                 module name"), "lm ran");
        Assert.That(run.Stdout, Does.Not.Contain("\r"), "binary stdout, no CR");
        Assert.That(run.Stdout, Does.Contain($"Symbol search path is: {Cli.Engine.WineRunner.ToWinePath(_dir)}"));
        Assert.That(run.Stdout, Does.Contain($"Executable search path is: {Cli.Engine.WineRunner.ToWinePath(_dir)}"),
            "the image path defaults to the symbol path");
    }

    [Test]
    public void Engine_uses_the_exepath_when_given()
    {
        string images = Path.Combine(_dir, "images");
        Directory.CreateDirectory(images);
        var run = TestPaths.Wine.Engine(PublicDump("minidump2.dmp"), _dir, images, "kn");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Stderr);
        Assert.That(run.Stdout, Does.Contain($"Executable search path is: {Cli.Engine.WineRunner.ToWinePath(images)}"));
    }

    public static IEnumerable<TestCaseData> BadFiles()
    {
        yield return new TestCaseData("missing.dmp", null, "no such file").SetName("missing file");
        yield return new TestCaseData("notes.dmp", "just some text, not a dump\n", "not a Windows dump file")
            .SetName("text file named .dmp");
        yield return new TestCaseData("empty.dmp", "", "empty file").SetName("empty file");
        yield return new TestCaseData("cut.dmp", "<truncated>", "truncated minidump").SetName("truncated minidump");
    }

    string MakeBadFile(string name, string? content)
    {
        string path = Path.Combine(_dir, name);
        if (content == "<truncated>")
        {
            byte[] bytes = File.ReadAllBytes(PublicDump("tiny-exe-fastfail.dmp"));
            File.WriteAllBytes(path, bytes[..(bytes.Length / 3)]);
        }
        else if (content is not null) File.WriteAllText(path, content);
        return path;
    }

    [TestCaseSource(nameof(BadFiles))]
    public void Host_gives_a_one_line_error_naming_the_file(string name, string? content, string reason)
    {
        string path = MakeBadFile(name, content);
        var run = TestPaths.Wine.Engine(path, null, null, "kn");
        Assert.That(run.ExitCode, Is.EqualTo(1));
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), run.Stderr);
        Assert.That(lines[0], Does.StartWith("fcgihost: " + Cli.Engine.WineRunner.ToWinePath(path) + ": ").And.Contain(reason));
    }

    [TestCaseSource(nameof(BadFiles))]
    public void Fcgi_engine_gives_a_one_line_error_naming_the_file(string name, string? content, string reason)
    {
        string path = MakeBadFile(name, content);
        var (code, stdout, stderr) = RunFcgi("engine", path, "-c", "kn");
        // A path that does not exist is a usage error: exit 2, the short usage after the one line.
        bool missing = content is null;
        Assert.That(code, Is.EqualTo(missing ? 2 : 1));
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(missing ? 2 : 1), stderr);
        Assert.That(lines[0], Does.StartWith($"fcgi engine: {path}: ").And.Contain(reason));
        if (missing) Assert.That(lines[1], Does.StartWith("Usage: fcgi engine <dump>"));
        Assert.That(stdout, Is.Empty);
    }

    [Test]
    public void Fcgi_engine_without_commands_is_a_usage_error()
    {
        var (code, stdout, stderr) = RunFcgi("engine", PublicDump("minidump2.dmp"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr,
            Does.StartWith("fcgi engine: Option '--commands' is required.\nUsage: fcgi engine <dump> --commands <commands>"));
    }

    [Test]
    public void Fcgi_engine_prints_the_engine_output()
    {
        var (code, stdout, stderr) = RunFcgi("engine", PublicDump("invalid-parameter.dmp"), "--sympath", _dir, "-c", ".lastevent");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("code c000000d"));
    }

    [Test]
    public void Collect_prints_the_crash_model_with_modules_and_the_exception()
    {
        var run = TestPaths.Wine.Collect(PublicDump("tiny-exe-fastfail.dmp"), _dir, null);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Stderr);
        var report = JsonSerializer.Deserialize(run.Stdout, HostJson.Default.CrashReport)!;
        Assert.That(report.Exception!.Code, Is.EqualTo(0xc0000409u));
        Assert.That(report.Exception.Parameters, Is.EqualTo(new ulong[] { 7 }), "FAST_FAIL_FATAL_APP_EXIT subcode");
        Assert.That(report.Process.Name, Is.EqualTo("tiny.exe"));
        Assert.That(report.Process.Architecture, Is.EqualTo(RulesEngine.Model.Architecture.X64));
        Assert.That(report.Modules, Has.Count.GreaterThan(10));
        var tiny = report.FindModule("tiny.exe")!;
        Assert.That(tiny.PdbName, Is.EqualTo("tiny.exe.pdb"));
        Assert.That(tiny.Symbols, Is.EqualTo(RulesEngine.Model.SymbolStatus.None), "no PDB on the symbol path");
        Assert.That(report.Modules.Any(m => m.FileVersion is not null), Is.True, "file versions from the dump's version resources");
        Assert.That(report.Frames[0].Module, Is.EqualTo("tiny"));
        Assert.That(report.Frames[0].Trust, Is.EqualTo(RulesEngine.Model.FrameTrust.Context));
        Assert.That(report.FaultingThread!.Id, Is.EqualTo(0x5f78u), "the event thread (a40c.5f78)");
    }

    [Test]
    public void Collect_reports_no_exception_for_a_snapshot_dump()
    {
        var run = TestPaths.Wine.Collect(PublicDump("tiny-exe-with-cet-xsave.dmp"), _dir, null);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.Stderr);
        var report = JsonSerializer.Deserialize(run.Stdout, HostJson.Default.CrashReport)!;
        Assert.That(report.Exception, Is.Null);
        Assert.That(report.Modules, Is.Not.Empty);
    }

    /// <summary>Runs the `fcgi` command line in this process, usage errors included (its Linux path goes through WineRunner).</summary>
    static (int Code, string Stdout, string Stderr) RunFcgi(params string[] args)
    {
        var originalOut = Console.Out;
        var originalError = Console.Error;
        var output = new StringWriter();
        var error = new StringWriter();
        try
        {
            Console.SetOut(output);
            Console.SetError(error);
            int code = Cli.FcgiCli.Run(args, output, error);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }
}
