using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Triage;

/// <summary>The hard crash classes with the built-in catalog, judged as a maintainer would (issue: honest confidence).</summary>
public class HardClassTests
{
    static readonly Lazy<RuleCatalog> BuiltIn = new(RuleCatalog.LoadBuiltIn);

    static TriageResult Run(string[] frames, uint? code, ulong[]? parameters = null, uint? heapFailureType = null,
        params string[] modules)
    {
        var (crash, _) = FrameText.Crash(frames, null, "php-cgi.exe");
        crash = crash with
        {
            Process = new ProcessInfo { Name = "php-cgi.exe", Architecture = Architecture.X64 },
            Exception = code is { } c ? new ExceptionInfo { Code = c, Parameters = parameters ?? [], HeapFailureType = heapFailureType } : null,
            Modules = modules.Select(m => new ModuleInfo { FileName = m, Name = ModuleNames.EngineName(m), Symbols = SymbolStatus.PrivatePdb })
                .ToList(),
        };
        return Triager.Triage(crash, BuiltIn.Value);
    }

    static IEnumerable<string> ReasonIds(TriageResult r) =>
        r.Explanation.Where(l => l.StartsWith("confidence reason ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]);

    static readonly string[] HeapFreeInRedis =
    [
        "ntdll!RtlReportCriticalFailure", "ntdll!RtlpHeapHandleError", "ntdll!RtlpLogHeapFailure", "ntdll!RtlFreeHeap",
        "ucrtbase!_free_base", "php8ts!_efree", "php8ts!zend_hash_destroy", "php_redis!redis_sock_disconnect", "php8ts!execute_ex",
    ];

    [Test]
    public void Heap_corruption_names_no_owner_lists_suspects_and_puts_page_heap_first()
    {
        var r = Run(HeapFreeInRedis, 0xC0000374);
        Assert.That((r.Verdict.Owner, r.Verdict.Confidence), Is.EqualTo((Triager.UnknownOwner, Confidence.Low)));
        Assert.That(ReasonIds(r), Has.Member("heap-damage"));
        Assert.That(r.Verdict.Suspects.Select(s => s.Frame), Has.Some.StartsWith("ntdll!RtlReportCriticalFailure"),
            "the detecting frame is a suspect, marked as such");
        Assert.That(r.Verdict.Suspects.Select(s => s.Owner), Has.Member("PhpRedis"), "the extension that freed is a suspect");
        Assert.That(r.Verdict.Suspects.Select(s => s.Why), Has.All.Not.Empty);
        Assert.That(r.NextSteps[0].Command, Does.Contain("gflags /p /enable php-cgi.exe /full"), "page heap first");
        Assert.That(r.NextSteps.Select(s => s.Text), Has.None.StartsWith("Report it to"), "no report to a module that only found the damage");
    }

    [Test]
    public void The_Zend_allocator_finding_damage_is_heap_damage_too()
    {
        var r = Run(["php8ts!zend_mm_panic", "php8ts!zend_mm_free_heap", "php8ts!_efree", "php_xdebug!xdebug_str_free", "php8ts!execute_ex"],
            0x80000003);
        Assert.That((r.Verdict.Owner, r.Verdict.Confidence), Is.EqualTo((Triager.UnknownOwner, Confidence.Low)), string.Join("\n", r.Explanation));
        Assert.That(r.Verdict.Suspects.Select(s => s.Owner), Has.Member("Xdebug"));
        Assert.That(r.NextSteps[0].Kind, Is.EqualTo("page-heap"));
    }

    [Test]
    public void A_detected_double_free_names_the_freeing_caller_at_most_medium()
    {
        // _efree called straight from the extension: the extension freed the block a second time.
        string[] frames = [.. HeapFreeInRedis.Where(f => f != "php8ts!zend_hash_destroy")];
        var r = Run(frames, 0xC0000374, heapFailureType: OwnerStep.HeapFailureBlockNotBusy);
        Assert.That(r.Verdict.Owner, Is.EqualTo("PhpRedis"), string.Join("\n", r.Explanation));
        Assert.That(r.Verdict.Confidence, Is.Not.EqualTo(Confidence.High));
        Assert.That(ReasonIds(r), Has.Member("double-free"));
    }

    [Test]
    public void A_pointer_read_from_freed_memory_caps_the_user_at_medium()
    {
        // 0xfeeeff16: the debug heap's HeapFree fill (0xFEEEFEEE) plus a field offset. The frame that used the stale
        // pointer is the walk's owner; the code that freed the block is not on the stack.
        var freed = Run(["php_redis!redis_sock_read", "php8ts!execute_ex"], 0xC0000005, [0, 0xfeeeff16]);
        Assert.That((freed.Verdict.Owner, freed.Verdict.Confidence), Is.EqualTo(("PhpRedis", Confidence.Medium)),
            string.Join("\n", freed.Explanation));
        Assert.That(ReasonIds(freed), Has.Member("freed-memory-use"));

        // Uninitialised memory (0xBAADF00D) is the reader's own bug: no such cap.
        var uninitialised = Run(["php_redis!redis_sock_read", "php8ts!execute_ex"], 0xC0000005, [0, 0xbaadf00d]);
        Assert.That(ReasonIds(uninitialised), Has.No.Member("freed-memory-use"));
    }

    [Test]
    public void Page_heap_at_work_makes_the_faulting_frame_the_culprit()
    {
        var stop = Run(["verifier!AVrfpDphReportCorruptedBlock", "verifier!AVrfpDphFindBusyMemoryNoCheck", "verifier!AVrfDebugPageHeapFree",
            "ntdll!RtlDebugFreeHeap", "ntdll!RtlFreeHeap", "php_redis!redis_sock_disconnect", "php8ts!execute_ex"], 0x80000003);
        Assert.That(stop.Verdict.Owner, Is.EqualTo("PhpRedis"), string.Join("\n", stop.Explanation));
        Assert.That(stop.Verdict.Suspects, Is.Empty);

        var guardPage = Run(["php_redis!redis_sock_read", "php8ts!execute_ex"], 0xC0000005, [0, 0x1d2c0ff0], null,
            "php-cgi.exe", "verifier.dll", "php_redis.dll", "php8ts.dll");
        Assert.That((guardPage.Verdict.Owner, guardPage.Verdict.Confidence), Is.EqualTo(("PhpRedis", Confidence.High)),
            string.Join("\n", guardPage.Explanation));
    }

    [Test]
    public void A_fault_inside_Windows_is_the_first_callers_at_most_medium_and_low_with_unknown_code_between()
    {
        var direct = Run(["kernelbase!FormatMessageA", "php_xdebug!xdebug_error_cb", "php8ts!execute_ex"], 0xC0000005, [0, 0x10]);
        Assert.That((direct.Verdict.Owner, direct.Verdict.Confidence), Is.EqualTo(("Xdebug", Confidence.Medium)),
            string.Join("\n", direct.Explanation));
        Assert.That(ReasonIds(direct), Has.Member("os-fault"));

        var viaTrampoline = Run(["kernelbase!FormatMessageA", "0x000001d2c0ff0010", "php_xdebug!xdebug_error_cb", "php8ts!execute_ex"],
            0xC0000005, [0, 0x10]);
        Assert.That(viaTrampoline.Verdict.Confidence, Is.EqualTo(Confidence.Low), string.Join("\n", viaTrampoline.Explanation));
        Assert.That(ReasonIds(viaTrampoline), Has.Member("os-fault-unknown-code"));
    }

    static string[] Repeat(int times, params string[] cycle) => Enumerable.Repeat(cycle, times).SelectMany(x => x).ToArray();

    [Test]
    public void Stack_overflow_recursing_through_the_engine_alone_is_the_scripts_at_medium()
    {
        var r = Run(["php8ts!zend_vm_stack_extend", .. Repeat(5, "php8ts!ZEND_DO_UCALL_SPEC_RETVAL_USED_HANDLER", "php8ts!execute_ex")],
            0xC00000FD);
        Assert.That(r.Verdict.Category, Is.EqualTo(OwnerCategory.Application), string.Join("\n", r.Explanation));
        Assert.That(BuiltIn.Value.FindOwner(OwnerStep.PhpScriptOwner)!.Name, Is.EqualTo(r.Verdict.Owner));
        Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Medium));
        Assert.That(ReasonIds(r), Has.Member("script-recursion"));
    }

