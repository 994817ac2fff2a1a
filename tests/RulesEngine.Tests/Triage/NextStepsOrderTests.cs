using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;
using static FcgiExt.Tests.Triage.Crashes;

namespace FcgiExt.Tests.Triage;

/// <summary>The next steps in the order that helps (issue 11): the verdict's own action first, then the class's steps,
/// then symbols only for what the verdict was read from (Microsoft's DLLs in one step), and forms for readers
/// outside the debugger. Run against the built-in catalog, whose owners say which symbols Microsoft serves.</summary>
public class NextStepsOrderTests
{
    static readonly Lazy<RuleCatalog> BuiltIn = new(RuleCatalog.LoadBuiltIn);

    static TriageResult Run(CrashReport crash) => Triager.Triage(crash, BuiltIn.Value);

    static List<string> Kinds(TriageResult r) => r.NextSteps.Select(s => s.Kind).ToList();

    /// <summary>An access violation inside ntdll called by php_redis: ntdll and kernelbase above the deciding frame.</summary>
    static CrashReport RedisThroughWindows(SymbolStatus redisSymbols = SymbolStatus.PrivatePdb) => new()
    {
        Process = new ProcessInfo { Name = "php-cgi.exe", Architecture = Architecture.X64 },
        Exception = Av(0, 0x18, 0x7ffb00001000),
        FaultingThread = new ThreadInfo
        {
            Frames =
            [
                Frame(0, "ntdll", "RtlEnterCriticalSection", 0x12),
                Frame(1, "kernelbase", "EnterCriticalSection", 0x20),
                Frame(2, "php_redis", "redis_sock_read", 0x40),
                Frame(3, "php8ts", "execute_ex", 0x51),
                Frame(4, "php_curl", "curl_exec_impl", 0x10),
            ],
        },
        Modules =
        [
            Module("php-cgi.exe"), Module("php_redis.dll", redisSymbols), Module("php8ts.dll", SymbolStatus.None),
            Module("php_curl.dll", SymbolStatus.None), Module("ntdll.dll", SymbolStatus.ExportOnly),
            Module("kernelbase.dll", SymbolStatus.ExportOnly), Module("kernel32.dll", SymbolStatus.ExportOnly),
        ],
        Source = new DataSource { Kind = "dbgeng", Path = @"C:\dumps\php-cgi_1.dmp" },
    };

    [Test]
    public void Report_to_the_owner_comes_first_then_the_dump_then_symbols_then_the_reasoning()
    {
        var r = Run(RedisThroughWindows(SymbolStatus.ExportOnly));
        Assert.That(r.Verdict.Owner, Is.EqualTo("PhpRedis"));
        var kinds = Kinds(r);
        Assert.That(kinds[0], Is.EqualTo("report"));
        Assert.That(kinds.IndexOf("dump"), Is.LessThan(kinds.IndexOf("symbols")));
        Assert.That(kinds.Last(), Is.EqualTo("verbose"));
        Assert.That(r.NextSteps[0].Text, Does.Contain("https://github.com/phpredis/phpredis"));
    }

    [Test]
    public void Microsoft_dlls_get_one_symbol_step_and_frames_below_the_deciding_frame_get_none()
    {
        var r = Run(RedisThroughWindows(SymbolStatus.ExportOnly));
        var symbols = r.NextSteps.Where(s => s.Kind == "symbols").ToList();
        var microsoft = symbols.Single(s => s.Command == @".symfix+ c:\symbols; .reload");
        Assert.That(microsoft.Text, Does.Contain("ntdll").And.Contain("kernelbase"));
        Assert.That(microsoft.Runs, Is.EqualTo(NextStep.InDebugger));
        Assert.That(symbols.Where(s => s != microsoft).Select(s => s.Text), Has.One.StartWith("Get symbols for php_redis.dll"));
        // php8ts and php_curl lack symbols too, but only below the deciding frame: they cannot change the verdict.
        Assert.That(symbols.Select(s => s.Text),
            Has.None.StartWith("Get symbols for php8ts").And.None.StartWith("Get symbols for php_curl"));
        // kernel32 is loaded without symbols but is on no frame at all.
        Assert.That(microsoft.Text, Does.Not.Contain("kernel32"));
    }

    [Test]
    public void Outside_the_debugger_the_steps_name_fcgi_commands_and_label_debugger_ones()
    {
        var r = Run(RedisThroughWindows(SymbolStatus.ExportOnly));
        var verbose = r.NextSteps.Single(s => s.Kind == "verbose");
        Assert.That(verbose.Command, Is.EqualTo("!fcgi -v"));
        Assert.That(verbose.Outside!.Command, Is.EqualTo(@"fcgi triage -v C:\dumps\php-cgi_1.dmp"));
        var microsoft = r.NextSteps.Single(s => s.Command == @".symfix+ c:\symbols; .reload");
        Assert.That(microsoft.Outside!.Command, Does.StartWith("fcgi triage --sympath <folder> "));

        var text = TextRenderer.Render(r);
        Assert.That(text, Does.Contain(@"fcgi triage -v C:\dumps\php-cgi_1.dmp"));
        Assert.That(text, Does.Contain(@"in WinDbg: .dump /ma /u c:\dumps\php-cgi_NULL_POINTER_READ.dmp"));
        Assert.That(text, Does.Not.Contain("see the symbols list"));
        var inDebugger = new StringWriter();
        TextRenderer.Render(r, new TextWriterOutput(inDebugger), outsideDebugger: false);
        Assert.That(inDebugger.ToString(), Does.Contain("!fcgi -v").And.Not.Contain("in WinDbg:"));
    }

