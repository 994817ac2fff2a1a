using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;
using static FcgiExt.Tests.Catalog.CatalogTestKit;

namespace FcgiExt.Tests.Catalog;

/// <summary>One test per action and per precedence sentence of issue 2 and Catalog/README.md.</summary>
public class WalkSemanticsTests
{
    // ---- actions ----------------------------------------------------------------------------------

    [Test]
    public void OwnerDecidesAndStopsTheWalk()
    {
        var c = WithRules("""
              - { id: ext, match: { module: ext.dll }, action: owner, owner: a }
              - { id: core, match: { module: core.dll }, action: owner, owner: b }
            """);
        var w = Walk(c, "ext!f", "core!g");
        Assert.That(OwnerId(w), Is.EqualTo("a"));
        Assert.That(w.Strength, Is.EqualTo(FrameAction.Owner));
        Assert.That(w.RuleId, Is.EqualTo("ext"));
        Assert.That(w.Deciding!.Frame.Function, Is.EqualTo("f"));
        Assert.That(w.Decisions[0].Explanation, Is.EqualTo("decided by rule ext: owner Owner A"));
        Assert.That(w.Decisions[1].Action, Is.EqualTo(FrameAction.NotReached));
    }

    [Test]
    public void IgnoreSkipsTheFrameAndGoesOnDown()
    {
        var c = WithRules("""
              - { id: crt-memcpy, match: { module: vcruntime140.dll, function: memcpy }, action: ignore }
              - { id: crt-any, match: { module: vcruntime140.dll }, action: owner, owner: d }
              - { id: ext, match: { module: ext.dll }, action: owner, owner: a }
            """);
        var w = Walk(c, "vcruntime140!memcpy", "ext!copy");
        Assert.That(OwnerId(w), Is.EqualTo("a"));
        Assert.That(w.Decisions[0].Action, Is.EqualTo(FrameAction.Ignore));
        Assert.That(w.Decisions[0].Explanation, Is.EqualTo("skipped by rule crt-memcpy (ignore)"));
    }

    [Test]
    public void MaybeIsRememberedAndUsedWhenNothingDefiniteFollows()
    {
        var c = WithRules("""
              - { id: xdebug-any, match: { module: 'php_xdebug*.dll' }, action: maybe, owner: a }
            """);
        var w = Walk(c, "php_xdebug_3_3_1_8_3_vs16_x86_64!xdebug_execute_ex", "unknown!x");
        Assert.That(OwnerId(w), Is.EqualTo("a"));
        Assert.That(w.Strength, Is.EqualTo(FrameAction.Maybe));
        Assert.That(w.Decisions[0].Explanation, Does.StartWith("maybe-owner Owner A by rule xdebug-any"));
        Assert.That(w.Decisions[1].Explanation, Is.EqualTo("no rule matched"));
    }

    [Test]
    public void LastIsUsedOnlyWhenNothingElseMatches()
    {
        var c = WithRules("""
              - { id: ntdll-any, match: { module: ntdll.dll }, action: last, owner: c }
            """);
        var w = Walk(c, "ntdll!RtlEnterCriticalSection", "foo!bar");
        Assert.That(OwnerId(w), Is.EqualTo("c"));
        Assert.That(w.Strength, Is.EqualTo(FrameAction.Last));
        Assert.That(w.Decisions[0].Explanation, Does.StartWith("last-resort owner Owner C by rule ntdll-any"));
    }

    [Test]
    public void SentinelStartsTheWalkAtTheTopmostMatchingFrame()
    {
        var c = WithRules("""
              - { id: dispatcher, match: { module: ntdll.dll, function: KiUserExceptionDispatcher }, action: sentinel }
              - { id: handler, match: { module: ruby.dll }, action: owner, owner: b }
              - { id: gem, match: { module: gem.so }, action: owner, owner: a }
            """);
        var w = Walk(c, "ruby!rb_bug", "ntdll!KiUserExceptionDispatcher", "gem!crash", "ruby!caller");
        Assert.That(OwnerId(w), Is.EqualTo("a"), "the ruby frame above the sentinel must not decide");
        Assert.That(w.Decisions[0].Action, Is.EqualTo(FrameAction.SkippedBeforeSentinel));
        Assert.That(w.Decisions[1].Action, Is.EqualTo(FrameAction.Sentinel));
        Assert.That(w.Decisions[1].Explanation, Is.EqualTo("walk starts here by rule dispatcher (sentinel); going on down"));
        Assert.That(w.SignatureFrames.Select(f => f.Function), Is.EqualTo(new[] { "KiUserExceptionDispatcher", "crash" }));
    }

