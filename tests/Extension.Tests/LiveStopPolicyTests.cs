using FcgiExt.DbgEng;
using NUnit.Framework;

namespace FcgiExt.Tests.Extension;

/// <summary>Which debug events stop `fcgi capture` (issue 12), without an engine: the same policy decides on Windows,
/// where the paths Wine cannot run (attach and follow children) also end here.</summary>
public class LiveStopPolicyTests
{
    static LiveStop Exception(uint code, bool first, uint pid = 100) => new(DbgEng.DbgEng.DEBUG_EVENT_EXCEPTION, pid, code, first);

    [Test]
    public void A_first_chance_access_violation_goes_on_unhandled_and_its_second_chance_is_captured()
    {
        var policy = new LiveStopPolicy(firstChance: false, captureExits: false);
        policy.Decide(Exception(LiveStopPolicy.Breakpoint, true));   // the initial break
        Assert.That(policy.Decide(Exception(0xC0000005, true)),
            Is.EqualTo((LiveAction.Continue, DbgEng.DbgEng.DEBUG_STATUS_GO_NOT_HANDLED)));
        Assert.That(policy.Decide(Exception(0xC0000005, false)).Action, Is.EqualTo(LiveAction.CaptureCrash));
    }

    [TestCase(LiveStopPolicy.StackOverflow)]
    [TestCase(LiveStopPolicy.FailFast)]
    [TestCase(LiveStopPolicy.HeapCorruption)]
    public void Exceptions_that_never_reach_a_second_chance_are_captured_at_the_first(uint code)
    {
        var policy = new LiveStopPolicy(firstChance: false, captureExits: false);
        Assert.That(policy.Decide(Exception(code, true)).Action, Is.EqualTo(LiveAction.CaptureCrash));
    }

    [Test]
    public void With_first_chance_every_exception_but_debug_output_is_captured()
    {
        var policy = new LiveStopPolicy(firstChance: true, captureExits: false);
        policy.Decide(Exception(LiveStopPolicy.Breakpoint, true));
        Assert.That(policy.Decide(Exception(0xE06D7363, true)).Action, Is.EqualTo(LiveAction.CaptureCrash));
        Assert.That(policy.Decide(Exception(LiveStopPolicy.DbgPrint, true)).Action, Is.EqualTo(LiveAction.Continue));
    }

    [Test]
    public void Each_process_gets_its_exit_breakpoint_at_creation_or_at_its_first_break_only()
    {
        var policy = new LiveStopPolicy(firstChance: false, captureExits: true);
        Assert.That(policy.Decide(new LiveStop(DbgEng.DbgEng.DEBUG_EVENT_CREATE_PROCESS, 7, 0, false)).Action,
            Is.EqualTo(LiveAction.SetExitBreakpoint));
        Assert.That(policy.Decide(Exception(LiveStopPolicy.Breakpoint, true, pid: 8)),
            Is.EqualTo((LiveAction.SetExitBreakpoint, DbgEng.DbgEng.DEBUG_STATUS_GO_HANDLED)));
        // A later breakpoint exception in the same process is the program's own: a crash at its second chance.
        Assert.That(policy.Decide(Exception(LiveStopPolicy.Breakpoint, true, pid: 8)).Action, Is.EqualTo(LiveAction.Continue));
    }

    [Test]
    public void A_watched_workers_exit_is_captured_once_and_others_only_report_their_code()
    {
        var workers = new LiveStopPolicy(firstChance: false, captureExits: true);
        var bp = new LiveStop(DbgEng.DbgEng.DEBUG_EVENT_BREAKPOINT, 9, 0, false);
        Assert.That(workers.Decide(bp).Action, Is.EqualTo(LiveAction.CaptureExit));
        Assert.That(workers.Decide(bp).Action, Is.EqualTo(LiveAction.Continue), "once per process");
        var plain = new LiveStopPolicy(firstChance: false, captureExits: false);
        Assert.That(plain.Decide(bp).Action, Is.EqualTo(LiveAction.Continue));
        Assert.That(plain.Decide(new LiveStop(DbgEng.DbgEng.DEBUG_EVENT_EXIT_PROCESS, 9, 0, false)).Action,
            Is.EqualTo(LiveAction.ReportExited));
    }
}

public class LiveStopPolicyChildrenTests
{
    [Test]
    public void Under_children_the_servers_own_exit_is_not_captured_but_a_workers_is()
    {
        var policy = new LiveStopPolicy(firstChance: false, captureExits: true, spareTheRoot: true);
        policy.Decide(new LiveStop(DbgEng.DbgEng.DEBUG_EVENT_CREATE_PROCESS, 10, 0, false));   // w3wp.exe
        policy.Decide(new LiveStop(DbgEng.DbgEng.DEBUG_EVENT_CREATE_PROCESS, 11, 0, false));   // php-cgi.exe
        Assert.That(policy.Decide(new LiveStop(DbgEng.DbgEng.DEBUG_EVENT_BREAKPOINT, 11, 0, false)).Action,
            Is.EqualTo(LiveAction.CaptureExit));
        Assert.That(policy.Decide(new LiveStop(DbgEng.DbgEng.DEBUG_EVENT_BREAKPOINT, 10, 0, false)).Action,
            Is.EqualTo(LiveAction.Continue));
    }
}
