using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;
using static FcgiExt.Tests.Triage.Crashes;

namespace FcgiExt.Tests.Triage;

public class TriagerTests
{
    static TriageResult Run(CrashReport crash, FakeCatalog? catalog = null) => Triager.Triage(crash, catalog ?? FakeCatalog.Standard());

    [Test]
    public void Owner_module_frame_rule_and_the_issue_bucket()
    {
        var r = Run(XdebugNullWrite());
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict.Owner, Is.EqualTo("Xdebug"));
            Assert.That(r.Verdict.Category, Is.EqualTo("php-extension"));
            Assert.That(r.Verdict.OwnerModule, Is.EqualTo("php_xdebug.dll"));
            Assert.That(r.Verdict.OwnerFrame, Is.EqualTo("php_xdebug!xdebug_execute_ex+0x1a"));
            Assert.That(r.Verdict.Rule, Is.EqualTo("xdebug"));
            Assert.That(r.Verdict.ReportUrl, Is.EqualTo("https://bugs.xdebug.org/"));
            Assert.That(r.Verdict.Bucket, Is.EqualTo("NULL_POINTER_WRITE_c0000005_php_xdebug!xdebug_execute_ex"));
            Assert.That(r.Exception!.Class, Is.EqualTo("NULL_POINTER_WRITE"));
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.High));
            Assert.That(r.Verdict.ConfidenceReasons, Is.Empty);
            Assert.That(r.Frames, Has.Count.EqualTo(6));
        });
    }

    [Test]
    public void Bucket_is_stable_across_addresses_offsets_and_null_targets()
    {
        var buckets = new HashSet<string>();
        var rng = new Random(20261126);
        for (int i = 0; i < 50; i++)
        {
            var crash = XdebugNullWrite(target: (ulong)rng.Next(0, 0xFFFF), disp: (ulong)rng.Next(1, 0x5000),
                ipBase: 0x7ff000000000ul + ((ulong)rng.Next() << 12));
            buckets.Add(Run(crash).Verdict.Bucket);
        }
        Assert.That(buckets, Is.EquivalentTo(new[] { "NULL_POINTER_WRITE_c0000005_php_xdebug!xdebug_execute_ex" }));
    }

    [Test]
    public void Crashes_without_symbols_do_not_split_by_offset()
    {
        CrashReport NoSymbols(ulong disp) => XdebugNullWrite() with
        {
            FaultingThread = new ThreadInfo { Frames = [Frame(0, "php8ts", null, disp), Frame(1, "php_cgi", "main")] },
            Modules = [Module("php8ts.dll", SymbolStatus.ExportOnly), Module("php-cgi.exe")],
        };
        var a = Run(NoSymbols(0x1234)).Verdict.Bucket;
        var b = Run(NoSymbols(0x99999)).Verdict.Bucket;
        Assert.That(a, Is.EqualTo("NULL_POINTER_WRITE_c0000005_php8ts"));
        Assert.That(b, Is.EqualTo(a));
    }

    [Test]
    public void Bucket_uses_the_engine_name_when_the_image_name_is_unknown_and_ignores_case()
    {
        var crash = XdebugNullWrite() with { Modules = [] };
        Assert.That(Run(crash).Verdict.Bucket, Is.EqualTo("NULL_POINTER_WRITE_c0000005_php_xdebug!xdebug_execute_ex"));
        var upper = XdebugNullWrite() with { Modules = [Module("PHP_XDEBUG.DLL")] };
        Assert.That(Run(upper).Verdict.Bucket, Is.EqualTo("NULL_POINTER_WRITE_c0000005_php_xdebug!xdebug_execute_ex"));
    }

    [Test]
    public void Prefix_frames_are_part_of_the_bucket()
    {
        var catalog = FakeCatalog.Standard();
        catalog.Rules.Insert(0, new FakeCatalog.Rule("zend-alloc", "php8ts", "zend_mm_alloc_heap", FrameAction.Prefix));
        var crash = XdebugNullWrite() with
        {
            FaultingThread = new ThreadInfo { Frames = [Frame(0, "php8ts", "zend_mm_alloc_heap"),
                Frame(1, "php_xdebug", "xdebug_add_stack_frame")] },
        };
        Assert.That(Run(crash, catalog).Verdict.Bucket,
            Is.EqualTo("NULL_POINTER_WRITE_c0000005_php8ts!zend_mm_alloc_heap|php_xdebug!xdebug_add_stack_frame"));
    }

    [Test]
    public void Export_only_symbols_on_the_deciding_module_lower_confidence()
    {
        var r = Run(XdebugNullWrite(xdebugSymbols: SymbolStatus.ExportOnly));
        Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Medium));
        Assert.That(r.Verdict.ConfidenceReasons, Has.One.Contains("export symbols only").And.Contains("php_xdebug.dll"));
    }

    [Test]
    public void Missing_and_mismatched_symbols_on_the_deciding_module_lower_confidence()
    {
        Assert.That(Run(XdebugNullWrite(xdebugSymbols: SymbolStatus.None)).Verdict.ConfidenceReasons,
            Has.One.Contains("no symbols for php_xdebug.dll"));
        Assert.That(Run(XdebugNullWrite(xdebugSymbols: SymbolStatus.Mismatched)).Verdict.ConfidenceReasons,
            Has.One.Contains("do not match"));
        Assert.That(Run(XdebugNullWrite(xdebugSymbols: SymbolStatus.None)).Verdict.Confidence, Is.EqualTo(Confidence.Medium));
    }

    [Test]
    public void A_scanned_frame_at_the_deciding_frame_lowers_confidence()
    {
        var r = Run(XdebugNullWrite(xdebugTrust: FrameTrust.Scan));
        Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Medium));
        Assert.That(r.Verdict.ConfidenceReasons, Has.One.Contains("scanning"));
    }

    [Test]
    public void A_scanned_frame_below_the_deciding_frame_does_not()
    {
        var crash = XdebugNullWrite();
        var frames = crash.Frames.ToList();
        frames[4] = frames[4] with { Trust = FrameTrust.Scan };
        var r = Run(crash with { FaultingThread = new ThreadInfo { Frames = frames } });
        Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.High));
    }

    [Test]
    public void Two_medium_reasons_make_it_low()
    {
        var r = Run(XdebugNullWrite(xdebugSymbols: SymbolStatus.ExportOnly, xdebugTrust: FrameTrust.Scan));
        Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low));
        Assert.That(r.Verdict.ConfidenceReasons, Has.Count.EqualTo(2));
    }

    [Test]
    public void Only_a_maybe_match_is_medium()
    {
        var catalog = FakeCatalog.Standard();
        catalog.Rules.RemoveAll(x => x.Id is "xdebug" or "php-core" or "php-cgi");
        catalog.Rules.Add(new("maybe-xdebug", "php_xdebug*", null, FrameAction.Maybe, FakeCatalog.Xdebug));
        var r = Run(XdebugNullWrite(), catalog);
        Assert.That(r.Verdict.Owner, Is.EqualTo("Xdebug"));
        Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Medium));
        Assert.That(r.Verdict.ConfidenceReasons, Has.One.Contains("maybe-owner"));
    }

    [Test]
    public void Last_resort_and_default_are_low()
    {
        var last = FakeCatalog.Standard();
        last.Rules.RemoveAll(x => x.Action == FrameAction.Owner);
        last.Rules.Add(new("last-php", "php_cgi", null, FrameAction.Last, FakeCatalog.PhpCore));
        var r = Run(XdebugNullWrite(), last);
        Assert.That((r.Verdict.Owner, r.Verdict.Confidence), Is.EqualTo(("PHP core", Confidence.Low)));
        Assert.That(r.Verdict.ConfidenceReasons, Has.One.Contains("last-resort"));

        var dflt = FakeCatalog.Standard();
        dflt.Rules.RemoveAll(x => x.Action == FrameAction.Owner);
        dflt.Default = FakeCatalog.MakeOwner("app", "Application", "application");
        var d = Run(XdebugNullWrite(), dflt);
        Assert.That((d.Verdict.Owner, d.Verdict.Confidence), Is.EqualTo(("Application", Confidence.Low)));
        Assert.That(d.Verdict.ConfidenceReasons, Has.One.Contains("default"));
    }

    [Test]
    public void Nothing_decides_owner_unknown_with_a_bucket_on_the_first_frame_not_skipped()
    {
        var catalog = FakeCatalog.Standard();
        catalog.Rules.RemoveAll(x => x.Action == FrameAction.Owner);
        var crash = XdebugNullWrite() with
        {
            FaultingThread = new ThreadInfo { Frames = [Frame(0, "ntdll", "RtlpFreeHeap"), Frame(1, "acmehook", "Hook_NtCreateFile"),
                Frame(2, "php8ts", "zend_hash_find")] },
        };
        var r = Run(crash, catalog);
        Assert.That(r.Verdict.Owner, Is.EqualTo("unknown"));
        Assert.That(r.Verdict.Category, Is.EqualTo("unknown"));
        Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low));
        Assert.That(r.Verdict.ConfidenceReasons, Has.One.Contains("no rule decided"));
        Assert.That(r.Verdict.Bucket, Is.EqualTo("NULL_POINTER_WRITE_c0000005_acmehook!Hook_NtCreateFile"));
        Assert.That(r.NextSteps.Select(s => s.Kind), Does.Contain("report"));
        Assert.That(r.NextSteps.Single(s => s.Kind == "report").Text, Does.Contain("No rule knows"));
    }

    [Test]
    public void No_frames_is_low_with_a_reason()
    {
        var r = Run(XdebugNullWrite() with { FaultingThread = null });
        Assert.That(r.Verdict.Owner, Is.EqualTo("unknown"));
        Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low));
        Assert.That(r.Verdict.ConfidenceReasons, Has.One.Contains("no stack frames"));
        Assert.That(r.Verdict.Bucket, Is.EqualTo("NULL_POINTER_WRITE_c0000005"));
    }

    [Test]
    public void Voluntary_exit_owner_none_bucket_on_the_exit_caller_and_max_requests_steps()
    {
        var r = Run(Crashes.PhpCgiExit());
        Assert.Multiple(() =>
        {
            Assert.That(r.Exception!.Class, Is.EqualTo("EXIT"));
            Assert.That(r.Verdict.Owner, Is.EqualTo("none"));
            Assert.That(r.Verdict.Category, Is.EqualTo("none"));
            Assert.That(r.Verdict.OwnerModule, Is.Null);
            Assert.That(r.Verdict.Rule, Is.Null);
            Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.High));
            Assert.That(r.Verdict.Bucket, Is.EqualTo("EXIT_php_cgi!main"));
        });
        var commands = r.NextSteps.Where(s => s.Kind == "exit-config").Select(s => s.Command).ToList();
        Assert.That(commands, Has.Some.Contains("appcmd.exe list config -section:system.webServer/fastCgi"));
        Assert.That(commands, Has.Some.Contains(@"[fullPath='C:\PHP\8.3\php-cgi.exe'].instanceMaxRequests:10000"));
        Assert.That(commands, Has.Some.Contains("name='PHP_FCGI_MAX_REQUESTS',value='10000'"));
        Assert.That(r.NextSteps.First(s => s.Kind == "exit-config").Text,
            Does.Contain("instanceMaxRequests must be less than or equal to PHP_FCGI_MAX_REQUESTS"));
        Assert.That(r.NextSteps.Select(s => s.Kind), Does.Not.Contain("dump"), "no dump to share for a voluntary exit");
    }

    [Test]
    public void Heap_corruption_gets_page_heap_steps_with_the_real_process_name()
    {
        var crash = XdebugNullWrite() with
        {
            Process = new ProcessInfo { Name = "ruby.exe" },
            Exception = new ExceptionInfo { Code = 0xC0000374 },
        };
        var commands = Run(crash).NextSteps.Where(s => s.Kind == "page-heap").Select(s => s.Command).ToList();
        Assert.That(commands, Is.EqualTo(new[] { "gflags /p /enable ruby.exe /full", null, "gflags /p /disable ruby.exe", "gflags /p" }));
    }

    [Test]
    public void Process_name_falls_back_to_the_exe_in_the_module_list()
    {
        var crash = XdebugNullWrite() with { Process = new ProcessInfo(), Exception = new ExceptionInfo { Code = 0xC0000374 } };
        Assert.That(Run(crash).NextSteps.Select(s => s.Command), Does.Contain("gflags /p /enable php-cgi.exe /full"));
    }

    [Test]
    public void Heap_fill_patterns_also_suggest_page_heap() =>
        Assert.That(Run(XdebugNullWrite(target: 0xFEEEFEEEFEEEFEEE)).NextSteps.Select(s => s.Kind), Does.Contain("page-heap"));

    [Test]
    public void A_crash_gets_dump_report_module_and_verbose_steps()
    {
        var steps = Run(XdebugNullWrite()).NextSteps;
        Assert.That(steps.Single(s => s.Kind == "dump").Command, Is.EqualTo(@".dump /ma /u c:\dumps\php-cgi_NULL_POINTER_WRITE.dmp"));
        Assert.That(steps.Single(s => s.Kind == "dump").Url, Is.EqualTo("https://bugs.xdebug.org/"));
        Assert.That(steps.Select(s => s.Command), Does.Contain("lmv m php_xdebug"));
        Assert.That(steps.Last().Command, Is.EqualTo("!fcgi -v"));
    }

    [Test]
    public void Symbol_problems_list_the_faulting_stack_first_with_where_to_get_them()
    {
        var crash = XdebugNullWrite(xdebugSymbols: SymbolStatus.ExportOnly) with
        {
            Modules =
            [
                Module("php-cgi.exe"), Module("php_curl.dll", SymbolStatus.None), Module("php8ts.dll", SymbolStatus.None),
                Module("php_xdebug.dll", SymbolStatus.ExportOnly), Module("php_opcache.dll", SymbolStatus.Mismatched),
            ],
        };
        var s = Run(crash).Symbols;
        Assert.That(s.Missing.Select(m => (m.Module, m.OnFaultingStack)),
            Is.EqualTo(new[] { ("php8ts.dll", true), ("php_curl.dll", false) }));
        Assert.That(s.Missing[0].WhereToGet, Does.Contain("php-debug-pack-8.3.14-Win32-vs16-x64.zip"));
        Assert.That(s.ExportOnly.Single().Module, Is.EqualTo("php_xdebug.dll"));
        Assert.That(s.ExportOnly.Single().WhereToGet, Is.EqualTo("the Xdebug release's PDB"));
        Assert.That(s.Mismatched.Single().Module, Is.EqualTo("php_opcache.dll"));
        Assert.That(s.Mismatched.Single().OnFaultingStack, Is.False);
        // Xdebug's top frame decides: php8ts below it is not-reached, so only the deciding module gets a step.
        var steps = Run(crash).NextSteps.Where(x => x.Kind == "symbols").Select(x => x.Text).ToList();
        Assert.That(steps, Has.Count.EqualTo(1));
        Assert.That(steps[0], Does.StartWith("Get symbols for php_xdebug.dll (export symbols only)"));
    }

    [Test]
    public void Frames_without_functions_and_no_module_list_count_as_missing_symbols()
    {
        var crash = new CrashReport
        {
            Exception = Av(0, 0),
            FaultingThread = new ThreadInfo { Frames = [Frame(0, "php_xdebug", null, 0x1234), Frame(1, "php8ts", "execute_ex")] },
        };
        var r = Run(crash);
        Assert.That(r.Symbols.Missing.Select(m => m.Module), Is.EqualTo(new[] { "php_xdebug" }));
        Assert.That(r.Symbols.Missing[0].WhereToGet, Is.EqualTo("the Xdebug release's PDB"));
        Assert.That(r.Verdict.ConfidenceReasons, Has.One.Contains("no symbols for php_xdebug"));
    }

    [Test]
    public void A_throwing_catalog_gives_an_unknown_verdict_not_an_exception()
    {
        var catalog = FakeCatalog.Standard();
        catalog.ThrowOnWalk = true;
        var r = Run(XdebugNullWrite(), catalog);
        Assert.That(r.Verdict.Owner, Is.EqualTo("unknown"));
        Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low));
        Assert.That(r.Explanation, Has.Some.Contains("catalog walk failed: InvalidOperationException: broken site catalog"));
        Assert.That(r.Frames, Has.Count.EqualTo(6));
    }

    [Test]
    public void Explanation_has_the_exception_each_frame_and_the_verdict()
    {
        var e = Run(XdebugNullWrite()).Explanation;
        Assert.That(e[0], Does.Contain("0xc0000005 STATUS_ACCESS_VIOLATION").And.Contain("NULL_POINTER_WRITE"));
        Assert.That(e, Has.Some.Contains("#00 php_xdebug!xdebug_execute_ex+0x1a: owner by rule xdebug"));
        Assert.That(e, Has.Some.StartsWith("verdict: owner Xdebug (php-extension) by rule xdebug"));
        Assert.That(e.Last(), Is.EqualTo("confidence: high (no reason lowers it)"));
    }

    [Test]
    public void No_exception_and_no_exit_is_low_and_bucketed_as_no_exception()
    {
        var crash = XdebugNullWrite() with { Exception = null };
        var r = Run(crash);
        Assert.That(r.Exception, Is.Null);
        Assert.That(r.Verdict.Bucket, Is.EqualTo("NO_EXCEPTION_php_xdebug!xdebug_execute_ex"));
        Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Low));
    }

    [Test]
    public void Sentinel_and_ignored_frames_in_the_signature_do_not_enter_the_bucket()
    {
        var crash = XdebugNullWrite() with
        {
            FaultingThread = new ThreadInfo { Frames = [Frame(0, "ntdll", "KiUserExceptionDispatcher"),
                Frame(1, "php_xdebug", "xdebug_execute_ex")] },
        };
        var catalog = new FixedWalkCatalog(c =>
        {
            var sentinel = new FrameDecision { Frame = c.Frames[0], Action = FrameAction.Sentinel, RuleId = "s",
                Explanation = "walk starts here" };
            var owner = new FrameDecision { Frame = c.Frames[1], Action = FrameAction.Owner, RuleId = "xdebug", Owner = "Xdebug",
                Explanation = "owner" };
            return new StackWalkResult { Decisions = [sentinel, owner], Deciding = owner, Owner = FakeCatalog.Xdebug, RuleId = "xdebug",
                Strength = FrameAction.Owner, SignatureFrames = [c.Frames[0], c.Frames[1]] };
        });
        Assert.That(Triager.Triage(crash, catalog).Verdict.Bucket, Is.EqualTo("NULL_POINTER_WRITE_c0000005_php_xdebug!xdebug_execute_ex"));
    }

    [Test]
    public void An_address_only_frame_above_the_deciding_frame_lowers_confidence()
    {
        var crash = XdebugNullWrite() with
        {
            FaultingThread = new ThreadInfo { Frames = [new StackFrame { Index = 0, InstructionPointer = 0x1234_5678 },
                Frame(1, "php_xdebug", "xdebug_execute_ex")] },
        };
        var r = Run(crash);
        Assert.That(r.Verdict.Owner, Is.EqualTo("Xdebug"));
        Assert.That(r.Verdict.Confidence, Is.EqualTo(Confidence.Medium));
        Assert.That(r.Verdict.ConfidenceReasons, Has.One.Contains("#00 0x12345678 above the deciding frame is in no module"));
    }
}
