using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using FcgiExt.DbgEng;
using FcgiExt.Extension;
using FcgiExt.Extension.Hosting;
using NUnit.Framework;
using Dbg = FcgiExt.DbgEng.DbgEng;

namespace FcgiExt.Tests.Extension;

/// <summary>The export functions called the way dbgeng calls them (<see cref="ExportCalls"/>).</summary>
public unsafe class ExportTests
{
    [SetUp] public void ResetState() => ExtensionState.Reset();

    static int Fcgi(object e, string args) => ExportCalls.Fcgi(e, args);
    static int FcgiSym(object e, string args) => ExportCalls.FcgiSym(e, args);
    static int FcgiRules(object e, string args) => ExportCalls.FcgiRules(e, args);
    static int Help(object e, string args) => ExportCalls.Help(e, args);

    [Test]
    public void Initialize_reports_version_1_0()
    {
        uint version = 0, flags = 99;
        delegate* unmanaged<uint*, uint*, int> init = &Exports.DebugExtensionInitialize;
        Assert.That(init(&version, &flags), Is.EqualTo(Dbg.S_OK));
        Assert.That((version, flags), Is.EqualTo((0x10000u, 0u)));
    }

    [Test]
    public void Help_lists_every_command_and_prints_with_a_percent_s_format()
    {
        var e = FakeEngine.PhpXdebugCrash();
        Assert.That(Help(e, ""), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.AllText, Does.Contain("!fcgi ").And.Contain("!fcgisym").And.Contain("!fcgirules").And.Contain("!help"));
        Assert.That(e.Output.Select(o => o.Format).Distinct(), Is.EqualTo(new[] { "%s" }));
    }

    [TestCase("-?")]
    [TestCase("/?")]
    public void Fcgi_question_mark_prints_usage(string arg)
    {
        var e = FakeEngine.PhpXdebugCrash();
        Assert.That(Fcgi(e, arg), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.AllText, Does.Contain("!fcgi -json").And.Contain("-offline").And.Contain("-y <dir>"));
    }

    [Test]
    public void Fcgi_shows_every_step_and_the_verdict()
    {
        var e = FakeEngine.PhpXdebugCrash();
        Assert.That(Fcgi(e, "-offline"), Is.EqualTo(Dbg.S_OK));
        var text = e.AllText;
        Assert.That(text, Does.Contain("Symbol set-up"));
        Assert.That(text, Does.Contain("php_xdebug-3.3.1-8.3-vs16-x86_64.dll"), "modules with export-only symbols are named");
        Assert.That(text, Does.Contain("0xc0000005"));
        Assert.That(text, Does.Contain("php_xdebug_3_3_1_8_3_vs16_x86_64!xdebug_execute_ex"));
        Assert.That(text, Does.Contain("Xdebug"));
        Assert.That(text, Does.Contain("bucket"));
        Assert.That(text, Does.Contain(".dump /ma"));
        Assert.That(e.Output.All(o => o.OutputControl == Dbg.DEBUG_OUTCTL_AMBIENT_TEXT), "DML is off: plain text only");
    }

