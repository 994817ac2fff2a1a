using System.Text.Json;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;
using static FcgiExt.Tests.Triage.Crashes;

namespace FcgiExt.Tests.Triage;

/// <summary>Issue 16: the crash-reporting machinery (UnhandledExceptionFilter, the process's own crash filter above it,
/// WER, the dispatcher) never owns a crash, and a stack that is only the reporter's own says so and stays low.</summary>
public class ReportingFramesTests
{
    static readonly Lazy<RuleCatalog> BuiltIn = new(RuleCatalog.LoadBuiltIn);

    static CrashReport Stack(params (string Module, string Function)[] frames) => new()
    {
        Process = new ProcessInfo { Name = "php-cgi.exe", Architecture = Architecture.X64 },
        Exception = Av(1, 0x10),
        FaultingThread = new ThreadInfo { Frames = frames.Select((f, i) => Frame(i, f.Module, f.Function)).ToList() },
        Modules = [Module("php-cgi.exe"), Module("php8ts.dll"), Module("php_xdebug.dll"), Module("ntdll.dll"), Module("kernel32.dll"),
            Module("kernelbase.dll"), Module("dbghelp.dll")],
        Source = new DataSource { Kind = "dbgeng" },
    };

    /// <summary>An application crash filter (php_cgi!crashfilter_*) writing a dump above UnhandledExceptionFilter.</summary>
    static readonly (string, string)[] FilterAbove =
    [
        ("ntdll", "NtWaitForSingleObject"), ("kernelbase", "WaitForSingleObjectEx"), ("dbghelp", "MiniDumpWriteDump"),
        ("php_cgi", "crashfilter_write_dump"), ("php_cgi", "crashfilter_unhandled"), ("kernelbase", "UnhandledExceptionFilter"),
        ("ntdll", "RtlUserThreadStart$filt$0"), ("ntdll", "__C_specific_handler"), ("ntdll", "RtlpExecuteHandlerForException"),
        ("ntdll", "RtlDispatchException"), ("ntdll", "KiUserExceptionDispatcher"),
    ];

    static readonly (string, string)[] Faulting = [("php_xdebug", "xdebug_execute_ex"), ("php8ts", "execute_ex"), ("php_cgi", "main"),
        ("kernel32", "BaseThreadInitThunk"), ("ntdll", "RtlUserThreadStart")];

    /// <summary>The reporter's own stack: its filter waits on top, below it only the thread's start.</summary>
    static readonly (string, string)[] ReporterOnly =
    [
        ("ntdll", "NtWaitForMultipleObjects"), ("kernelbase", "WaitForMultipleObjectsEx"), ("kernelbase", "WaitForSingleObject"),
        ("php_cgi", "crashfilter_unhandled"), ("kernelbase", "UnhandledExceptionFilter"), ("php_cgi", "main"),
        ("php_cgi", "invoke_main"), ("php_cgi", "__scrt_common_main_seh"), ("kernel32", "BaseThreadInitThunk"),
        ("ntdll", "RtlUserThreadStart"),
    ];

    [Test]
    public void An_application_crash_filter_above_UnhandledExceptionFilter_is_reporting_and_the_fault_below_decides()
    {
        var r = Triager.Triage(Stack([.. FilterAbove, .. Faulting]), BuiltIn.Value);
        Assert.That(r.Verdict.Owner, Is.EqualTo("Xdebug"), string.Join("\n", r.Explanation));
        Assert.That(r.Verdict.OwnerFrame, Does.StartWith("php_xdebug!xdebug_execute_ex"));
        // Every frame from the top down to the dispatcher reports the crash, the crash filter's own included.
        Assert.That(r.Frames.Take(FilterAbove.Length).Select(f => f.Action), Is.All.EqualTo(FrameAction.Reporting));
        Assert.That(r.Frames[FilterAbove.Length].Action, Is.EqualTo(FrameAction.Owner));
        Assert.That(r.Frames[3].Explanation, Does.Contain("above the reporting frame #10 ntdll!KiUserExceptionDispatcher"));
        Assert.That(r.Verdict.ConfidenceReasons, Has.None.Contains("reported the crash"));
        Assert.That(r.Verdict.Bucket, Is.EqualTo("NULL_POINTER_WRITE_c0000005_php_xdebug!xdebug_execute_ex"));
    }

    [Test]
    public void Without_the_reporting_rules_the_crash_filter_would_have_decided()
    {
        // The control for the test above: php_cgi's own rule owns its frames, so only the reporting boundary keeps the
        // crash filter (the first php_cgi frame on top) from deciding.
        var walk = BuiltIn.Value.Walk(Stack(("php_cgi", "crashfilter_unhandled"), ("php_xdebug", "xdebug_execute_ex")), null);
        Assert.That(walk.Owner?.Id, Is.EqualTo("php-core"));
    }

