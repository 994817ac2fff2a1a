using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;
using static FcgiExt.Tests.Triage.Crashes;

namespace FcgiExt.Tests.Triage;

/// <summary>Each triage step on its own, with the fake catalog: classify → walk → owner → confidence → bucket →
/// symbols → next steps.</summary>
public class StepTests
{
    static CrashReport NoException(params StackFrame[] frames) => new()
    {
        Process = new ProcessInfo { Name = "php-cgi.exe", Architecture = Architecture.X64 },
        FaultingThread = new ThreadInfo { Frames = frames },
    };

    [Test]
    public void Classify_takes_exit_and_abort_from_the_catalog_alone()
    {
        var catalog = FakeCatalog.Standard();
        var exit = ClassifyStep.Run(PhpCgiExit(), catalog);
        Assert.That((exit.Name, exit.IsExit, exit.ExitFrame?.Function), Is.EqualTo(("EXIT", true, "NtTerminateProcess")));

        catalog.ExitFunctions.Clear();
        Assert.That(ClassifyStep.Run(PhpCgiExit(), catalog).Classification, Is.Null, "no exit rule, no exit: one source");

        catalog.ExitFunctions.Add("_exit");
        var abort = ClassifyStep.Run(NoException(Frame(0, "ucrtbase", "_exit"), Frame(1, "ucrtbase", "abort"), Frame(2, "php8ts", "zend_bailout")),
            catalog);
        Assert.That(abort.Name, Is.EqualTo("ABORT"));
    }

    [Test]
    public void Classify_never_makes_an_exception_an_exit()
    {
        var crash = PhpCgiExit() with { Exception = Av(0, 0x18) };
        Assert.That(ClassifyStep.Run(crash, FakeCatalog.Standard()).Name, Is.EqualTo("NULL_POINTER_READ"));
    }

    [Test]
    public void Walk_passes_the_class_and_survives_a_throwing_catalog()
    {
        var catalog = FakeCatalog.Standard();
        var crash = XdebugNullWrite();
        var cls = ClassifyStep.Run(crash, catalog);
        var walk = WalkStep.Run(crash, catalog, cls);
        Assert.That(catalog.LastExceptionClass, Is.EqualTo("NULL_POINTER_WRITE"), "the class is an argument of the walk");
        Assert.That((walk.Failed, walk.DecidingPosition), Is.EqualTo((false, 0)));

        catalog.ThrowOnWalk = true;
        var failed = WalkStep.Run(crash, catalog, cls);
        Assert.That(failed.Failed, Is.True);
        Assert.That(failed.Decisions.Select(d => d.Action), Has.All.EqualTo(FrameAction.NoRule));
        Assert.That(failed.Decisions, Has.Count.EqualTo(crash.Frames.Count), "every frame still shown");
        Assert.That(failed.Trace[0], Does.StartWith("catalog walk failed: InvalidOperationException"));
    }

    [Test]
    public void FindCycle_finds_the_shortest_repeating_run_and_nothing_in_a_plain_stack()
    {
        StackFrame[] F(params string[] names) => names.Select((n, i) => Frame(i, n.Split('!')[0], n.Split('!')[1])).ToArray();
        var cycle = OwnerStep.FindCycle(F("m!top", "m!a", "m!b", "m!a", "m!b", "m!a", "m!b", "m!main"));
        Assert.That(cycle, Is.EqualTo(new OwnerStep.Cycle(1, 2, 3)));
        Assert.That(OwnerStep.FindCycle(F("m!a", "m!a", "m!a")), Is.EqualTo(new OwnerStep.Cycle(0, 1, 3)));
        Assert.That(OwnerStep.FindCycle(F("m!a", "m!b", "m!a", "m!b", "m!c")), Is.Null, "two repeats are not recursion");
        Assert.That(OwnerStep.FindCycle(F("m!a", "m!b", "m!c", "m!d")), Is.Null);
    }

    [Test]
    public void GemOf_reads_the_gem_from_a_path()
    {
        Assert.That(RubyGems.NameOf("/usr/lib/ruby/gems/2.6.0/gems/mysql2-0.5.3/lib/mysql2/mysql2.so"), Is.EqualTo("mysql2"));
        Assert.That(RubyGems.NameOf(@"C:\Ruby32-x64\lib\ruby\gems\3.2.0\gems\grpc-1.60.0-x64-mingw-ucrt\src\ruby\lib\grpc.rb"), Is.EqualTo("grpc"));
        Assert.That(RubyGems.NameOf("/app/lib/thing.rb"), Is.Null);
    }