    [Test]
    public void ReportingTagMakesTheLowestTaggedFrameAndEverythingAboveItReporting()
    {
        // Tags, not names: a site catalog's own reporting rule works the same; the lowest tagged frame wins even over a
        // sentinel higher up, and an owner rule above it (the app's crash filter) does not apply.
        var c = WithRules("""
              - { id: app, match: { module: app.exe }, action: owner, owner: b }
              - { id: report, match: { module: kernelbase.dll, function: UnhandledExceptionFilter }, action: ignore, tags: [ reporting ] }
              - { id: dispatcher, match: { module: ntdll.dll, function: KiUserExceptionDispatcher }, action: sentinel,
                  tags: [ exception-dispatcher ] }
              - { id: gem, match: { module: gem.so }, action: owner, owner: a }
            """);
        var w = Walk(c, "app!crash_filter", "kernelbase!UnhandledExceptionFilter", "ntdll!KiUserExceptionDispatcher", "gem!crash");
        Assert.That(OwnerId(w), Is.EqualTo("a"), string.Join("\n", w.Trace));
        Assert.That(w.Decisions.Take(3).Select(d => d.Action), Is.All.EqualTo(FrameAction.Reporting));
        Assert.That(w.Decisions[0].Explanation, Does.EndWith("rule app (owner) does not apply here"));
        Assert.That(w.Decisions[2].Explanation, Does.StartWith("reports the crash by rule dispatcher (exception-dispatcher)"));
        Assert.That(w.ReportingFrame!.Frame.Function, Is.EqualTo("KiUserExceptionDispatcher"));
        Assert.That(w.ReporterStack, Is.False);
    }

    [Test]
    public void ReportingFramesWithOnlyAThreadStartBelowAreTheReportersOwnStack()
    {
        var c = WithRules("""
              - { id: app, match: { module: app.exe }, action: owner, owner: b }
              - { id: report, match: { module: kernelbase.dll, function: UnhandledExceptionFilter }, action: ignore, tags: [ reporting ] }
              - { id: start, match: { module: kernel32.dll, function: BaseThreadInitThunk }, action: ignore, tags: [ thread-start ] }
            """);
        var reporter = Walk(c, "app!crash_filter", "kernelbase!UnhandledExceptionFilter", "app!thread_proc", "kernel32!BaseThreadInitThunk");
        Assert.That(reporter.ReporterStack, Is.True, string.Join("\n", reporter.Trace));
        Assert.That(reporter.Owner, Is.Null, "never the crash filter's module");
        Assert.That(reporter.Decisions.Select(d => d.Action), Is.All.EqualTo(FrameAction.Reporting));
        // Two frames above the thread start are more than a thread procedure: one of them may have faulted.
        var faulting = Walk(c, "app!crash_filter", "kernelbase!UnhandledExceptionFilter", "app!f", "app!thread_proc",
            "kernel32!BaseThreadInitThunk");
        Assert.That(faulting.ReporterStack, Is.False);
        Assert.That(OwnerId(faulting), Is.EqualTo("b"));
        Assert.That(faulting.Deciding!.Frame.Function, Is.EqualTo("f"));
    }

    [Test]
    public void WithoutASentinelFrameTheWalkStartsAtTheTop()
    {
        var c = WithRules("""
              - { id: dispatcher, match: { module: ntdll.dll, function: KiUserExceptionDispatcher }, action: sentinel }
              - { id: gem, match: { module: gem.so }, action: owner, owner: a }
            """);
        var w = Walk(c, "gem!crash");
        Assert.That(OwnerId(w), Is.EqualTo("a"));
        Assert.That(w.Decisions[0].Action, Is.EqualTo(FrameAction.Owner));
    }

