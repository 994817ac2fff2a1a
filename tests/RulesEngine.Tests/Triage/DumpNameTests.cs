using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Triage;

/// <summary>The suggested `.dump /ma` file name names the process the input names, never php-cgi by default.</summary>
public class DumpNameTests
{
    static readonly Lazy<RuleCatalog> Catalog = new(RuleCatalog.LoadBuiltIn);

    static string DumpCommand(string text) =>
        Triager.Triage(DebuggerText.Read(text), Catalog.Value).NextSteps.Single(s => s.Kind == "dump").Command!;

    const string Frames = """
         # Child-SP          RetAddr               Call Site
        00 000000a1`2f5fe6f0 00007ffb`3c1b51e2     ntdll!RtlpFreeHeap+0x1a
        01 000000a1`2f5fe760 00007ffb`3d8a0b10     somelib!do_free+0x2a1
        """;

    [Test]
    public void A_text_that_names_no_process_gets_a_placeholder()
    {
        var command = DumpCommand("(1bf8.2bf8): Access violation - code c0000005 (first chance)\n" + Frames);
        Assert.That(command, Does.Contain(@"c:\dumps\<process>_"));
        Assert.That(command, Does.Not.Contain("php-cgi"));
    }

    [Test]
    public void The_event_log_s_process_names_the_dump()
    {
        var command = DumpCommand("""
            Faulting application name: httpd.exe, version: 2.4.58.0, time stamp: 0x6553a0d1
            Faulting module name: php8ts.dll, version: 8.3.1.0, time stamp: 0x657a6b22
            Exception code: 0xc0000005
            Fault offset: 0x00000000002a1b2c
            """);
        Assert.That(command, Does.StartWith(@".dump /ma /u c:\dumps\httpd_"));
    }

    [Test]
    public void A_ruby_crash_report_names_ruby()
    {
        var command = DumpCommand("""
            C:/Ruby32-x64/lib/ruby/gems/3.2.0/gems/grpc-1.58.0-x64-mingw-ucrt/src/ruby/lib/grpc.rb:22: [BUG] Segmentation fault
            ruby 3.2.2 (2023-03-30 revision e51014f9c0) [x64-mingw-ucrt]
            """);
        Assert.That(command, Does.StartWith(@".dump /ma /u c:\dumps\ruby_"));
    }

    [TestCase("php-cgi.exe", "php-cgi")]
    [TestCase("crash.exe", "crash")]
    [TestCase("ruby", "ruby")]
    [TestCase(@"C:\Apache24\bin\httpd.exe", "httpd")]
    [TestCase(null, NextSteps.UnknownProcess)]
    [TestCase("bad name; del *.exe", NextSteps.UnknownProcess)]
    public void Dump_stems(string? process, string stem) => Assert.That(NextSteps.DumpStem(process), Is.EqualTo(stem));
}
