using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>Visual Studio's Output window after attaching to a worker (real text: iisintegration-35, SOURCES.md).</summary>
public class VisualStudioOutputTests
{
    [Test]
    public void First_unhandled_exception_is_the_crash()
    {
        var r = Fixture.Read("iisintegration-35-vs-output-w3wp-c000070a.txt");
        Assert.That(r.Source.Kind, Does.Contain("visual-studio-output"));
        Assert.That(r.Process.Name, Is.EqualTo("w3wp.exe"));
        Assert.That(r.Exception?.Code, Is.EqualTo(0xC000070Au), "the later access violation came after the debugger went on");
        Assert.That(r.Exception?.Address, Is.EqualTo(0x7717298AUL));
        Assert.That(r.Exception?.FirstChance, Is.False);
        Assert.That(r.Exception?.Parameters, Has.Count.EqualTo(5));
        Assert.That(r.Frames.Single().Module, Is.EqualTo("ntdll"));
        Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X64));
        Assert.That(r.Source.SkippedLines, Is.Empty);
    }

    [Test]
    public void Access_and_a_first_chance_line()
    {
        var r = DebuggerText.Read(
            "Exception thrown at 0x00007FF8A1B2C3D4 (php8.dll) in php-cgi.exe: 0xC0000005: " +
            "Access violation reading location 0x0000000000000010.\n" +
            "Unhandled exception at 0x00007FF8A1B2C3D4 (php8.dll) in php-cgi.exe: 0xC0000005: " +
            "Access violation reading location 0x0000000000000010.\n");
        Assert.That(r.Exception?.Code, Is.EqualTo(0xC0000005u));
        Assert.That(r.Exception?.Access, Is.EqualTo(AccessKind.Read));
        Assert.That(r.Exception?.TargetAddress, Is.EqualTo(0x10UL));
        Assert.That(r.Frames.Single().Module, Is.EqualTo("php8"));
        Assert.That(r.Process.Name, Is.EqualTo("php-cgi.exe"));
    }

    [Test]
    public void A_thread_exit_is_not_the_process_exit_code()
    {
        var r = DebuggerText.Read("The thread 0x6f54 has exited with code 0 (0x0).\n");
        Assert.That(r.Process.ExitCode, Is.Null);
    }
}