    [Test]
    public void PrefixKeepsTheFrameInTheSignatureAndGoesOn()
    {
        var c = WithRules("""
              - { id: abort, match: { module: ucrtbase.dll, function: abort }, action: prefix }
              - { id: ext, match: { module: ext.dll }, action: owner, owner: a }
            """);
        var w = Walk(c, "ucrtbase!abort", "ext!fail");
        Assert.That(OwnerId(w), Is.EqualTo("a"));
        Assert.That(w.Decisions[0].Action, Is.EqualTo(FrameAction.Prefix));
        Assert.That(w.Decisions[0].Explanation, Does.StartWith("kept in the signature by rule abort (prefix)"));
        Assert.That(w.SignatureFrames.Select(f => f.Function), Is.EqualTo(new[] { "abort", "fail" }));
    }

    [Test]
    public void DefaultIsTheLowestFallback()
    {
        var c = WithRules("""
              - { id: fallback, action: default, owner: c }
              - { id: ntdll-any, match: { module: ntdll.dll }, action: last, owner: d }
            """);
        Assert.That(OwnerId(Walk(c, "foo!bar")), Is.EqualTo("c"));
        Assert.That(Walk(c, "foo!bar").Strength, Is.EqualTo(FrameAction.Default));
        // a last-resort owner, even lower on the stack, beats a default
        Assert.That(OwnerId(Walk(c, "foo!bar", "ntdll!RtlFoo")), Is.EqualTo("d"));
    }

    [Test]
    public void NothingMatchedMeansUnknown()
    {
        var c = WithRules("""
              - { id: ext, match: { module: ext.dll }, action: owner, owner: a }
            """);
        var w = Walk(c, "other!f", "0x00007ff6d1e21000");
        Assert.That(w.Owner, Is.Null);
        Assert.That(w.Deciding, Is.Null);
        Assert.That(w.Decisions[0].Explanation, Is.EqualTo("no rule matched"));
        Assert.That(w.Trace[^1], Is.EqualTo("=> owner unknown: no frame matched an owner rule"));
    }

    [Test]
    public void AddressOnlyFramesAreExplainedAsSuch()
    {
        var c = WithRules("""
              - { id: ext, match: { module: ext.dll }, action: owner, owner: a }
            """);
        var w = Walk(c, "0x00007ff6d1e21000", "ext!f");
        Assert.That(w.Decisions[0].Action, Is.EqualTo(FrameAction.NoRule));
        Assert.That(w.Decisions[0].Explanation, Does.StartWith("address only (no module or function known)"));
        Assert.That(OwnerId(w), Is.EqualTo("a"));
    }

    [Test]
    public void EmptyStackIsUnknownWithATraceLine()
    {
        var w = Walk(WithRules("  - { id: ext, match: { module: ext.dll }, action: owner, owner: a }\n"));
        Assert.That(w.Owner, Is.Null);
        Assert.That(w.Trace, Is.EqualTo(new[] { "=> owner unknown: the stack has no frames" }));
    }

    // ---- precedence sentences -----------------------------------------------------------------------

    [Test]
    public void ExactBeatsGlob()
    {
        var c = WithRules("""
              - { id: glob, match: { module: 'php_*.dll' }, action: owner, owner: a }
              - { id: exact, match: { module: php_opcache.dll }, action: owner, owner: b }
            """);
        var w = Walk(c, "php_opcache!zend_accel_load_script");
        Assert.That(w.RuleId, Is.EqualTo("exact"));
        var exactFn = WithRules("""
              - { id: glob, match: { module: m.dll, function: 'zend_*' }, action: owner, owner: a }
              - { id: exact, match: { module: m.dll, function: zend_call_function }, action: owner, owner: b }
            """);
        Assert.That(Walk(exactFn, "m!zend_call_function").RuleId, Is.EqualTo("exact"));
    }