    [Test]
    public void Confidence_is_the_lowest_cap_and_two_mediums_make_low()
    {
        AppliedReason R(Confidence cap) => new("r" + cap, cap, "because");
        Assert.That(ConfidencePolicy.Combine([]), Is.EqualTo(Confidence.High));
        Assert.That(ConfidencePolicy.Combine([R(Confidence.Medium)]), Is.EqualTo(Confidence.Medium));
        Assert.That(ConfidencePolicy.Combine([R(Confidence.Medium), R(Confidence.Medium)]), Is.EqualTo(Confidence.Low));
        Assert.That(ConfidencePolicy.Combine([R(Confidence.High), R(Confidence.Low)]), Is.EqualTo(Confidence.Low));
        Assert.That(ConfidencePolicy.Reasons.Select(r => r.Id), Is.Unique, "reason ids name one reason each");
    }

    [Test]
    public void Owner_bucket_symbols_and_next_steps_of_a_plain_crash()
    {
        var catalog = FakeCatalog.Standard();
        var crash = XdebugNullWrite(xdebugSymbols: SymbolStatus.ExportOnly);
        var cls = ClassifyStep.Run(crash, catalog);
        var walk = WalkStep.Run(crash, catalog, cls);
        var owner = OwnerStep.Run(crash, catalog, cls, walk);
        Assert.That((owner.Owner?.Name, owner.Evidence, owner.Suspects.Count), Is.EqualTo(("Xdebug", OwnerEvidence.Walk, 0)));

        var reasons = ConfidencePolicy.Evaluate(new TriageFacts(crash, cls, walk, owner));
        Assert.That(reasons.Select(r => r.Id), Is.EqualTo(new[] { "export-symbols-only" }));

        Assert.That(BucketStep.Run(crash, catalog, cls, walk, owner), Is.EqualTo("NULL_POINTER_WRITE_c0000005_php_xdebug!xdebug_execute_ex"));

        var symbols = SymbolsStep.Run(crash, catalog);
        Assert.That(symbols.ExportOnly.Select(m => (m.Module, m.OnFaultingStack)), Does.Contain(("php_xdebug.dll", true)));

        var verdict = new Verdict { Owner = "Xdebug", Category = OwnerCategory.PhpExtension, Confidence = Confidence.Medium, Bucket = "b",
            ReportUrl = "https://bugs.xdebug.org/" };
        var steps = NextStepsStep.Run(crash, cls, owner, verdict, symbols);
        Assert.That(steps.Select(s => s.Kind), Does.Contain("report").And.Contain("symbols"));
        Assert.That(steps.Select(s => s.Kind), Has.None.EqualTo("page-heap"), "page heap is for heap classes");
        Assert.That(steps[^1].Command, Is.EqualTo("!fcgi -v"));
    }

    [Test]
    public void Heap_damage_moves_the_owner_to_suspects_and_page_heap_to_the_front()
    {
        var catalog = FakeCatalog.Standard();
        var crash = XdebugNullWrite() with { Exception = new ExceptionInfo { Code = 0xC0000374 } };
        var cls = ClassifyStep.Run(crash, catalog);
        var walk = WalkStep.Run(crash, catalog, cls);
        var owner = OwnerStep.Run(crash, catalog, cls, walk);
        Assert.That((owner.Owner, owner.Evidence), Is.EqualTo(((Owner?)null, OwnerEvidence.HeapDamage)));
        Assert.That(owner.Decisions[0].Action, Is.EqualTo(FrameAction.Suspect), "the rule's owner is shown as a suspect");
        Assert.That(owner.Suspects.Select(s => s.Owner), Has.Member("Xdebug"));
        var verdict = new Verdict { Owner = Triager.UnknownOwner, Category = OwnerCategory.Unknown, Confidence = Confidence.Low, Bucket = "b" };
        var steps = NextStepsStep.Run(crash, cls, owner, verdict, SymbolsStep.Run(crash, catalog));
        Assert.That(steps[0].Kind, Is.EqualTo("page-heap"));
    }
}
