using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

public class RubyCrashReportReaderTests
{
    static readonly string[] HandlerFunctions =
        ["rb_vm_bugreport", "rb_bug_for_fatal_signal", "rb_bug_context", "rb_bug", "sigsegv", "_C_specific_handler", "KiUserExceptionDispatcher", "RtlRaiseException", "WaitForSingleObjectEx"];

    [Test]
    public void Grpc_handler_frames_are_dropped_and_frame_zero_is_the_fault()
    {
        var r = Fixture.Read("grpc-34706-ruby32-grpc-segv.txt");
        Assert.Multiple(() =>
        {
            Assert.That(r.Source.Kind, Is.EqualTo("ruby-crash-report"));
            Assert.That(r.Process.Name, Is.EqualTo("ruby.exe"));
            Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X64));
            Assert.That(r.Frames.Select(f => f.Function), Has.None.AnyOf(HandlerFunctions));
            Assert.That(r.Frames[0].InstructionPointer, Is.EqualTo(0xffffffff99680000UL), "the fault is a jump to a bad address");
            Assert.That(r.Frames[1].Module, Is.EqualTo(ModuleNames.EngineName("grpc_c.64-ucrt.ruby")));
            Assert.That(r.Frames[1].Function, Is.EqualTo("Z15grpc_iomgr_initv"));
            Assert.That(r.Frames[1].Displacement, Is.EqualTo(0xc0UL));
            Assert.That(r.Exception!.Code, Is.EqualTo(0xC0000005u));
            Assert.That(r.Source.Notes, Has.Some.Contains("inferred"));
            Assert.That(r.Source.Notes, Has.Some.Contains("dropped the 10 frame(s)"));
            Assert.That(r.FindModule("grpc_c.64-ucrt.ruby")!.Path, Does.Contain(@"gems\grpc-1.58.0-x64-mingw-ucrt"));
        });
    }

    [TestCase("pcaprub-56-ruby22-pcaprub-segv.txt", "pcaprub_c", "Init_pcaprub_c")]
    [TestCase("win32-eventlog-4-ruby20-segv.txt", "ntdll", "NtdllDialogWndProc_W")]
    public void Windows_handler_frames_are_dropped(string file, string module, string function)
    {
        var r = Fixture.Read(file);
        Assert.That(r.Frames[0].Module, Is.EqualTo(module));
        Assert.That(r.Frames[0].Function, Is.EqualTo(function));
        Assert.That(r.Frames.Select(f => f.Function), Has.None.AnyOf(HandlerFunctions));
        Assert.That(r.Frames.Select(f => f.Index), Is.EqualTo(Enumerable.Range(0, r.Frames.Count)), "frames are renumbered from 0");
    }

    [Test]
    public void Linux_report_drops_reporter_and_signal_trampoline()
    {
        var r = Fixture.Read("mysql2-1360-ruby26-linux-segv.txt");
        Assert.That(r.Frames[0].InstructionPointer, Is.EqualTo(0x7a62ecda6390UL));
        Assert.That(r.Frames.Select(f => f.InstructionPointer), Has.None.EqualTo(0x7a62f0842520UL), "the trampoline after sigsegv is not the crash");
        Assert.That(r.Frames.Select(f => f.Function), Has.None.AnyOf(HandlerFunctions));
    }

    [Test]
    public void Segfault_at_address_and_wrapped_frame_line()
    {
        var text = "-e:1: [BUG] Segmentation fault at 0x0000000000000000\n" +
                   "ruby 3.1.2p20 (2022-04-12 revision 4491bb740a) [x64-mingw-ucrt]\n\n" +
                   "-- C level backtrace information -------------------------------------------\n" +
                   @"C:\Ruby31-x64\bin\x64-ucrt-ruby310.dll(rb_vm_bugreport+0x1f4) [0x00007ffb3c1b4a24]" + "\n" +
                   @"C:\Ruby31-x64\bin\x64-ucrt-ruby310.dll(rb_bug_for_fatal_signal+0x7b) [0x00007ffb3c0" + "\n" +
                   "2f11b]\n" +
                   @"C:\WINDOWS\SYSTEM32\ntdll.dll(KiUserExceptionDispatcher+0x2e) [0x00007ffb4f4a0ebe]" + "\n" +
                   @"C:\Ruby31-x64\lib\ruby\gems\3.1.0\gems\nokogiri-1.13.6-x64-mingw-ucrt\lib\nokogiri\3.1\nokogiri.so(xmlFreeDoc+0x12) [0x00007ffb2a001234]" + "\n" +
                   @"C:\WINDOWS\SYSTEM32\ntdll.dll(RtlUserThreadStart+0x21) [0x00007ffb4f4226b1]" + "\n\n" +
                   "-- Other runtime information -----------------------------------------------\n";
        var r = DebuggerText.Read(text);
        Assert.That(r.Frames.Select(f => f.Display), Is.EqualTo(new[] { "nokogiri!xmlFreeDoc+0x12", "ntdll!RtlUserThreadStart+0x21" }));
        Assert.That(r.Source.Notes, Has.Some.Contains("0x0000000000000000"));
        Assert.That(r.Source.SkippedLines, Is.Empty, "the wrapped line was rejoined, not skipped");
    }
}