    [Test]
    public void LongerGlobBeatsShorter()
    {
        var c = WithRules("""
              - { id: short, match: { module: 'php_*.dll' }, action: owner, owner: a }
              - { id: long, match: { module: 'php_xdebug*.dll' }, action: owner, owner: b }
            """);
        Assert.That(Walk(c, "php_xdebug_3_3_1_8_3_vs16_x86_64!f").RuleId, Is.EqualTo("long"));
        var fn = WithRules("""
              - { id: short, match: { module: m.dll, function: 'zend_*' }, action: owner, owner: a }
              - { id: long, match: { module: m.dll, function: 'zend_mm_*' }, action: owner, owner: b }
            """);
        Assert.That(Walk(fn, "m!zend_mm_alloc_heap").RuleId, Is.EqualTo("long"));
        Assert.That(Walk(fn, "m!zend_hash_find").RuleId, Is.EqualTo("short"));
    }

    [Test]
    public void DefiniteLowerBeatsMaybeHigher()
    {
        var c = WithRules("""
              - { id: zend-mm, match: { module: php8ts.dll, function: '_efree' }, action: maybe, owner: b }
              - { id: ext, match: { module: ext.dll }, action: owner, owner: a }
            """);
        var w = Walk(c, "php8ts!_efree", "ext!free_things");
        Assert.That(OwnerId(w), Is.EqualTo("a"));
        Assert.That(w.Strength, Is.EqualTo(FrameAction.Owner));
    }

    [Test]
    public void MaybeLowerBeatsLastHigher()
    {
        var c = WithRules("""
              - { id: ntdll-any, match: { module: ntdll.dll }, action: last, owner: c }
              - { id: lib, match: { module: libssh2.dll }, action: maybe, owner: a }
            """);
        var w = Walk(c, "ntdll!RtlEnterCriticalSection", "libssh2!_libssh2_transport_read");
        Assert.That(OwnerId(w), Is.EqualTo("a"));
        Assert.That(w.Strength, Is.EqualTo(FrameAction.Maybe));
        Assert.That(w.Trace[^1], Does.Contain("a maybe-owner beats last-resort and default owners"));
    }

    [Test]
    public void TheTopmostMaybeWinsOverALowerMaybe()
    {
        var c = WithRules("""
              - { id: m1, match: { module: one.dll }, action: maybe, owner: a }
              - { id: m2, match: { module: two.dll }, action: maybe, owner: b }
            """);
        var w = Walk(c, "one!f", "two!g");
        Assert.That(OwnerId(w), Is.EqualTo("a"));
        Assert.That(w.Decisions[1].Explanation, Does.Contain("the maybe-owner Owner A higher on the stack stays first"));
    }

    [Test]
    public void RulesWithAnExceptionConditionBeatRulesWithout()
    {
        var c = WithRules("""
              - { id: plain, match: { module: php8ts.dll, function: execute_ex }, action: owner, owner: b }
              - { id: overflow, match: { module: 'php*.dll', exception: 0xc00000fd }, action: owner, owner: a }
            """);
        Assert.That(WalkWith(c, "0xc00000fd", null, "php8ts!execute_ex").RuleId, Is.EqualTo("overflow"));
        Assert.That(WalkWith(c, "0xc0000005", null, "php8ts!execute_ex").RuleId, Is.EqualTo("plain"));
    }

    [Test]
    public void ExceptionConditionsMatchClassNamesAndGlobs()
    {
        var c = WithRules("""
              - { id: heap, match: { module: m.dll, exception: HEAP_CORRUPTION }, action: owner, owner: a }
              - { id: nullptr, match: { module: m.dll, exception: 'NULL_POINTER_*' }, action: owner, owner: c }
              - { id: any, match: { module: m.dll }, action: owner, owner: b }
            """);
        Assert.That(WalkWith(c, "0xc0000374", null, "m!f").RuleId, Is.EqualTo("heap"), "coarse class from the code");
        Assert.That(WalkWith(c, "NULL_POINTER_WRITE", null, "m!f").RuleId, Is.EqualTo("nullptr"), "class from the triage classifier");
        Assert.That(WalkWith(c, "0xc0000005", null, "m!f").RuleId, Is.EqualTo("any"));
        var (av, _) = FcgiExt.RulesEngine.Catalog.Tools.FrameText.Crash(["m!f"], "0xc0000005", null);
        Assert.That(c.Walk(av, "NULL_POINTER_READ").RuleId, Is.EqualTo("nullptr"), "the class triage passes to the walk");
        Assert.That(c.Walk(av, null).RuleId, Is.EqualTo("any"), "without a class only the code's coarse classes match");
    }