    [Test]
    public void A_voluntary_exit_starts_with_the_instanceMaxRequests_fix_and_says_it_is_not_a_crash()
    {
        var r = Run(PhpCgiExit());
        Assert.That(r.Exception!.Class, Is.EqualTo(ExceptionClassifier.Exit));
        Assert.That(r.NextSteps[0].Kind, Is.EqualTo("exit-config"));
        Assert.That(r.NextSteps[0].Runs, Is.EqualTo(NextStep.AtPrompt));
        var text = TextRenderer.Render(r);
        Assert.That(text, Does.Contain(RenderFormat.NotACrash));
        Assert.That(text, Does.Not.Contain("none (none)"));
    }

    [Test]
    public void A_heap_class_puts_page_heap_first()
    {
        var crash = RedisThroughWindows() with
        {
            Exception = new ExceptionInfo { Code = ExceptionCodes.HeapCorruption, Address = 0x7ffb00001000 },
        };
        var r = Run(crash);
        Assert.That(Kinds(r).TakeWhile(k => k == "page-heap").Count(), Is.EqualTo(4), string.Join(" | ", Kinds(r)));
        Assert.That(r.NextSteps[0].Command, Does.StartWith("gflags /p /enable php-cgi.exe"));
    }

    [Test]
    public void Step_lines_never_join_a_full_stop_and_a_colon()
    {
        Assert.That(RenderFormat.StepLine("Save a dump.", null, ".dump /ma x"), Is.EqualTo("Save a dump. Run: .dump /ma x"));
        Assert.That(RenderFormat.StepLine("Save a dump.", "in WinDbg:", ".dump /ma x"), Is.EqualTo("Save a dump. In WinDbg: .dump /ma x"));
        Assert.That(RenderFormat.StepLine("Compare the two:", null, "appcmd list"), Is.EqualTo("Compare the two: appcmd list"));
        Assert.That(RenderFormat.StepLine("See why", null, "!fcgi -v"), Is.EqualTo("See why: !fcgi -v"));
    }
}

/// <summary>A debugger's breakpoint on the exit function (fcgi capture's live exit stop) is the exit, not a crash.</summary>
public class ExitBreakpointTests
{
    static readonly Lazy<RuleCatalog> BuiltIn = new(RuleCatalog.LoadBuiltIn);

    static CrashReport AtExitBreakpoint(ulong displacement) => new()
    {
        Process = new ProcessInfo { Name = "php-cgi.exe", Architecture = Architecture.X64 },
        Exception = new ExceptionInfo { Code = ExceptionCodes.Breakpoint, Address = 0x170031e90 },
        FaultingThread = new ThreadInfo
        {
            Frames =
            [
                Frame(0, "ntdll", "RtlExitUserProcess", displacement),
                Frame(1, "kernel32", "ExitProcess", 0xa),
                Frame(2, "msvcrt", "exit", 0x1c),
                Frame(3, "php_cgi", "main", 0x99),
            ],
        },
        Modules = [Module("php-cgi.exe"), Module("ntdll.dll", SymbolStatus.ExportOnly), Module("kernel32.dll", SymbolStatus.ExportOnly)],
        Source = new DataSource { Kind = "dbgeng", Path = "exit.dmp" },
    };

    [Test]
    public void A_breakpoint_at_the_entry_of_RtlExitUserProcess_is_the_exit_it_catches()
    {
        var r = Triager.Triage(AtExitBreakpoint(0), BuiltIn.Value);
        Assert.That(r.Exception!.Class, Is.EqualTo(ExceptionClassifier.Exit));
        Assert.That(r.Verdict.Owner, Is.EqualTo(Triager.NoOwner));
        Assert.That(r.Crash.Source.Notes, Has.Some.Contains("debugger's exit breakpoint"));
    }

    [Test]
    public void A_breakpoint_inside_the_function_stays_a_breakpoint()
    {
        var r = Triager.Triage(AtExitBreakpoint(0x24), BuiltIn.Value);
        Assert.That(r.Exception!.Class, Is.EqualTo(ExceptionClassifier.Breakpoint));
    }
}

public class LiveVerdictTests
{
    [Test]
    public void A_live_stop_says_so_and_offers_the_dump_now()
    {
        var crash = Crashes.XdebugNullWrite() with { Source = new DataSource { Kind = "dbgeng", Live = true } };
        var r = Triager.Triage(crash, RuleCatalog.LoadBuiltIn());
        var dump = r.NextSteps.Single(s => s.Kind == "dump");
        Assert.That(dump.Text, Does.StartWith("Write the full dump now, while the process is stopped here"));
        Assert.That(dump.Text, Does.EndWith("with Xdebug: https://bugs.xdebug.org/"));
        Assert.That(TextRenderer.Render(r), Does.Contain("a live process stopped in the debugger"));
        Assert.That(JsonRenderer.Render(r), Does.Contain("\"live\": true"));
    }
}

public class ExplainWordingTests
{
    [TestCase(0xC0000005u)]
    [TestCase(0xC0000409u)]
    [TestCase(0xC0000374u)]
    [TestCase(0xC00000FDu)]
    [TestCase(0xE06D7363u)]
    [TestCase(0xC0000135u)]
    [TestCase(255u)]
    public void Explaining_a_bare_code_never_talks_about_a_record(uint code)
    {
        var e = ExitCodeExplainer.Explain(code, ExceptionCodes.Hex(code), "hexadecimal", "php-cgi.exe");
        var all = string.Join("\n", new[] { e.Name, e.Detail ?? "" }.Concat(e.NextSteps.Select(s => s.Text)));
        Assert.That(all, Does.Not.Contain("record"), all);
    }
}
