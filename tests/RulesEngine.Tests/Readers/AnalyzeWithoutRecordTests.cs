using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>`!analyze -v` pasted without `.exr`: its fields give the class, the process and the frames.</summary>
public class AnalyzeWithoutRecordTests
{
    static readonly Lazy<RuleCatalog> Catalog = new(RuleCatalog.LoadBuiltIn);

    // The old-style field layout of !analyze -v on a 32-bit php-cgi dump, without the EXCEPTION_RECORD block.
    const string Analyze = """
        0:000> !analyze -v
        *******************************************************************************
        *                        Exception Analysis                                   *
        *******************************************************************************

        FAULTING_IP:
        php_pdo_sqlsrv_7_ts+2f1c4
        6b1cf1c4 8b4808          mov     ecx,dword ptr [eax+8]

        PROCESS_NAME:  php-cgi.exe

        EXCEPTION_CODE: (NTSTATUS) 0xc0000005 - The instruction at 0x%08lx referenced memory at 0x%08lx. The memory could not be %s.

        EXCEPTION_CODE_STR:  c0000005

        BUGCHECK_STR:  APPLICATION_FAULT_NULL_CLASS_PTR_READ

        STACK_TEXT:
        0093f2a4 6b1d0a7b 00000000 0093f2c8 6d5f4e7b php_pdo_sqlsrv_7_ts+0x2f1c4
        0093f2c0 6d6a0051 0093f2e0 00000001 00000000 php7ts!zend_call_function+0x3e1
        0093f2e4 6d6a1122 00000000 00000000 00000000 php7ts!execute_ex+0x51

        FAILURE_BUCKET_ID:  NULL_CLASS_PTR_READ_c0000005_php_pdo_sqlsrv_7_ts.dll!Unknown
        """;

    [Test]
    public void Fields_give_code_access_process_and_frames()
    {
        var r = DebuggerText.Read(Analyze);
        Assert.That(r.Exception?.Code, Is.EqualTo(0xC0000005u));
        Assert.That(r.Exception!.Access, Is.EqualTo(AccessKind.Read), "BUGCHECK_STR ends in _READ");
        Assert.That(r.Exception.Address, Is.EqualTo(0x6b1cf1c4UL), "FAULTING_IP's address");
        Assert.That(r.Process.Name, Is.EqualTo("php-cgi.exe"));
        Assert.That(r.Frames.Select(f => f.Display), Is.EqualTo(new[]
        {
            "php_pdo_sqlsrv_7_ts+0x2f1c4", "php7ts!zend_call_function+0x3e1", "php7ts!execute_ex+0x51",
        }));
    }

    [Test]
    public void Triage_gets_a_class_not_no_exception()
    {
        var r = Triager.Triage(DebuggerText.Read(Analyze), Catalog.Value);
        Assert.That(r.Exception?.Class, Is.EqualTo("ACCESS_VIOLATION_READ"));
        Assert.That(r.Verdict.Bucket, Does.StartWith("ACCESS_VIOLATION_READ_c0000005_php_pdo_sqlsrv_7_ts"));
    }

    [Test]
    public void Read_address_gives_the_target_whichever_comes_first()
    {
        var r = DebuggerText.Read(Analyze.Replace("STACK_TEXT:", "READ_ADDRESS:  00000008\n\nSTACK_TEXT:"));
        Assert.That(r.Exception!.TargetAddress, Is.EqualTo(8UL));
        Assert.That(Triager.Triage(r, Catalog.Value).Exception?.Class, Is.EqualTo("NULL_POINTER_READ"));
    }

    [TestCase("BUGCHECK_STR:  APPLICATION_FAULT_INVALID_POINTER_READ", 0xC0000005u, AccessKind.Read)]
    [TestCase("BUGCHECK_STR:  APPLICATION_FAULT_NULL_POINTER_WRITE", 0xC0000005u, AccessKind.Write)]
    [TestCase("FAILURE_BUCKET_ID:  INVALID_POINTER_READ_c0000005_php8.dll!ir_fix_bb_order", 0xC0000005u, AccessKind.Read)]
    [TestCase("FAILURE_BUCKET_ID:  STACK_OVERFLOW_c00000fd_php8ts.dll!execute_ex", 0xC00000FDu, AccessKind.Unknown)]
    [TestCase("BUGCHECK_STR:  APPLICATION_FAULT_STACK_OVERFLOW", 0xC00000FDu, AccessKind.Unknown)]
    public void A_problem_class_alone_gives_the_code(string field, uint code, AccessKind access)
    {
        var r = DebuggerText.Read(field + "\n\nSTACK_TEXT:\n0093f2a4 6b1d0a7b 00000000 0093f2c8 6d5f4e7b php8!execute_ex+0x51\n");
        Assert.That(r.Exception?.Code, Is.EqualTo(code));
        Assert.That(r.Exception!.Access, Is.EqualTo(access));
    }

    [Test]
    public void Exception_code_beats_a_bucket_s_code()
    {
        var r = DebuggerText.Read("FAILURE_BUCKET_ID:  STACK_OVERFLOW_c00000fd_php8ts.dll!execute_ex\nEXCEPTION_CODE_STR:  c0000409\n");
        Assert.That(r.Exception?.Code, Is.EqualTo(0xC0000409u));
    }

    [Test]
    public void The_real_tideways_excerpt_is_an_access_violation_read()
    {
        var crash = Fixture.Read("tideways-80-analyze-xhprof-x64.txt");
        var r = Triager.Triage(crash, Catalog.Value);
        Assert.That(r.Exception?.Class, Is.EqualTo("ACCESS_VIOLATION_READ"));
        Assert.That(r.Verdict.Bucket, Does.Not.StartWith(BucketId.NoException));
    }
}