    [Test]
    public void RulesWithAProcessConditionBeatRulesWithout()
    {
        var c = WithRules("""
              - { id: plain, match: { module: iisfcgi.dll }, action: owner, owner: c }
              - { id: in-w3wp, match: { module: iisfcgi.dll, process: w3wp.exe }, action: owner, owner: a }
            """);
        Assert.That(WalkWith(c, null, "w3wp.exe", "iisfcgi!f").RuleId, Is.EqualTo("in-w3wp"));
        Assert.That(WalkWith(c, null, "W3WP.EXE", "iisfcgi!f").RuleId, Is.EqualTo("in-w3wp"), "process names compare case-insensitively");
        Assert.That(WalkWith(c, null, "php-cgi.exe", "iisfcgi!f").RuleId, Is.EqualTo("plain"));
        Assert.That(Walk(c, "iisfcgi!f").RuleId, Is.EqualTo("plain"), "unknown process: the condition does not hold");
    }

    [Test]
    public void AModuleMatchIsPreferredToAFunctionMatch()
    {
        // triage.ini: "a module name match is always preferred to a function name match"
        var c = WithRules("""
              - { id: mod-glob-fn-exact, match: { module: 'mod*', function: functionC }, action: owner, owner: a }
              - { id: mod-exact, match: { module: module2 }, action: owner, owner: b }
            """);
        Assert.That(Walk(c, "module2!functionC").RuleId, Is.EqualTo("mod-exact"));
    }

    [Test]
    public void ANamedFunctionBeatsAModuleWideRuleOfTheSameModuleKind()
    {
        var c = WithRules("""
              - { id: module-wide, match: { module: '/^(msvcrt|ucrtbase|vcruntime140)$/i' }, action: owner, owner: d }
              - { id: memcpy, match: { module: '/^(ucrtbase|vcruntime140)$/i', function: memcpy }, action: ignore }
              - { id: ext, match: { module: ext.dll }, action: owner, owner: a }
            """);
        Assert.That(OwnerId(Walk(c, "vcruntime140!memcpy", "ext!f")), Is.EqualTo("a"));
    }

    [Test]
    public void EquallySpecificRulesGoToTheLaterLayerThenToTheFirstDeclared()
    {
        var same = WithRules("""
              - { id: first, match: { module: m.dll }, action: owner, owner: a }
              - { id: second, match: { module: m.dll }, action: owner, owner: b }
            """);
        Assert.That(Walk(same, "m!f").RuleId, Is.EqualTo("first"));
        var layered = Layers(Owners + "\nrules:\n  - { id: base, match: { module: m.dll }, action: owner, owner: a }\n",
                              "rules:\n  - { id: site, match: { module: m.dll }, action: owner, owner: b }\n");
        Assert.That(Walk(layered, "m!f").RuleId, Is.EqualTo("site"));
    }

    [Test]
    public void OnlyTheBestRuleOfAFrameActs()
    {
        // an ignore rule that wins precedence hides the owner rule of the same frame
        var c = WithRules("""
              - { id: any, match: { module: ntdll.dll }, action: owner, owner: c }
              - { id: heap, match: { module: ntdll.dll, function: 'Rtl*Heap*' }, action: ignore }
              - { id: ext, match: { module: ext.dll }, action: owner, owner: a }
            """);
        Assert.That(OwnerId(Walk(c, "ntdll!RtlpFreeHeap", "ext!f")), Is.EqualTo("a"));
        Assert.That(OwnerId(Walk(c, "ntdll!NtClose", "ext!f")), Is.EqualTo("c"));
    }

    [Test]
    public void RegexFunctionsMatchAsWritten()
    {
        var c = WithRules("""
              - { id: rx, match: { module: m.dll, function: '/^zend_mm_(alloc|free)_heap$/' }, action: owner, owner: a }
              - { id: rxi, match: { module: m.dll, function: '/^EFREE$/i' }, action: owner, owner: b }
            """);
        Assert.That(Walk(c, "m!zend_mm_free_heap").RuleId, Is.EqualTo("rx"));
        Assert.That(Walk(c, "m!zend_mm_free_heap_x").Owner, Is.Null);
        Assert.That(Walk(c, "m!efree").RuleId, Is.EqualTo("rxi"));
    }

