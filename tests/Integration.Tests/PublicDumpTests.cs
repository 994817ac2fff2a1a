using System.Text.Json;
using FcgiExt.Cli.Engine;
using FcgiExt.DbgEng;

namespace FcgiExt.Integration.Tests;

/// <summary>The real engine on the dumps in ../shared/testdata/public (written on real Windows machines by other
/// projects): each opens and reports the exception code its README records. One `fcgihost serve` process answers
/// all of them, which also proves that one engine serves many dumps (EndSession between them).</summary>
[Category("Integration")]
[NonParallelizable]
public class PublicDumpTests
{
    /// <summary>From testdata/public/README.md; null = no exception stream (a snapshot dump).</summary>
    static readonly Dictionary<string, uint?> RecordedCodes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["minidump2.dmp"] = 0xc0000005,
        ["null_read_av.dmp"] = 0xc0000005,
        ["null_write_av.dmp"] = 0xc0000005,
        ["read_av_non_null.dmp"] = 0xc0000005,
        ["write_av_non_null.dmp"] = 0xc0000005,
        ["ascii_read_av.dmp"] = 0xc0000005,
        ["ascii_write_av.dmp"] = 0xc0000005,
        ["exec_av_on_stack.dmp"] = 0xc0000005,
        ["stack_exhaustion.dmp"] = 0xc00000fd,
        ["thread_name_list.dmp"] = 0xc0000005,
        ["tiny-exe-fastfail.dmp"] = 0xc0000409,
        ["tiny-exe-with-cet-xsave.dmp"] = null,
        ["tiny-exe-with-cet-xsave-x86.dmp"] = null,
        ["invalid-parameter.dmp"] = 0xc000000d,
    };

    public sealed record PublicDump(string Path, uint? Code)
    {
        public override string ToString() => System.IO.Path.GetFileName(Path);
    }

    public static IEnumerable<PublicDump> Dumps()
    {
        if (!Directory.Exists(TestPaths.PublicDumps)) yield break;
        foreach (var file in Directory.EnumerateFiles(TestPaths.PublicDumps, "*.dmp", SearchOption.AllDirectories).Order())
            yield return new PublicDump(file, RecordedCodes.TryGetValue(Path.GetFileName(file), out var code) ? code : 0xFFFFFFFF);
    }

    EngineServer? _server;
    string _emptySymbols = "";

    [OneTimeSetUp]
    public void StartServer()
    {
        Assert.That(Dumps().ToList(), Is.Not.Empty, $"no dumps in {TestPaths.PublicDumps}");
        // No PDBs for these dumps, and no network under Wine: an empty local symbol path keeps the engine from trying srv*.
        _emptySymbols = TestPaths.TempDir();
        _server = TestPaths.Wine.StartServer();
    }

    [OneTimeTearDown]
    public void StopServer()
    {
        _server?.Dispose();
        if (_emptySymbols.Length > 0) Directory.Delete(_emptySymbols, true);
    }

    [Test]
    public void Every_dump_in_the_folder_has_its_recorded_code_listed()
    {
        foreach (var d in Dumps())
            Assert.That(d.Code, Is.Not.EqualTo(0xFFFFFFFF), $"{d.Path}: add its exception code from the README to this test");
    }

    [TestCaseSource(nameof(Dumps))]
    public void Engine_reports_the_recorded_exception(PublicDump dump)
    {
        var request = new ServeRequest
        {
            Dump = WineRunner.ToWinePath(dump.Path),
            SymbolPath = WineRunner.ToWinePath(_emptySymbols),
            Commands = ".lastevent",
            Collect = true,
        };
        string answer = _server!.Request(JsonSerializer.Serialize(request, HostJson.Default.ServeRequest), TimeSpan.FromMinutes(2));
        var response = JsonSerializer.Deserialize(answer, HostJson.Default.ServeResponse)!;
        Assert.That(response.Error, Is.Null, answer);
        var report = response.Report!;
        Assert.That(report.Modules, Is.Not.Empty, "modules");
        if (dump.Code is { } code)
        {
            // The engine's own text (as in cdb) and the collector's model agree on the code.
            Assert.That(response.Output, Does.Contain($"code {code:x8}"), response.Output);
            Assert.That(report.Exception, Is.Not.Null);
            Assert.That(report.Exception!.Code, Is.EqualTo(code), $"0x{report.Exception.Code:x8}");
            Assert.That(report.Frames, Is.Not.Empty, "faulting thread frames");
        }
        else
        {
            Assert.That(response.Output, Does.Not.Contain("exception of interest"));
            Assert.That(report.Exception, Is.Null);
        }
    }
}
