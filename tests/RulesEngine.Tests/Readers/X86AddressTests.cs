using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>A 32-bit process's addresses are 32 bits, however the paste wrote them.</summary>
public class X86AddressTests
{
    // A 64-bit WinDbg on a WOW64 dump sign-extends the record's values.
    const string SignExtended = """
        0:000> .exr -1
        ExceptionAddress: ffffffff6d5f1a2b (php5ts!zend_hash_find+0x0000001f)
           ExceptionCode: c0000005 (Access violation)
          ExceptionFlags: 00000000
        NumberParameters: 2
           Parameter[0]: 0000000000000001
           Parameter[1]: ffffffff00000045
        Attempt to write to address ffffffff00000045
        0:000> kb
        ChildEBP RetAddr  Args to Child
        0093f2a4 6d5f4e7b 00000045 0093f2c8 00000000 php5ts!zend_hash_find+0x1f
        0093f2c0 6d6a0051 0093f2e0 00000001 00000000 php5ts!zend_fetch_class+0x5b
        """;

    [Test]
    public void Sign_extended_values_are_cut_to_32_bits()
    {
        var r = DebuggerText.Read(SignExtended);
        Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X86));
        Assert.That(r.Exception!.Address, Is.EqualTo(0x6d5f1a2bUL));
        Assert.That(r.Exception.Parameters, Is.EqualTo(new[] { 1UL, 0x45UL }));
        Assert.That(r.Exception.TargetAddress, Is.EqualTo(0x45UL));
    }

    [Test]
    public void A_sign_extended_write_near_null_classifies_as_a_null_write()
    {
        var r = Triager.Triage(DebuggerText.Read(SignExtended), RuleCatalog.LoadBuiltIn());
        Assert.That(r.Exception?.Class, Is.EqualTo("NULL_POINTER_WRITE"));
        Assert.That(r.Verdict.Bucket, Does.StartWith("NULL_POINTER_WRITE_c0000005_"));
    }

    [Test]
    public void X64_values_are_kept_whole()
    {
        var r = DebuggerText.Read("""
            ExceptionAddress: 00007ffb3c1b4a24 (php_xdebug+0x0000000000014a24)
               ExceptionCode: c0000005 (Access violation)
              ExceptionFlags: 00000000
            NumberParameters: 2
               Parameter[0]: 0000000000000001
               Parameter[1]: ffffffff00000045
             # Child-SP          RetAddr               Call Site
            00 000000a1`2f5fe6f0 00007ffb`3c1b51e2     php_xdebug+0x14a24
            """);
        Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X64));
        Assert.That(r.Exception!.TargetAddress, Is.EqualTo(0xffffffff00000045UL));
    }
}