    [Test]
    public void TraceHasOneLinePerFramePlusTheConclusion()
    {
        var c = WithRules("""
              - { id: ign, match: { module: ntdll.dll }, action: ignore }
              - { id: ext, match: { module: ext.dll }, action: owner, owner: a }
            """);
        var w = Walk(c, "ntdll!RtlRaiseException", "ext!f", "core!g");
        Assert.That(w.Trace, Is.EqualTo(new[]
        {
            "#00 ntdll!RtlRaiseException: skipped by rule ign (ignore)",
            "#01 ext!f: decided by rule ext: owner Owner A",
            "#02 core!g: below the deciding frame: not considered",
            "=> owner Owner A (php-extension) from frame #01 ext!f by rule ext (owner)",
        }));
    }

    [Test]
    public void ExitFramesAreRecognisedByTheirTag()
    {
        var catalog = RuleCatalog.LoadBuiltIn();
        var (crash, _) = FcgiExt.RulesEngine.Catalog.Tools.FrameText.Crash(
            ["ntdll!NtTerminateProcess", "ntdll!RtlExitUserProcess", "kernel32!ExitProcessImplementation", "ucrtbase!exit", "php_cgi!main"], null, "php-cgi.exe");
        Assert.That(ClassifyStep.Run(crash, catalog).ExitFrame?.Function, Is.EqualTo("NtTerminateProcess"));
        bool IsExit(string f) => catalog.FrameHasTag(FcgiExt.RulesEngine.Catalog.Tools.FrameText.Parse(f, 0), crash, RuleCatalog.ExitTag);
        foreach (var f in new[] { "kernelbase!TerminateProcess", "kernel32!ExitProcess", "ucrtbase!_exit", "msvcrt!exit", "ntdll!RtlExitUserProcess",
                     "kernelbase!TerminateProcessStub", "ucrtbase!_o_exit" })
            Assert.That(IsExit(f), Is.True, f);
        Assert.That(IsExit("php8ts!php_execute_script"), Is.False);
        Assert.That(IsExit("php8ts!zend_exit_handler"), Is.False, "a name that merely contains exit");
        var (crashing, _) = FcgiExt.RulesEngine.Catalog.Tools.FrameText.Crash(["php_xdebug!f", "php8ts!execute_ex"], "0xc0000005", null);
        Assert.That(ClassifyStep.Run(crashing, catalog).ExitFrame, Is.Null, "an exception is never an exit");
    }

    [Test]
    public void What_the_catalog_answered_about_one_crash_is_never_the_answer_for_another()
    {
        // The catalog keeps its answers per crash: two crashes with the same frames and other processes or exception
        // codes must each get their own, in any order and asked again.
        var catalog = WithRules("""
              - id: cgi-exit
                match: { module: 'm.dll', function: 'f', process: php-cgi.exe }
                action: ignore
                tags: [ exit ]
              - id: av-heap
                match: { module: '/^m(\.dll)?$/i', function: 'f', exception: 0xc0000005 }
                action: ignore
                tags: [ heap-check ]
            """);
        var (cgi, _) = FcgiExt.RulesEngine.Catalog.Tools.FrameText.Crash(["m!f"], "0xc0000005", "php-cgi.exe");
        var (ruby, _) = FcgiExt.RulesEngine.Catalog.Tools.FrameText.Crash(["m!f"], "0xc0000374", "ruby.exe");
        for (int round = 0; round < 2; round++)
        {
            Assert.That(catalog.FrameHasTag(cgi.FaultingThread!.Frames[0], cgi, "exit"), Is.True);
            Assert.That(catalog.FrameHasTag(ruby.FaultingThread!.Frames[0], ruby, "exit"), Is.False);
            Assert.That(catalog.FrameHasTag(ruby.FaultingThread!.Frames[0], ruby, "heap-check"), Is.False);
            Assert.That(catalog.FrameHasTag(cgi.FaultingThread!.Frames[0], cgi, "heap-check"), Is.True);
            Assert.That(catalog.FrameHasTag(ruby.FaultingThread!.Frames[0], ruby with { }, "exit"), Is.False, "a copy is a crash too");
        }
    }
}
