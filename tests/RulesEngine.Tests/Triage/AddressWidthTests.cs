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

/// <summary>Inputs that cannot support a confident owner: a dump without a usable exception context, an unknown code,
/// and a damaged dump's negative displacement.</summary>
public class WeakInputConfidenceTests
{
    static readonly RuleCatalog Catalog = RuleCatalog.LoadBuiltIn();

    static CrashReport Crash(uint code, bool? context) => new()
    {
        Process = new ProcessInfo { Name = "php-cgi.exe", Architecture = Architecture.X64 },
        Exception = new ExceptionInfo { Code = code, Address = 0x180001234, Parameters = [0, 8], ContextAvailable = context },
        FaultingThread = new ThreadInfo { Frames = [new StackFrame { Index = 0, InstructionPointer = 0x180001234, Module = "php_xdebug",
            Function = "xdebug_execute_ex", Displacement = 0x14 }] },
        Source = new DataSource { Kind = "dbgeng" },
    };

    [Test]
    public void A_dump_without_a_usable_exception_context_is_low_and_says_why()
    {
        var with = Triager.Triage(Crash(0xC0000005, true), Catalog);
        var without = Triager.Triage(Crash(0xC0000005, false), Catalog);
        Assert.That(with.Verdict.ConfidenceReasons, Has.None.Contains("not the one that faulted"));
        Assert.That(with.Verdict.Confidence, Is.GreaterThan(Confidence.Low), string.Join("; ", with.Verdict.ConfidenceReasons));
        Assert.That(without.Verdict.Confidence, Is.EqualTo(Confidence.Low));
        Assert.That(without.Verdict.ConfidenceReasons, Has.Some.Contains("not the one that faulted"));
    }

    [Test]
    public void An_unknown_exception_code_caps_at_medium()
    {
        var r = Triager.Triage(Crash(0xE0123456, null), Catalog);
        Assert.That(r.Exception!.Class, Does.StartWith("UNKNOWN_EXCEPTION"));
        Assert.That(r.Verdict.Confidence, Is.LessThanOrEqualTo(Confidence.Medium));
        Assert.That(r.Verdict.ConfidenceReasons, Has.Some.Contains("0xe0123456 is not one FcgiExt knows"));
        var known = Triager.Triage(Crash(0xC0000005, true), Catalog);
        Assert.That(known.Verdict.ConfidenceReasons, Has.None.Contains("is not one FcgiExt knows"));
    }

    [Test]
    public void A_negative_displacement_prints_negative()
    {
        var frame = new StackFrame { Module = "php_cgi", Function = "WinMainCRTStartup", Displacement = 0xfffffffffffffefe };
        Assert.That(frame.Display, Is.EqualTo("php_cgi!WinMainCRTStartup-0x102"));
    }
}