    [Test]
    public void The_lowest_reporting_frame_wins_so_a_fault_inside_the_crash_filter_lands_on_the_first_fault()
    {
        // A second fault inside the crash filter: its dispatcher is on top, the first fault's dispatcher lower down.
        (string, string)[] nested =
        [
            ("ntdll", "KiUserExceptionDispatcher"), ("php_cgi", "crashfilter_unhandled"), ("kernelbase", "UnhandledExceptionFilter"),
            ("ntdll", "RtlUserThreadStart$filt$0"), ("ntdll", "RtlDispatchException"), ("ntdll", "KiUserExceptionDispatcher"),
        ];
        var r = Triager.Triage(Stack([.. nested, .. Faulting]), BuiltIn.Value);
        Assert.That(r.Verdict.Owner, Is.EqualTo("Xdebug"), string.Join("\n", r.Explanation));
        Assert.That(r.Frames[1].Action, Is.EqualTo(FrameAction.Reporting));
    }

    [Test]
    public void A_raised_exception_nobody_caught_reports_from_RtlDispatchException_without_KiUserExceptionDispatcher()
    {
        var r = Triager.Triage(Stack(("foo", "my_unhandled_filter"), ("kernelbase", "UnhandledExceptionFilter"),
            ("ntdll", "RtlDispatchException"), ("ntdll", "RtlRaiseException"), ("kernelbase", "RaiseException"),
            ("php_xdebug", "xdebug_execute_ex")), BuiltIn.Value);
        Assert.That(r.Verdict.Owner, Is.EqualTo("Xdebug"), string.Join("\n", r.Explanation));
        Assert.That(r.Frames[0].Action, Is.EqualTo(FrameAction.Reporting));
    }

