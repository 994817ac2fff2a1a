using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;
using static FcgiExt.Tests.Triage.Crashes;

namespace FcgiExt.Tests.Triage;

public class ExceptionClassifierTests
{
    static string ClassOf(ExceptionInfo ex, Architecture arch = Architecture.X64) => ExceptionClassifier.Classify(ex, arch).Class;

    [TestCase(0ul, "NULL_POINTER_READ")]
    [TestCase(1ul, "NULL_POINTER_WRITE")]
    [TestCase(8ul, "NULL_POINTER_EXECUTE")]
    public void Null_target_by_access_kind(ulong access, string expected) =>
        Assert.That(ClassOf(Av(access, 0)), Is.EqualTo(expected));

    [TestCase(0x8ul)]
    [TestCase(0x28ul)]
    [TestCase(0xFFFFul)]
    public void Near_null_is_null_pointer_with_the_offset_named(ulong target)
    {
        var c = ExceptionClassifier.Classify(Av(0, target), Architecture.X64);
        Assert.That(c.Class, Is.EqualTo("NULL_POINTER_READ"));
        Assert.That(c.Detail, Does.Contain($"0x{target:x}"));
    }

    [TestCase(0x10000ul, Architecture.X64, "INVALID_POINTER_READ")]
    [TestCase(0x7ff6_1234_5678ul, Architecture.X64, "INVALID_POINTER_READ")]
    [TestCase(0x0042_1000ul, Architecture.X86, "INVALID_POINTER_READ")]
    public void Far_targets_are_invalid_pointers(ulong target, Architecture arch, string expected) =>
        Assert.That(ClassOf(Av(0, target), arch), Is.EqualTo(expected));

    [Test]
    public void Far_write_and_execute()
    {
        Assert.That(ClassOf(Av(1, 0x1234_5678)), Is.EqualTo("INVALID_POINTER_WRITE"));
        var exec = ExceptionClassifier.Classify(Av(8, 0x4141_4141, address: 0x4141_4141), Architecture.X86);
        Assert.That(exec.Class, Is.EqualTo("INVALID_POINTER_EXECUTE"));
        Assert.That(exec.Detail, Does.Contain("instruction pointer"));
    }

    static readonly uint[] Patterns = [0xBAADF00D, 0xFEEEFEEE, 0xABABABAB, 0xCDCDCDCD, 0xDDDDDDDD, 0xFDFDFDFD];

    [Test]
    public void Every_heap_fill_pattern_exact_in_a_32_bit_process([ValueSource(nameof(Patterns))] uint pattern)
    {
        var c = ExceptionClassifier.Classify(Av(0, pattern), Architecture.X86);
        Assert.That(c.Class, Is.EqualTo("HEAP_FILL_PATTERN_READ"));
        Assert.That(c.Detail, Does.Contain($"0x{pattern:X8}"));
    }

    [Test]
    public void Every_heap_fill_pattern_with_a_field_offset([ValueSource(nameof(Patterns))] uint pattern)
    {
        Assert.That(ClassOf(Av(1, pattern + 0x28ul), Architecture.X86), Is.EqualTo("HEAP_FILL_PATTERN_WRITE"));
        Assert.That(ClassOf(Av(0, pattern - 0x8ul), Architecture.X86), Is.EqualTo("HEAP_FILL_PATTERN_READ"));
    }

    [Test]
    public void Every_heap_fill_pattern_in_the_low_dword_of_a_64_bit_pointer([ValueSource(nameof(Patterns))] uint pattern)
    {
        Assert.That(ClassOf(Av(0, pattern)), Is.EqualTo("HEAP_FILL_PATTERN_READ"));
        Assert.That(ClassOf(Av(0, 0x0000_01F0_0000_0000ul | pattern)), Is.EqualTo("HEAP_FILL_PATTERN_READ"));
    }

    [Test]
    public void Every_heap_fill_pattern_in_the_high_dword_or_both([ValueSource(nameof(Patterns))] uint pattern)
    {
        var high = ExceptionClassifier.Classify(Av(8, ((ulong)pattern << 32) | 0x1234), Architecture.X64);
        Assert.That(high.Class, Is.EqualTo("HEAP_FILL_PATTERN_EXECUTE"));
        Assert.That(high.Detail, Does.Contain("high dword"));
        Assert.That(ClassOf(Av(0, ((ulong)pattern << 32) | pattern)), Is.EqualTo("HEAP_FILL_PATTERN_READ"));
        Assert.That(ClassOf(Av(0, (((ulong)pattern << 32) | pattern) + 0x10)), Is.EqualTo("HEAP_FILL_PATTERN_READ"));
    }

    [Test]
    public void A_pointer_far_from_every_pattern_is_not_a_fill_pattern()
    {
        Assert.That(ClassOf(Av(0, 0xFEEEFEEEul + 0x2000), Architecture.X86), Is.EqualTo("INVALID_POINTER_READ"));
        Assert.That(ExceptionClassifier.MatchHeapFill(0x0000_7ff6_1234_5678), Is.Null);
    }

    [TestCase(0x0000_8000_0000_0000ul)]
    [TestCase(0x1234_5678_9abc_def0ul)]
    [TestCase(0xffff_ffff_ffff_fffful)]   // what Windows reports for a #GP
    public void Non_canonical_x64_addresses(ulong target) =>
        Assert.That(ClassOf(Av(0, target), Architecture.X64), Is.EqualTo("NON_CANONICAL_ADDRESS_READ"));

    [Test]
    public void Canonical_kernel_half_address_is_an_invalid_pointer() =>
        Assert.That(ClassOf(Av(1, 0xffff_8000_0000_1000ul), Architecture.X64), Is.EqualTo("INVALID_POINTER_WRITE"));

