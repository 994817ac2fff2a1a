using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;
using static FcgiExt.Tests.Triage.Crashes;

namespace FcgiExt.Tests.Triage;

/// <summary>Triage against the real built-in catalog (RuleCatalog), not the test fake.</summary>
public class TriageWithBuiltInCatalogTests
{
    static readonly Lazy<RuleCatalog> BuiltIn = new(RuleCatalog.LoadBuiltIn);

    static TriageResult Run(CrashReport crash) => Triager.Triage(crash, BuiltIn.Value);

    [Test]
    public void The_issue_example_xdebug_null_write()
    {
        var r = Run(XdebugNullWrite());
        Assert.That(r.Verdict.Owner, Is.EqualTo("Xdebug"));
        Assert.That(r.Verdict.Category, Is.EqualTo("php-extension"));
        Assert.That(r.Verdict.Bucket, Is.EqualTo("NULL_POINTER_WRITE_c0000005_php_xdebug!xdebug_execute_ex"));
        Assert.That(r.Verdict.Rule, Is.Not.Null);
        Assert.That(r.Verdict.ReportUrl, Is.EqualTo("https://bugs.xdebug.org/"));
    }

    [Test]
    public void Versioned_xdebug_dll_by_engine_name_is_still_xdebug_and_buckets_by_image_name()
    {
        var crash = XdebugNullWrite() with
        {
            FaultingThread = new ThreadInfo { Frames =
            [
                Frame(0, "ntdll", "KiUserExceptionDispatcher"),
                Frame(1, "php_xdebug_3_3_1_8_3_vs16_x86_64", "xdebug_execute_ex"),
                Frame(2, "php8ts", "execute_ex"),
            ] },
            Modules = [Module("php-cgi.exe"), Module("php8ts.dll"), Module("php_xdebug-3.3.1-8.3-vs16-x86_64.dll"), Module("ntdll.dll")],
        };
        var r = Run(crash);
        Assert.That(r.Verdict.Owner, Is.EqualTo("Xdebug"));
        Assert.That(r.Verdict.OwnerModule, Is.EqualTo("php_xdebug-3.3.1-8.3-vs16-x86_64.dll"));
        Assert.That(r.Verdict.Bucket, Is.EqualTo("NULL_POINTER_WRITE_c0000005_php_xdebug_3_3_1_8_3_vs16_x86_64!xdebug_execute_ex"));
    }

    [Test]
    public void Crt_and_windows_frames_are_skipped_down_to_the_extension()
    {
        var crash = XdebugNullWrite() with
        {
            Exception = Av(0, 0),
            FaultingThread = new ThreadInfo { Frames =
            [
                Frame(0, "ucrtbase", "strlen"),
                Frame(1, "php_mbstring", "php_mb_convert_encoding"),
                Frame(2, "php8ts", "execute_ex"),
            ] },
            Modules = [Module("php-cgi.exe"), Module("php8ts.dll"), Module("php_mbstring.dll"), Module("ucrtbase.dll")],
        };
        var r = Run(crash);
        Assert.That(r.Frames[0].Action, Is.EqualTo(FrameAction.Ignore));
        Assert.That(r.Verdict.OwnerModule, Is.EqualTo("php_mbstring.dll"));
        Assert.That(r.Verdict.Bucket, Is.EqualTo("NULL_POINTER_READ_c0000005_php_mbstring!php_mb_convert_encoding"));
    }

    [Test]
    public void Php_cgi_exit_is_a_voluntary_exit_with_the_max_requests_advice()
    {
        var r = Run(PhpCgiExit());
        Assert.That(r.Exception!.Class, Is.EqualTo("EXIT"));
        Assert.That((r.Verdict.Owner, r.Verdict.Category), Is.EqualTo(("none", "none")));
        Assert.That(r.Verdict.Bucket, Is.EqualTo("EXIT_php_cgi!main"));
        Assert.That(r.NextSteps.Select(s => s.Command), Has.Some.Contains("instanceMaxRequests"));
    }

    [Test]
    public void Php_debug_pack_symbols_advice_for_php8ts_without_symbols()
    {
        var crash = XdebugNullWrite() with
        {
            FaultingThread = new ThreadInfo { Frames = [Frame(0, "php8ts", null, 0x2f1c5), Frame(1, "php_cgi", "main")] },
            Modules =
            [
                Module("php-cgi.exe"),
                Module("php8ts.dll", SymbolStatus.ExportOnly) with { FileVersion = "8.3.14.0", Path = @"C:\PHP\php8ts.dll" },
            ],
        };
        var r = Run(crash);
        Assert.That(r.Verdict.Category, Is.EqualTo("php-core"));
        Assert.That(r.Symbols.ExportOnly.Single().Module, Is.EqualTo("php8ts.dll"));
        Assert.That(r.Symbols.ExportOnly.Single().WhereToGet, Does.Contain("php-debug-pack-8.3.14"));
        Assert.That(r.Verdict.Confidence, Is.Not.EqualTo(Confidence.High));
    }

    [Test]
    public void Every_renderer_works_on_built_in_results()
    {
        var r = Run(XdebugNullWrite(xdebugSymbols: SymbolStatus.ExportOnly));
        Assert.That(TextRenderer.Render(r, verbose: true), Does.Contain("Xdebug"));
        Assert.That(TextRenderer.Render(r, dml: true), Does.Contain("<exec cmd=\"!fcgi -v\">"));
        Assert.That(JsonRenderer.Render(r), Does.Contain("\"owner\": \"Xdebug\""));
        Assert.That(MarkdownRenderer.Render(r), Does.Contain("Xdebug"));
        Assert.That(HtmlRenderer.Render(r), Does.Contain("Xdebug"));
    }
}