    [Test]
    public void Stack_overflow_with_an_extension_in_the_cycle_is_the_extensions()
    {
        var r = Run(["php8ts!zend_vm_stack_extend",
            .. Repeat(4, "php_xdebug!xdebug_execute_ex", "php8ts!ZEND_DO_UCALL_SPEC_RETVAL_USED_HANDLER", "php8ts!execute_ex")], 0xC00000FD);
        Assert.That(r.Verdict.Owner, Is.EqualTo("Xdebug"), string.Join("\n", r.Explanation));
        Assert.That(r.Explanation, Has.Some.Contains("Xdebug is in the cycle"));
    }

    [Test]
    public void JIT_code_and_the_JIT_compiler_belong_to_OPcache_JIT_with_the_disable_advice()
    {
        var generated = Run(["0x000001d2c0ff0010", "0x000001d2c0ff2200", "php8ts!execute_ex", "php8ts!zend_execute"], 0xC0000005, [0, 0x28]);
        Assert.That(generated.Verdict.Owner, Is.EqualTo("OPcache JIT (bundled with PHP)"), string.Join("\n", generated.Explanation));
        Assert.That(generated.Verdict.Advice, Does.Contain("opcache.jit=disable").And.Contain("opcache.jit_buffer_size=0"));
        Assert.That(generated.Verdict.Confidence, Is.Not.EqualTo(Confidence.High), "address-only frames cannot be high");

        var compiler = Run(["php_opcache!zend_jit_trace_hot_root", "php8ts!execute_ex"], 0xC0000005, [0, 0x28]);
        Assert.That(compiler.Verdict.Owner, Is.EqualTo("OPcache JIT (bundled with PHP)"));
    }
}