    [Test]
    public void The_reporters_own_stack_has_no_owner_is_low_and_says_so_in_the_verdict_trace_and_json()
    {
        var r = Triager.Triage(Stack(ReporterOnly), BuiltIn.Value);
        Assert.That(r.Verdict.Owner, Is.EqualTo(Triager.UnknownOwner), string.Join("\n", r.Explanation));
        Assert.That(r.Verdict.OwnerModule, Is.Null);
        Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low));
        Assert.That(r.Verdict.ConfidenceReasons, Has.Some.Contains("this stack is the thread that reported the crash, not the one that faulted"));
        Assert.That(r.Verdict.ConfidenceReasons, Has.None.EqualTo("no rule decided the owner"), "the reporter's reason says it better");
        Assert.That(r.Frames.Select(f => f.Action), Is.All.EqualTo(FrameAction.Reporting));
        Assert.That(r.Frames[^1].Explanation, Does.Contain("the reporting thread's own start"));
        Assert.That(r.Explanation, Has.Some.StartsWith("confidence reason reporter-stack (caps at low)"));
        Assert.That(r.Explanation, Has.Some.StartsWith("verdict: owner unknown, this stack is the thread that reported the crash"));
        Assert.That(r.Explanation, Has.Some.Contains("=> owner unknown: this stack is the thread that reported the crash"));
        Assert.That(r.NextSteps[0].Command, Is.EqualTo(".ecxr; kn"));
        Assert.That(r.NextSteps.Select(s => s.Text), Has.Some.Contains("procdump -e -ma php-cgi.exe"));

        using var json = JsonDocument.Parse(JsonRenderer.Render(r));
        var root = json.RootElement;
        var frames = root.GetProperty("frames").EnumerateArray().ToList();
        Assert.That(frames.Select(f => f.GetProperty("action").GetString()), Is.All.EqualTo("reporting"));
        Assert.That(root.GetProperty("verdict").GetProperty("owner").GetString(), Is.EqualTo("unknown"));
        Assert.That(root.GetProperty("verdict").GetProperty("confidence").GetString(), Is.EqualTo("low"));
        Assert.That(root.GetProperty("verdict").GetProperty("confidence_reasons").EnumerateArray().Select(e => e.GetString()),
            Has.Some.Contains("not the one that faulted"));
    }

    [Test]
    public void A_thread_procedure_under_the_filter_is_the_reporters_too_but_a_dispatcher_makes_it_the_faulting_frame()
    {
        (string, string)[] top = [("ntdll", "NtWaitForSingleObject"), ("crashme", "report_crash"), ("kernel32", "UnhandledExceptionFilter")];
        (string, string)[] start = [("crashme", "worker"), ("kernel32", "BaseThreadInitThunk"), ("ntdll", "RtlUserThreadStart")];
        var reporter = BuiltIn.Value.Walk(Stack([.. top, .. start]), null);
        Assert.That(reporter.ReporterStack, Is.True, string.Join("\n", reporter.Trace));
        Assert.That(reporter.Owner, Is.Null);

        // With the dispatcher between, the thread procedure is the frame that faulted.
        var faulting = BuiltIn.Value.Walk(Stack([.. top, ("ntdll", "KiUserExceptionDispatcher"), .. start]), null);
        Assert.That(faulting.ReporterStack, Is.False);
        Assert.That(faulting.Deciding?.Frame.Function, Is.EqualTo("worker"), string.Join("\n", faulting.Trace));
    }

    [Test]
    public void Faulting_frames_below_UnhandledExceptionFilter_without_a_dispatcher_still_decide()
    {
        // The CRT calls UnhandledExceptionFilter itself (__report_gsfailure, _call_reportfault): the frames below it are real.
        var r = Triager.Triage(Stack(("kernel32", "UnhandledExceptionFilter"), ("ucrtbase", "__report_gsfailure"),
            ("php_xdebug", "xdebug_execute_ex"), ("php8ts", "execute_ex"), ("php_cgi", "main"), ("kernel32", "BaseThreadInitThunk"),
            ("ntdll", "RtlUserThreadStart")), BuiltIn.Value);
        Assert.That(r.Verdict.Owner, Is.EqualTo("Xdebug"), string.Join("\n", r.Explanation));
        Assert.That(r.Verdict.ConfidenceReasons, Has.None.Contains("reported the crash"));
    }

    [Test]
    public void A_cut_stack_with_one_frame_below_the_filter_and_no_thread_start_is_not_called_the_reporters()
    {
        var walk = BuiltIn.Value.Walk(Stack(("foo", "my_unhandled_filter"), ("kernelbase", "UnhandledExceptionFilter"),
            ("php_xdebug", "xdebug_execute_ex")), null);
        Assert.That(walk.ReporterStack, Is.False);
        Assert.That(walk.Owner?.Id, Is.EqualTo("xdebug"));
    }

    [Test]
    public void An_exit_call_made_by_the_crash_filter_is_not_a_voluntary_exit_but_one_below_the_reporting_frames_is()
    {
        (string, string)[] exitInFilter = [("ntdll", "NtTerminateProcess"), ("kernelbase", "TerminateProcess"),
            ("foo", "my_unhandled_filter"), ("kernelbase", "UnhandledExceptionFilter"), ("ntdll", "KiUserExceptionDispatcher")];
        var noRecord = Stack([.. exitInFilter, .. Faulting]) with { Exception = null, Source = new DataSource { Kind = "windbg-text" } };
        var r = Triager.Triage(noRecord, BuiltIn.Value);
        Assert.That(r.Exception?.Class, Is.Not.EqualTo("EXIT"), string.Join("\n", r.Explanation));
        Assert.That(r.Verdict.Owner, Is.EqualTo("Xdebug"));

        // The control: the same exit call with no reporting frame under it is the process ending itself.
        var exit = Stack(("ntdll", "NtTerminateProcess"), ("kernelbase", "TerminateProcess"), ("php_cgi", "main"),
            ("kernel32", "BaseThreadInitThunk"), ("ntdll", "RtlUserThreadStart")) with { Exception = null };
        Assert.That(Triager.Triage(exit, BuiltIn.Value).Exception?.Class, Is.EqualTo("EXIT"));
    }

    [Test]
    public void A_k_text_with_the_crash_filter_on_top_reads_as_the_reporters_stack()
    {
        const string text = """
            0:000> .exr -1
            ExceptionAddress: 00007ffb12345678 (php_xdebug!xdebug_execute_ex+0x1a)
               ExceptionCode: c0000005 (Access violation)
              ExceptionFlags: 00000000
            NumberParameters: 2
               Parameter[0]: 0000000000000001
               Parameter[1]: 0000000000000010
            Attempt to write to address 0000000000000010
            0:000> k
             # Child-SP          RetAddr               Call Site
            00 00000000`0012e8a8 00007ffb`1a2b3c4d     ntdll!NtWaitForMultipleObjects+0x14
            01 00000000`0012e8b0 00007ffb`1a2b3c4e     KERNELBASE!WaitForMultipleObjectsEx+0xf0
            02 00000000`0012eba0 00007ff7`00001234     KERNELBASE!WaitForSingleObject+0x12
            03 00000000`0012ebd0 00007ffb`1a2b5000     php_cgi!crashfilter_unhandled+0x1c4
            04 00000000`0012ec60 00007ff7`00002000     KERNELBASE!UnhandledExceptionFilter+0x1bc
            05 00000000`0012ed80 00007ff7`00002100     php_cgi!main+0x99b
            06 00000000`0012fe20 00007ffb`1a2b7000     php_cgi!__scrt_common_main_seh+0x10c
            07 00000000`0012fe60 00007ffb`1a2b8000     KERNEL32!BaseThreadInitThunk+0x14
            08 00000000`0012fe90 00000000`00000000     ntdll!RtlUserThreadStart+0x21
            """;
        var crash = DebuggerText.Read(text, "reporter-k.txt");
        Assert.That(crash.Frames, Has.Count.EqualTo(9));
        var r = Triager.Triage(crash, BuiltIn.Value);
        Assert.That(r.Verdict.Owner, Is.EqualTo(Triager.UnknownOwner), string.Join("\n", r.Explanation));
        Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low));
        Assert.That(r.Verdict.ConfidenceReasons, Has.Some.Contains("reported the crash, not the one that faulted"));
        Assert.That(r.Frames.Select(f => f.Action), Is.All.EqualTo(FrameAction.Reporting));
    }
}