    [Test]
    public void Fcgi_json_prints_the_contract_and_nothing_else()
    {
        var e = FakeEngine.PhpXdebugCrash();
        e.PreferDml = true;
        Assert.That(Fcgi(e, "-json -offline"), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.Output.All(o => o.OutputControl == Dbg.DEBUG_OUTCTL_AMBIENT_TEXT), "JSON is never sent as DML");
        var json = JsonNode.Parse(e.AllText)!.AsObject();
        Assert.That(json["schema_version"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(json["exception"]!["code"]!.GetValue<string>(), Is.EqualTo("0xc0000005"));
        Assert.That(json["verdict"]!["owner"]!.GetValue<string>(), Is.EqualTo("Xdebug"));
        Assert.That(json["frames"]!.AsArray().Count, Is.EqualTo(6));
    }

    [Test]
    public void A_dump_without_an_exception_context_gives_low_confidence_and_says_why()
    {
        var e = FakeEngine.PhpXdebugCrash();
        e.HasContext = false;
        Assert.That(Fcgi(e, "-json -offline"), Is.EqualTo(Dbg.S_OK));
        var verdict = JsonNode.Parse(e.AllText)!["verdict"]!;
        Assert.That(verdict["confidence"]!.GetValue<string>(), Is.EqualTo("low"));
        Assert.That(verdict["confidence_reasons"]!.AsArray().Select(n => n!.GetValue<string>()),
            Has.Some.Contains("the stack is the thread that reported the crash, not the one that faulted"));
    }

    [Test]
    public void Fcgi_twice_gives_the_same_answer()
    {
        var first = FakeEngine.PhpXdebugCrash();
        var second = FakeEngine.PhpXdebugCrash();
        Fcgi(first, "-json -offline");
        Fcgi(second, "-json -offline");
        Fcgi(second, "-json -offline");
        var a = first.AllText;
        var b = second.AllText;
        Assert.That(b, Is.EqualTo(a + a));
    }

    [Test]
    public void Symbol_step_adds_the_microsoft_server_and_y_folders_and_turns_on_lines()
    {
        var e = FakeEngine.PhpXdebugCrash();
        e.SymbolPath = @"C:\mysyms";
        Assert.That(FcgiSym(e, @"-y C:\php-debug-pack"), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.SymbolPath, Does.StartWith(@"C:\mysyms;C:\php-debug-pack;"));
        Assert.That(e.SymbolPath, Does.Contain("*https://msdl.microsoft.com/download/symbols"));
        Assert.That(e.SymbolOptions & Dbg.SYMOPT_LOAD_LINES, Is.Not.Zero);
        Assert.That(e.ImagePath, Is.EqualTo(@"C:\mysyms;C:\php-debug-pack"),
            "minidumps hold no images: local symbol folders double as the image path");
        Assert.That(e.AllText, Does.Contain("export only").And.Contain("php_xdebug-3.3.1-8.3-vs16-x86_64.dll"));
    }

    [Test]
    public void Offline_never_adds_the_server()
    {
        var e = FakeEngine.PhpXdebugCrash();
        Assert.That(FcgiSym(e, "-offline"), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.SymbolPath, Does.Not.Contain("msdl"));
    }

    [TestCase("-bogus", "unknown option -bogus")]
    [TestCase("extra", "unexpected argument 'extra'")]
    [TestCase("-y", "-y needs a value")]
    [TestCase("-y \"C:\\unterminated", "unbalanced double quote")]
    public void Bad_arguments_give_one_error_line_and_E_INVALIDARG(string args, string message)
    {
        var e = FakeEngine.PhpXdebugCrash();
        Assert.That(Fcgi(e, args), Is.EqualTo(Dbg.E_INVALIDARG));
        var errors = e.Output.Where(o => o.Mask == Dbg.DEBUG_OUTPUT_ERROR).ToList();
        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0].Text, Does.StartWith("!fcgi: ").And.Contain(message).And.EndWith("\n"));
        Assert.That(errors[0].Text.TrimEnd('\n'), Does.Not.Contain("\n"));
    }