    [Test]
    public void Access_violation_without_parameters()
    {
        Assert.That(ClassOf(new ExceptionInfo { Code = 0xC0000005 }), Is.EqualTo("ACCESS_VIOLATION"));
    }

    [TestCase(0xC00000FDu, "STACK_OVERFLOW")]
    [TestCase(0xC0000374u, "HEAP_CORRUPTION")]
    [TestCase(0xC000000Du, "INVALID_PARAMETER")]
    [TestCase(0xC0000417u, "INVALID_PARAMETER")]
    [TestCase(0xE06D7363u, "CPP_EXCEPTION")]
    [TestCase(0xE0434352u, "CLR_EXCEPTION")]
    [TestCase(0xE0434F4Du, "CLR_EXCEPTION")]
    [TestCase(0x80000003u, "BREAKPOINT")]
    [TestCase(0x4000001Fu, "BREAKPOINT")]
    [TestCase(0xC0000006u, "IN_PAGE_ERROR")]
    [TestCase(0xC0000409u, "STACK_BUFFER_OVERRUN")]
    [TestCase(0xC0000094u, "INTEGER_DIVIDE_BY_ZERO")]
    [TestCase(0xC000001Du, "ILLEGAL_INSTRUCTION")]
    [TestCase(0xC0000135u, "DLL_NOT_FOUND")]
    [TestCase(0xDEADBEEFu, "UNKNOWN_EXCEPTION")]
    [TestCase(0x12345678u, "UNKNOWN_EXCEPTION")]
    public void Classes_by_code(uint code, string expected) =>
        Assert.That(ClassOf(new ExceptionInfo { Code = code }), Is.EqualTo(expected));

    [TestCase(2ul, "FAIL_FAST_STACK_COOKIE_CHECK_FAILURE")]
    [TestCase(0ul, "FAIL_FAST_LEGACY_GS_VIOLATION")]
    [TestCase(3ul, "FAIL_FAST_CORRUPT_LIST_ENTRY")]
    [TestCase(5ul, "FAIL_FAST_INVALID_ARG")]
    [TestCase(7ul, "FAIL_FAST_FATAL_APP_EXIT")]
    [TestCase(10ul, "FAIL_FAST_GUARD_ICALL_CHECK_FAILURE")]   // winnt.h: 10 is CFG, 13 is INVALID_SET_OF_CONTEXT
    [TestCase(13ul, "FAIL_FAST_INVALID_SET_OF_CONTEXT")]
    [TestCase(50ul, "FAIL_FAST_HEAP_METADATA_CORRUPTION")]
    [TestCase(999ul, "FAIL_FAST_CODE_999")]
    public void Fail_fast_subcodes(ulong subcode, string expected)
    {
        var c = ExceptionClassifier.Classify(new ExceptionInfo { Code = 0xC0000409, Parameters = [subcode] });
        Assert.That(c.Class, Is.EqualTo(expected));
        Assert.That(c.Detail, Does.Contain($"subcode {subcode}"));
    }

    static CrashReport NoException(params string[] functions) => new()
    {
        FaultingThread = new ThreadInfo { Frames = functions.Select((f, i) => Frame(i, f.Split('!')[0], f.Split('!')[1])).ToList() },
    };

    [TestCase("kernel32!ExitProcess")]
    [TestCase("kernel32!ExitProcessImplementation")]
    [TestCase("ntdll!RtlExitUserProcess")]
    [TestCase("kernelbase!TerminateProcess")]
    [TestCase("ntdll!NtTerminateProcess")]
    [TestCase("ntdll!ZwTerminateProcess")]
    [TestCase("ucrtbase!exit")]
    [TestCase("msvcrt!_exit")]
    public void Each_exit_function_without_exception_is_a_voluntary_exit(string frame)
    {
        var c = Classify(NoException("ntdll!NtWaitForSingleObject", frame, "php_cgi!main"));
        Assert.That(c, Is.Not.Null);
        Assert.That(c!.Class, Is.EqualTo("EXIT"));
        Assert.That(c.Detail, Does.Contain(frame.Split('!')[1]));
    }

    [Test]
    public void Abort_before_exit_is_abort_not_a_voluntary_exit() =>
        Assert.That(Classify(NoException("ntdll!NtTerminateProcess", "ucrtbase!_exit", "ucrtbase!abort", "ruby!rb_bug"))!.Class,
            Is.EqualTo("ABORT"));

    [Test]
    public void No_exception_and_no_exit_call_has_no_class() =>
        Assert.That(Classify(NoException("ntdll!NtWaitForSingleObject", "php_cgi!main")), Is.Null);

    [Test]
    public void A_crash_during_exit_is_a_crash_not_an_exit()
    {
        var crash = NoException("php_xdebug!xdebug_shutdown", "ntdll!LdrShutdownProcess", "ntdll!RtlExitUserProcess") with
        { Exception = Av(0, 0x18) };
        Assert.That(Classify(crash)!.Class, Is.EqualTo("NULL_POINTER_READ"));
    }

    [Test]
    public void Functions_that_merely_contain_exit_do_not_count() =>
        Assert.That(Classify(NoException("php8ts!zend_exit_handler", "php8ts!php_request_shutdown_exit")), Is.Null);

    static readonly Lazy<RuleCatalog> BuiltIn = new(RuleCatalog.LoadBuiltIn);

    /// <summary>Classification as triage does it: exceptions by the classifier, exit/abort by the built-in catalog's tags.</summary>
    static ExceptionClassification? Classify(CrashReport crash) => ClassifyStep.Run(crash, BuiltIn.Value).Classification;
}
