using FcgiExt.RulesEngine.Model;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>A register dump whose paste stops after the symbol line (real text: iisintegration-780, SOURCES.md).</summary>
public class RegisterBlockTests
{
    [Test]
    public void Symbol_line_without_disassembly_is_frame_zero()
    {
        var r = Fixture.Read("iisintegration-780-x86-av-registers-ntdll.txt");
        Assert.That(r.Exception?.Code, Is.EqualTo(0xC0000005u));
        var f = r.Frames.Single();
        Assert.That(f.Module, Is.EqualTo("ntdll"));
        Assert.That(f.Function, Is.EqualTo("RtlCaptureStackContext"));
        Assert.That(f.Displacement, Is.EqualTo(0x13e23UL));
        Assert.That(f.InstructionPointer, Is.EqualTo(0x77b39863UL), "eip");
        Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X86));
        Assert.That(r.Exception?.Instruction, Is.Null, "no instruction bytes were pasted");
    }
}