    [Test]
    public void An_engine_that_fails_every_call_gets_an_HRESULT_and_one_line_never_an_exception()
    {
        var e = FakeEngine.PhpXdebugCrash();
        e.FailEverything = unchecked((int)0x8000FFFF);
        int hr = Fcgi(e, "");   // the symbol step must set the path: SetSymbolPathWide fails
        Assert.That(hr, Is.EqualTo(unchecked((int)0x8000FFFF)));
        var errors = e.Output.Where(o => o.Mask == Dbg.DEBUG_OUTPUT_ERROR).ToList();
        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0].Text, Does.StartWith("!fcgi: "));
    }

    [Test]
    public void Ctrl_break_interrupts_with_HRESULT_cancelled()
    {
        var e = FakeEngine.PhpXdebugCrash();
        e.Interrupt = true;
        Assert.That(Fcgi(e, "-offline"), Is.EqualTo(Dbg.HRESULT_CANCELLED));
        Assert.That(e.AllText, Does.Contain("interrupted"));
    }

    [Test]
    public void A_pointer_that_is_no_debugger_client_is_refused()
    {
        int hr = Fcgi(new NotAnEngine(), "");
        Assert.That(hr, Is.EqualTo(unchecked((int)0x80004002)));
    }

    [Test]
    public void Dml_output_escapes_text_from_the_dump()
    {
        var e = FakeEngine.PhpXdebugCrash();
        e.PreferDml = true;
        e.Frames[0] = e.Frames[0] with { Name = "evil!f<exec cmd=\".shell calc\">x</exec>" };
        Assert.That(Fcgi(e, "-offline"), Is.EqualTo(Dbg.S_OK));
        var dml = string.Concat(e.Output.Where(o => o.OutputControl == Dbg.DEBUG_OUTCTL_AMBIENT_DML).Select(o => o.Text));
        Assert.That(dml, Does.Contain("&lt;exec cmd=&quot;.shell calc&quot;&gt;"));
        Assert.That(dml, Does.Not.Contain("<exec cmd=\".shell"));
        Assert.That(dml, Does.Contain("<exec cmd=\"!fcgi -v\">"), "the renderer's own commands are links");
    }

    [Test]
    public void Rules_load_reports_line_and_column_of_a_broken_file_and_the_session_goes_on()
    {
        var dir = Path.Combine(Path.GetTempPath(), "fcgiext-rules-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        try
        {
            var broken = Path.Combine(dir, "broken.yaml");
            File.WriteAllText(broken, "rules:\n  - id: x\n    match: {module: [unclosed\n");
            var e = FakeEngine.PhpXdebugCrash();
            Assert.That(FcgiRules(e, $"-load \"{broken}\""), Is.EqualTo(Dbg.S_FALSE));
            Assert.That(e.AllText, Does.Match(@"broken\.yaml:\d+:\d+: "));
            Assert.That(e.AllText, Does.Contain("not loaded"));

            var again = FakeEngine.PhpXdebugCrash();
            Assert.That(Fcgi(again, "-json -offline"), Is.EqualTo(Dbg.S_OK), "the session keeps working");
            Assert.That(JsonNode.Parse(again.AllText)!["verdict"]!["owner"]!.GetValue<string>(), Is.EqualTo("Xdebug"));

            var site = Path.Combine(dir, "site.yaml");
            File.WriteAllText(site, """
                owners:
                  - id: our-team
                    name: Our PHP team
                    category: application
                rules:
                  - id: site-xdebug-is-ours
                    match: { module: "php_xdebug*", function: "xdebug_execute_ex" }
                    action: owner
                    owner: our-team
                """);
            var e3 = FakeEngine.PhpXdebugCrash();
            Assert.That(FcgiRules(e3, $"-load {site}"), Is.EqualTo(Dbg.S_OK));
            var e4 = FakeEngine.PhpXdebugCrash();
            Fcgi(e4, "-json -offline");
            Assert.That(JsonNode.Parse(e4.AllText)!["verdict"]!["owner"]!.GetValue<string>(), Is.EqualTo("Our PHP team"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void Rules_explain_names_the_deciding_rule()
    {
        var e = FakeEngine.PhpXdebugCrash();
        Assert.That(FcgiRules(e, "-explain php_xdebug.dll!xdebug_execute_ex ucrtbase!memcpy"), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.AllText, Does.Contain("xdebug_execute_ex").And.Contain("memcpy"));
        Assert.That(FcgiRules(FakeEngine.PhpXdebugCrash(), "-explain"), Is.EqualTo(Dbg.E_INVALIDARG));
    }

    [Test]
    public void Bare_rules_shows_the_files_and_counts()
    {
        var e = FakeEngine.PhpXdebugCrash();
        Assert.That(FcgiRules(e, ""), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.AllText, Does.Contain("builtin/").And.Contain("rules"));
    }

    [Test]
    public void Long_output_goes_out_in_pieces_the_engine_does_not_cut()
    {
        var e = FakeEngine.PhpXdebugCrash();
        for (int i = 0; i < 150; i++)
            e.Frames.Insert(1, new FakeFrame(0x180020000UL + (ulong)i * 16, $"php8ts!execute_ex_helper_{i}", 8,
                @"C:\php-src\Zend\zend_vm_execute.h", (uint)i));
        Assert.That(Fcgi(e, "-json -offline"), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.Output, Has.All.Matches<FakeEngine.Printed>(o => o.Text.Length <= FcgiExt.Extension.Hosting.DebuggerOutput.MaxChunk));
        Assert.That(e.Output.Count, Is.GreaterThan(1));
        Assert.That(JsonNode.Parse(e.AllText)!["frames"]!.AsArray().Count, Is.EqualTo(156), "the pieces join into the whole JSON");
    }
}