/// <summary>Ruby crash reports whose C backtrace holds only the runtime's crash handler: other evidence, never high.</summary>
public class RubyNoFaultingFrameTests
{
    static readonly Lazy<RuleCatalog> BuiltIn = new(RuleCatalog.LoadBuiltIn);

    const string HandlerOnly = """
        -- C level backtrace information -------------------------------------------
        C:\Ruby26-x64\bin\x64-msvcrt-ruby260.dll(rb_vm_bugreport+0x1f4) [0x00007ffb3c1b4a24]
        C:\Ruby26-x64\bin\x64-msvcrt-ruby260.dll(rb_bug_context+0x80) [0x00007ffb3c0b1111]
        C:\Ruby26-x64\bin\x64-msvcrt-ruby260.dll(sigsegv+0x3e) [0x00007ffb3c0c2222]
        C:\Windows\SYSTEM32\ntdll.dll(RtlUserThreadStart+0x21) [0x00007ffb5a2d3333]
        """;

    static TriageResult Run(string text) => Triager.Triage(FcgiExt.RulesEngine.Readers.DebuggerText.Read(text, "ruby.txt"), BuiltIn.Value);

    [Test]
    public void The_BUG_lines_library_path_names_the_gem_at_most_medium()
    {
        var r = Run("C:/Ruby26-x64/lib/ruby/gems/2.6.0/gems/mysql2-0.5.3/lib/mysql2/mysql2.so: [BUG] Segmentation fault at 0x0000000000000008\n"
                    + "ruby 2.6.6p146 (2020-03-31 revision 67876) [x64-mingw32]\n\n" + HandlerOnly);
        Assert.That(r.Crash.Runtime?.BugFile, Does.EndWith("mysql2/mysql2.so"));
        Assert.That(r.Verdict.Owner, Does.Contain("mysql2"), string.Join("\n", r.Explanation));
        Assert.That(r.Verdict.Confidence, Is.Not.EqualTo(Confidence.High));
        Assert.That(r.Explanation, Has.Some.Contains("[BUG] line names"));
    }

    [Test]
    public void Without_a_faulting_frame_or_other_evidence_it_is_never_high()
    {
        var r = Run("-e:1: [BUG] Segmentation fault at 0x0000000000000008\nruby 2.6.6p146 (2020-03-31 revision 67876) [x64-mingw32]\n\n"
                    + HandlerOnly);
        Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low), string.Join("\n", r.Explanation));
    }
}
