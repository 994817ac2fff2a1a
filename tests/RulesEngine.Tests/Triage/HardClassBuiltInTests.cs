using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Triage;

/// <summary>
/// The crash classes where the top frame's owner is the wrong answer, triaged with the built-in catalog:
/// heap damage, double free, page heap, faults inside Windows, stack overflow cycles, JIT code and Ruby reports
/// without a faulting frame. Each checks owner, confidence, the named reasons, suspects and next steps.
/// </summary>
public class HardClassBuiltInTests
{
    static readonly RuleCatalog Catalog = RuleCatalog.LoadBuiltIn();

    static TriageResult Triage(string? exception, params string[] frames) => Triage(exception, c => c, frames);

    static TriageResult Triage(string? exception, Func<CrashReport, CrashReport> edit, params string[] frames)
    {
        var (crash, _) = FrameText.Crash(frames, exception, "php-cgi.exe");
        return Triager.Triage(edit(crash), Catalog);
    }

    /// <summary>"id (caps at x)" of every reason the explanation lists, in order.</summary>
    static List<string> Reasons(TriageResult r) =>
        r.Explanation.Select(l => Regex.Match(l, @"^confidence reason (?<id>\S+) \(caps at (?<cap>\w+)\): "))
            .Where(m => m.Success).Select(m => $"{m.Groups["id"].Value} (caps at {m.Groups["cap"].Value})").ToList();

    static void AssertPageHeapFirst(TriageResult r)
    {
        Assert.That(r.NextSteps[0].Kind, Is.EqualTo("page-heap"));
        Assert.That(r.NextSteps[0].Command, Is.EqualTo("gflags /p /enable php-cgi.exe /full"));
        Assert.That(r.NextSteps.TakeWhile(s => s.Kind == "page-heap").Select(s => s.Command),
            Is.EqualTo(new[] { "gflags /p /enable php-cgi.exe /full", null, "gflags /p /disable php-cgi.exe", "gflags /p" }));
        Assert.That(r.NextSteps.Skip(4).Select(s => s.Kind), Has.None.EqualTo("page-heap"), "page heap is listed once, first");
    }

    // ---- a. heap damage ------------------------------------------------------------------------------------

