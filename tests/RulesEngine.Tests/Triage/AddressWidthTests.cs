using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Triage;

/// <summary>A 32-bit target's addresses are cut to 32 bits before classifying and printing: dump writers leave
/// sign extension or garbage in the upper half of the 64-bit fields.</summary>
public class AddressWidthTests
{
    static readonly RuleCatalog Catalog = RuleCatalog.LoadBuiltIn();

    static CrashReport Crash(Architecture arch, ulong address, ulong target, ulong frameIp) => new()
    {
        Process = new ProcessInfo { Name = "php-cgi.exe", Architecture = arch },
        Exception = new ExceptionInfo { Code = 0xC0000005, Address = address, Parameters = [1, target] },
        FaultingThread = new ThreadInfo { Frames = [new StackFrame { Index = 0, InstructionPointer = frameIp, Module = "test_app",
            Function = "CrashFunction" }] },
        Modules = [new ModuleInfo { Name = "test_app", FileName = "test_app.exe", Base = 0xffffffff00400000, Size = 0x10000 }],
    };

    [Test]
    public void Upper_half_of_an_x86_address_does_not_change_the_class_or_the_bucket()
    {
        var clean = Triager.Triage(Crash(Architecture.X86, 0x40429e, 0x45, 0x40429e), Catalog);
        var dirty = Triager.Triage(Crash(Architecture.X86, 0xffffffff0040429e, 0xffffffff00000045, 0xffffffff0040429e), Catalog);
        Assert.Multiple(() =>
        {
            Assert.That(dirty.Exception!.Class, Is.EqualTo(clean.Exception!.Class));
            Assert.That(clean.Exception.Class, Is.EqualTo("NULL_POINTER_WRITE"));
            Assert.That(dirty.Verdict.Bucket, Is.EqualTo(clean.Verdict.Bucket));
            Assert.That(dirty.Crash.Exception!.Address, Is.EqualTo(0x40429eUL));
            Assert.That(dirty.Crash.Exception.Parameters, Is.EqualTo(new ulong[] { 1, 0x45 }));
            Assert.That(dirty.Crash.Frames[0].InstructionPointer, Is.EqualTo(0x40429eUL));
            Assert.That(dirty.Crash.Modules[0].Base, Is.EqualTo(0x400000UL));
        });
    }

    [Test]
    public void X64_addresses_keep_their_upper_half()
    {
        var r = Triager.Triage(Crash(Architecture.X64, 0x7ff6_0040_429e, 0xffffffff00000045, 0x7ff6_0040_429e), Catalog);
        Assert.That(r.Crash.Exception!.Parameters[1], Is.EqualTo(0xffffffff00000045UL));
        Assert.That(r.Exception!.Class, Is.Not.EqualTo("NULL_POINTER_WRITE"));
    }
}