public class DebugDiagReaderTests
{
    [TestCase("synthetic-debugdiag-report.html")]
    [TestCase("synthetic-debugdiag-text.txt")]
    public void Faulting_thread_table_summary_and_exception(string file)
    {
        var r = Fixture.Read(file);
        Assert.Multiple(() =>
        {
            Assert.That(r.Source.Kind, Is.EqualTo("debugdiag"));
            Assert.That(r.Process.Name, Is.EqualTo("php-cgi.exe"));
            Assert.That(r.Process.ProcessId, Is.EqualTo(5180u));
            Assert.That(r.Exception!.Code, Is.EqualTo(0xC0000005u));
            Assert.That(r.Exception.Access, Is.EqualTo(AccessKind.Read));
            Assert.That(r.Exception.TargetAddress, Is.EqualTo(0x10UL));
            Assert.That(r.Exception.FirstChance, Is.False);
            Assert.That(r.FaultingThread!.Index, Is.EqualTo(5), "the thread the summary names, not thread 0");
            Assert.That(r.FaultingThread.Id, Is.EqualTo(4236u));
            Assert.That(r.Frames.Select(f => f.Display), Is.EqualTo(new[]
            {
                "php5ts!zend_hash_find+0x1f", "php5ts!zend_fetch_class+0x5b", "php_wincache!wincache_fcache_fileinfo+0x114", "0x6d6a0051", "php5ts!execute+0x2c1",
            }));
            Assert.That(r.Frames[0].SourceLine, Is.EqualTo(867));
            Assert.That(r.FindModule("php5ts")!.Path, Is.EqualTo(@"C:\PHP\php5ts.dll"));
            Assert.That(r.Source.SkippedLines, Is.Empty);
        });
    }

    [Test]
    public void Html_tags_and_entities_are_stripped()
    {
        var text = DebuggerText.HtmlToText("<table><tr><td>a&amp;b</td><td>&lt;c&gt;&nbsp;&quot;d&quot;</td></tr>\n<tr><td>line<br/>two</td></tr></table><script>var x = '<td>';</script>");
        Assert.That(text.Split('\n'), Is.EqualTo(new[] { "a&b <c> \"d\"", "line", "two" }));
    }

    [Test]
    public void Real_html_paste_with_a_cut_summary_sentence()
    {
        var r = Fixture.Read("php-src-16900-debugdiag-html-msvcp140.txt");
        Assert.That(r.Source.Kind, Is.EqualTo("debugdiag"));
        Assert.That(r.Process.Name, Is.EqualTo("httpd.exe"));
        Assert.That(r.Exception!.Code, Is.EqualTo(0xC0000005u));
        Assert.That(r.Exception.Access, Is.EqualTo(AccessKind.Read));
        Assert.That(r.Frames.Single().Display, Is.EqualTo("msvcp140!mtx_do_lock+0x9c"));
        Assert.That(r.FindModule("msvcp140")!.Path, Is.EqualTo(@"C:\xampp\apache\bin\msvcp140.dll"));
    }

    [Test]
    public void Real_quoted_summary_with_spaces_in_the_dump_name_and_a_bare_call_site_list()
    {
        var r = Fixture.Read("mongo-php-driver-456-debugdiag-bson-destroy.txt");
        Assert.Multiple(() =>
        {
            Assert.That(r.Process.Name, Is.EqualTo("httpd.exe"));
            Assert.That(r.Process.ProcessId, Is.EqualTo(2252u));
            Assert.That(r.Exception!.Code, Is.EqualTo(0xC0000005u));
            Assert.That(r.Exception.TargetAddress, Is.EqualTo(0UL));
            Assert.That(r.Frames, Has.Count.EqualTo(8), "the pasted call-site list, not just the summary frame");
            Assert.That(r.Frames[0].Display, Is.EqualTo("php_mongodb!bson_destroy+0x5b"));
            Assert.That(r.Frames[3].Display, Is.EqualTo("php_mongodb+0x355d"));
            Assert.That(r.Frames[7].Display, Is.EqualTo("php7ts!execute_ex+0x44"));
            Assert.That(r.FindModule("php_mongodb")!.Path, Is.EqualTo(@"C:\mongodb\php\ext\php_mongodb.dll"));
            Assert.That(r.Source.SkippedLines, Is.Empty);
        });
    }

    [Test]
    public void Two_function_names_in_prose_are_not_a_stack()
    {
        var r = DebuggerText.Read("I think php5ts!zend_hash_find+0x1f\nor php_xdebug!xdebug_execute+0x2 is to blame.\n");
        Assert.That(r.Frames, Is.Empty);
    }
}