    [Test]
    public void Heap_corruption_found_by_ntdll_has_no_owner_lists_suspects_and_puts_page_heap_first()
    {
        var r = Triage("0xc0000374", "ntdll!RtlReportCriticalFailure", "ntdll!RtlpHeapHandleError", "ntdll!RtlFreeHeap",
            "ucrtbase!_free_base", "php8ts!zend_hash_destroy", "php_redis!redis_free_socket", "php8ts!execute_ex");
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict.Owner, Is.EqualTo("unknown"));
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low));
            Assert.That(Reasons(r), Is.EqualTo(new[] { "heap-damage (caps at low)" }));
            Assert.That(r.Verdict.ConfidenceReasons.Single(), Does.StartWith("heap damage found by ntdll!RtlReportCriticalFailure"));
            Assert.That(r.Verdict.Suspects.Select(s => (s.Owner, s.Frame)), Is.EqualTo(new[]
            {
                ("Windows", "ntdll!RtlReportCriticalFailure"), ("PHP core", "php8ts!zend_hash_destroy"),
                ("PhpRedis", "php_redis!redis_free_socket"),
            }), "the detector, the freeing caller and the extension below it; not the engine twice");
            Assert.That(r.Verdict.Suspects[0].Why, Does.StartWith("found the damage"));
            AssertPageHeapFirst(r);
        });
    }

    [TestCase(null)]
    [TestCase("0x80000003")]
    public void Zend_mm_panic_is_heap_damage_found_by_the_zend_allocator(string? exception)
    {
        var r = Triage(exception, "php8ts!zend_mm_panic", "php8ts!zend_mm_free_heap", "php8ts!_efree",
            "php_redis!redis_sock_free", "php8ts!execute_ex");
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict.Owner, Is.EqualTo("unknown"));
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low));
            Assert.That(Reasons(r), Does.Contain("heap-damage (caps at low)"));
            Assert.That(r.Verdict.Suspects.Select(s => (s.Owner, s.Frame)), Is.EqualTo(new[]
            {
                ("PHP core", "php8ts!zend_mm_panic"), ("PhpRedis", "php_redis!redis_sock_free"),
            }));
            AssertPageHeapFirst(r);
        });
    }

    // ---- b. double free ------------------------------------------------------------------------------------

    [Test]
    public void Double_free_names_the_freeing_extension_at_medium_at_most()
    {
        var r = Triage("0xc0000374", c => c with { Exception = c.Exception! with { HeapFailureType = OwnerStep.HeapFailureBlockNotBusy } },
            "ntdll!RtlReportCriticalFailure", "ntdll!RtlpHeapHandleError", "ntdll!RtlFreeHeap", "ucrtbase!_free_base",
            "php_redis!redis_sock_disconnect", "php8ts!execute_ex");
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict.Owner, Is.EqualTo("PhpRedis"));
            Assert.That(r.Verdict.OwnerFrame, Is.EqualTo("php_redis!redis_sock_disconnect"));
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Medium));
            Assert.That(Reasons(r), Is.EqualTo(new[] { "double-free (caps at medium)" }));
            Assert.That(r.Verdict.ConfidenceReasons.Single(), Does.Contain("PhpRedis freed it the second time"));
            Assert.That(r.Verdict.Suspects, Is.Empty);
            Assert.That(r.NextSteps.Where(s => s.Kind == "report").Select(s => s.Text),
                Has.Some.StartsWith("Report it to PhpRedis: https://github.com/phpredis/phpredis/issues"),
                "the owner is known: report it there");
            Assert.That(r.NextSteps.Select(s => s.Text), Has.None.StartsWith("Do not report it to the module"));
        });
    }

    [Test]
    public void Heap_corruption_without_the_double_free_type_stays_heap_damage()
    {
        var r = Triage("0xc0000374", c => c with { Exception = c.Exception! with { HeapFailureType = 2 } },
            "ntdll!RtlReportCriticalFailure", "ntdll!RtlFreeHeap", "php_redis!redis_sock_disconnect");
        Assert.That(r.Verdict.Owner, Is.EqualTo("unknown"));
        Assert.That(Reasons(r), Is.EqualTo(new[] { "heap-damage (caps at low)" }));
    }

    // ---- c. page heap --------------------------------------------------------------------------------------

    [Test]
    public void Page_heap_stop_names_the_culprit_below_verifier_at_high()
    {
        var r = Triage("0x80000003", "verifier!AVrfpDphReportCorruptedBlock", "verifier!AVrfpDphFindBusyMemoryNoCheck",
            "verifier!AVrfDebugPageHeapFree", "ntdll!RtlDebugFreeHeap", "ntdll!RtlFreeHeap", "php_redis!redis_sock_disconnect");
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict.Owner, Is.EqualTo("PhpRedis"));
            Assert.That(r.Verdict.OwnerFrame, Is.EqualTo("php_redis!redis_sock_disconnect"));
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.High));
            Assert.That(Reasons(r), Is.Empty);
            Assert.That(r.Explanation,
                Has.Some.StartsWith("page heap / Application Verifier at work (verifier!AVrfpDphReportCorruptedBlock)"));
            Assert.That(r.Verdict.Suspects, Is.Empty);
        });
    }

    [Test]
    public void Access_violation_with_verifier_loaded_is_the_culprit_caught_in_the_act()
    {
        var r = Triage("0xc0000005", c => c with { Modules = [Crashes.Module("verifier.dll"), Crashes.Module("php_redis.dll")] },
            "php_redis!redis_sock_read", "php8ts!execute_ex");
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict.Owner, Is.EqualTo("PhpRedis"));
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.High));
            Assert.That(Reasons(r), Is.Empty);
            Assert.That(r.Explanation, Has.Some.StartsWith("page heap is on (verifier.dll is loaded)"));
            Assert.That(r.Explanation, Has.Some.Contains("(owner, pageheap)"));
        });
    }

    // ---- d. fault inside an OS DLL -------------------------------------------------------------------------

    [Test]
    public void Fault_inside_kernelbase_is_the_first_caller_outside_windows_at_medium()
    {
        var r = Triage("0xc0000005", "kernelbase!FormatMessageA", "php_xdebug!xdebug_format_message", "php8ts!execute_ex");
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict.Owner, Is.EqualTo("Xdebug"));
            Assert.That(r.Verdict.OwnerFrame, Is.EqualTo("php_xdebug!xdebug_format_message"));
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Medium));
            Assert.That(Reasons(r), Is.EqualTo(new[] { "os-fault (caps at medium)" }));
            Assert.That(r.Verdict.ConfidenceReasons.Single(), Does.Contain("bad arguments passed to FormatMessageA"));
        });
    }

    [Test]
    public void Fault_inside_kernelbase_with_an_address_only_frame_between_is_low()
    {
        var r = Triage("0xc0000005", "kernelbase!FormatMessageA", "0x00007ff6a1b2c3d4", "php_xdebug!xdebug_format_message",
            "php8ts!execute_ex");
        Assert.Multiple(() =>
        {
            Assert.That(r.Frames[1].Frame.InstructionPointer, Is.EqualTo(0x00007ff6a1b2c3d4UL), "FrameText reads the bare address");
            Assert.That(r.Verdict.Owner, Is.EqualTo("Xdebug"));
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low));
            Assert.That(Reasons(r), Is.EqualTo(new[] { "os-fault-unknown-code (caps at low)" }));
        });
    }

    // ---- e. stack overflow ---------------------------------------------------------------------------------

    static string[] Repeat(int times, params string[] cycle) => Enumerable.Repeat(cycle, times).SelectMany(x => x).ToArray();

    [Test]
    public void Stack_overflow_cycling_through_the_engine_alone_is_the_script_at_medium()
    {
        var r = Triage("0xc00000fd", ["php8ts!zend_vm_stack_extend",
            .. Repeat(4, "php8ts!ZEND_DO_UCALL_SPEC_RETVAL_USED_HANDLER", "php8ts!execute_ex"), "php_cgi!main"]);
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict.Owner, Is.EqualTo("The PHP script"));
            Assert.That(r.Verdict.Rule, Is.EqualTo("stack-overflow-cycle"));
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Medium));
            Assert.That(Reasons(r), Is.EqualTo(new[] { "script-recursion (caps at medium)" }));
            Assert.That(r.Explanation, Has.Some.Contains("(4 times) through the engine alone"));
        });
    }

    [Test]
    public void Stack_overflow_cycle_through_xdebug_is_xdebug()
    {
        var r = Triage("0xc00000fd", ["php8ts!zend_vm_stack_extend",
            .. Repeat(3, "php_xdebug!xdebug_execute_ex", "php8ts!ZEND_DO_UCALL_SPEC_RETVAL_USED_HANDLER", "php8ts!execute_ex")]);
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict.Owner, Is.EqualTo("Xdebug"));
            Assert.That(r.Verdict.Rule, Is.EqualTo("stack-overflow-cycle"));
            Assert.That(r.Verdict.OwnerFrame, Is.EqualTo("php_xdebug!xdebug_execute_ex"));
            Assert.That(r.Explanation, Has.Some.Contains("3 times from frame #01").And.Some.Contains("Xdebug is in the cycle"));
            Assert.That(Reasons(r), Is.Empty, "a module of its own in the cycle is direct evidence");
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.High));
        });
    }

    // ---- f. OPcache JIT ------------------------------------------------------------------------------------

    [Test]
    public void Address_only_frames_run_by_the_interpreter_are_the_jit()
    {
        var r = Triage("0xc0000005", "0x00007ff6a1b2c3d4", "0x00007ff6a1b20000", "php8ts!execute_ex", "php8ts!zend_execute",
            "php_cgi!main");
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict.Owner, Is.EqualTo("OPcache JIT (bundled with PHP)"));
            Assert.That(r.Verdict.Rule, Is.EqualTo("jit-code"));
            Assert.That(r.Verdict.Advice, Does.Contain("opcache.jit=disable"));
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Medium));
            Assert.That(Reasons(r), Is.EqualTo(new[] { "jit-code (caps at medium)" }));
            // JIT addresses change per run: the bucket does not carry them.
            Assert.That(r.Verdict.Bucket, Is.EqualTo("ACCESS_VIOLATION_c0000005_unknown_module"));
        });
    }

    [Test]
    public void Jit_compiler_frames_in_php_opcache_are_the_jit()
    {
        var r = Triage("0xc0000005", "php_opcache!zend_jit_trace_hot_root", "php_opcache!zend_jit_func_trace_helper", "php8ts!execute_ex");
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict.Owner, Is.EqualTo("OPcache JIT (bundled with PHP)"));
            Assert.That(r.Verdict.Rule, Is.EqualTo("opcache-jit"));
            Assert.That(r.Verdict.Advice, Does.Contain("opcache.jit=disable"));
            Assert.That(r.Verdict.OwnerFrame, Is.EqualTo("php_opcache!zend_jit_trace_hot_root"));
        });
    }

    // ---- g. Ruby reports without a faulting frame ----------------------------------------------------------

    const string RubyHandlerStack = """
        -- C level backtrace information -------------------------------------------
        C:\Windows\SYSTEM32\ntdll.dll(NtWaitForSingleObject+0x14) [0x00007ffa81cfc144]
        C:\Windows\System32\KERNELBASE.dll(WaitForSingleObjectEx+0x93) [0x00007ffa7f7d8bc3]
        C:\Ruby26-x64\bin\x64-msvcrt-ruby260.dll(rb_vm_bugreport+0xa4) [0x00000000649a2cb4]
        C:\Ruby26-x64\bin\x64-msvcrt-ruby260.dll(rb_bug+0x62) [0x000000006484bdd2]
        C:\Ruby26-x64\bin\x64-msvcrt-ruby260.dll(sigsegv+0x3b2) [0x000000006491cc22]
        C:\Windows\System32\msvcrt.dll(_C_specific_handler+0x98) [0x00007ffa80f88048]
        C:\Windows\SYSTEM32\ntdll.dll(_chkstk+0x11f) [0x00007ffa81d0121f]
        C:\Windows\SYSTEM32\ntdll.dll(RtlRaiseException+0x399) [0x00007ffa81cca289]
        C:\Windows\SYSTEM32\ntdll.dll(KiUserExceptionDispatcher+0x2e) [0x00007ffa81cffe8e]
        C:\Windows\SYSTEM32\ntdll.dll(RtlEnterCriticalSection+0x1c) [0x00007ffa81c92a1c]
        C:\Windows\System32\KERNEL32.DLL(BaseThreadInitThunk+0x14) [0x00007ffa80d17034]
        C:\Windows\SYSTEM32\ntdll.dll(RtlUserThreadStart+0x21) [0x00007ffa81cc2651]

        """;

    static TriageResult TriageText(string text) => Triager.Triage(DebuggerText.Read(text), Catalog);

    [Test]
    public void Ruby_bug_line_naming_a_gem_so_gives_the_gem_at_medium_never_high()
    {
        var r = TriageText("C:/Ruby26-x64/lib/ruby/gems/2.6.0/gems/mysql2-0.5.3-x64-mingw32/lib/mysql2/mysql2.so: " +
                           "[BUG] Segmentation fault at 0x0000000000000008\nruby 2.6.6p146 (2020-03-31 revision 67876) [x64-mingw32]\n\n" +
                           RubyHandlerStack);
        Assert.Multiple(() =>
        {
            Assert.That(r.Crash.Frames.Select(f => f.Module), Is.All.AnyOf("ntdll", "KERNEL32"), "only Windows frames are left");
            Assert.That(r.Verdict.Owner, Is.EqualTo("mysql2 (gem)"));
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Medium));
            Assert.That(Reasons(r), Is.EqualTo(new[] { "runtime-bug-file (caps at medium)" }));
            Assert.That(r.Explanation,
                Has.Some.Contains("the runtime's [BUG] line names C:/Ruby26-x64/lib/ruby/gems/2.6.0/gems/mysql2-0.5.3"));
        });
    }

    [Test]
    public void Ruby_control_frames_calling_c_from_a_gem_give_the_gem_at_low()
    {
        var r = TriageText("-e:1: [BUG] Segmentation fault at 0x0000000000000008\n\n" +
                           "-- Control frame information -----------------------------------------------\n" +
                           "c:0004 p:---- s:0020 e:000019 CFUNC  :query\n" +
                           "c:0003 p:0123 s:0015 E:0011a8 METHOD " +
                           "C:/Ruby26-x64/lib/ruby/gems/2.6.0/gems/mysql2-0.5.3/lib/mysql2/client.rb:131\n" +
                           "c:0002 p:0011 s:0006 E:000f50 EVAL   -e:1 [FINISH]\n\n" + RubyHandlerStack);
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict.Owner, Is.EqualTo("mysql2 (gem)"));
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low));
            Assert.That(Reasons(r), Is.EqualTo(new[] { "script-frames (caps at low)" }));
        });
    }

    [Test]
    public void Ruby_error_line_a_gem_printed_gives_the_gem_at_low_when_nothing_else_names_it()
    {
        var r = TriageText("C:/Ruby26-x64/lib/ruby/gems/2.6.0/gems/mysql2-0.5.3-x64-mingw32/lib/mysql2.rb:12: warning: " +
                           "libmysql.dll is version 5.1, mysql2 was built against 8.0\n" +
                           "-e:1: [BUG] Segmentation fault at 0x0000000000000008\n\n" + RubyHandlerStack);
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict.Owner, Is.EqualTo("mysql2 (gem)"));
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low));
            Assert.That(Reasons(r), Is.EqualTo(new[] { "gem-message (caps at low)" }));
            Assert.That(r.Explanation, Has.Some.Contains("the gem mysql2 printed \"C:/Ruby26-x64/"));
        });
    }

    [Test]
    public void Ruby_gem_message_loses_to_the_control_frames()
    {
        var r = TriageText("C:/Ruby26-x64/lib/ruby/gems/2.6.0/gems/pg-1.2.3-x64-mingw32/lib/pg.rb:40: warning: deprecated\n" +
                           "-e:1: [BUG] Segmentation fault at 0x0000000000000008\n\n" +
                           "-- Control frame information -----------------------------------------------\n" +
                           "c:0004 p:---- s:0020 e:000019 CFUNC  :query\n" +
                           "c:0003 p:0123 s:0015 E:0011a8 METHOD " +
                           "C:/Ruby26-x64/lib/ruby/gems/2.6.0/gems/mysql2-0.5.3/lib/mysql2/client.rb:131\n\n" + RubyHandlerStack);
        Assert.That(r.Verdict.Owner, Is.EqualTo("mysql2 (gem)"));
        Assert.That(Reasons(r), Is.EqualTo(new[] { "script-frames (caps at low)" }));
    }

    [TestCase("[BUG] Segmentation fault at 0x0000000000000008\n")]
    [TestCase("-e:1: [BUG] Segmentation fault at 0x0000000000000008\n")]
    [TestCase("C:/app/lib/thing.rb:12: warning: something failed\n-e:1: [BUG] Segmentation fault at 0x0000000000000008\n")]
    [TestCase("")]
    public void Ruby_report_without_a_faulting_frame_or_bug_file_is_never_high(string bugLine)
    {
        var r = TriageText(bugLine + RubyHandlerStack);
        Assert.Multiple(() =>
        {
            Assert.That(r.Crash.Runtime!.BugFile, Is.EqualTo(bugLine.Contains("-e:1:") ? "-e" : null));
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low));
            Assert.That(Reasons(r), Does.Contain("no-faulting-frame (caps at low)"));
            Assert.That(r.Verdict.Owner, Is.Not.EqualTo("mysql2 (gem)"));
        });
    }

    // ---- execute fault at the instruction pointer --------------------------------------------------------

    [Test]
    public void An_execute_fault_at_the_instruction_pointer_keeps_the_top_frame_low()
    {
        // The shape of php-src GH-12974: a resource destructor called into php_pgsql.dll after ZTS shutdown had
        // unloaded it ("Attempt to execute non-executable address"); the engine below made the call.
        const ulong Target = 0x00007ffe1399c5a0;
        var frames = new[] { "php_pgsql!_close_pgsql_plink", "php8ts!list_entry_destructor", "php8ts!zend_hash_graceful_reverse_destroy" };
        static CrashReport Execute(CrashReport c) =>
            c with { Exception = c.Exception! with { Address = Target, Parameters = [8, Target] } };
        var plain = Triage("0xc0000005", frames);
        var r = Triage("0xc0000005", Execute, frames);
        Assert.Multiple(() =>
        {
            Assert.That(Reasons(plain), Has.None.StartsWith("execute-at-ip"), "a read fault in the same frames is not a jump target");
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low));
            Assert.That(Reasons(r), Does.Contain("execute-at-ip (caps at low)"));
            Assert.That(r.Verdict.ConfidenceReasons,
                Has.Some.StartsWith("the fault is an execute at the instruction pointer itself: #00"));
        });
    }
}
