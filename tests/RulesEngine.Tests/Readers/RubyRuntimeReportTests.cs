using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>The Ruby reader fills CrashReport.Runtime: the [BUG] line's file and the script frames, newest first.</summary>
public class RubyRuntimeReportTests
{
    static ScriptFrame Native(string function) => new() { Function = function, IsNative = true };
    static ScriptFrame Script(string file, int line, string? function = null) => new() { File = file, Line = line, Function = function };

    const string CHeader = "-- C level backtrace information -------------------------------------------\n";
    const string ControlHeader = "-- Control frame information -----------------------------------------------\n";
    const string RubyHeader = "-- Ruby level backtrace information ----------------------------------------\n";

    [Test]
    public void Win32Eventlog_fixture_has_the_bug_file_and_the_control_frames_newest_first()
    {
        var runtime = Fixture.Read("win32-eventlog-4-ruby20-segv.txt").Runtime!;
        Assert.That(runtime.BugFile, Is.EqualTo("C:/Ruby/lib/ruby/gems/2.0.0/gems/windows-pr-1.2.2/lib/windows/error.rb"),
            "the line number after the .rb file is not part of the file");
        Assert.That(runtime.ScriptFrames, Is.EqualTo(new[]
        {
            Native("call"),
            Script("C:/Ruby/lib/ruby/gems/2.0.0/gems/windows-pr-1.2.2/lib/windows/error.rb", 448),
            Script("C:/Ruby/lib/ruby/gems/2.0.0/gems/win32-eventlog-0.5.3/lib/win32/eventlog.rb", 754),
        }));
    }

    [Test]
    public void Grpc_fixture_has_the_bug_file_and_no_script_frames()
    {
        var runtime = Fixture.Read("grpc-34706-ruby32-grpc-segv.txt").Runtime!;
        Assert.That(runtime.BugFile,
            Is.EqualTo("C:/Ruby32-x64/lib/ruby/gems/3.2.0/gems/gapic-common-0.20.0/lib/gapic/grpc/service_stub.rb"));
        Assert.That(runtime.ScriptFrames, Is.Empty);
    }

    [TestCase("mysql2-1360-ruby26-linux-segv.txt")]
    [TestCase("pcaprub-56-ruby22-pcaprub-segv.txt")]
    public void Excerpts_with_only_the_C_backtrace_are_a_runtime_report_without_file_or_frames(string file)
    {
        var crash = Fixture.Read(file);
        Assert.That(crash.Source.Kind, Is.EqualTo("ruby-crash-report"));
        Assert.That(crash.Runtime, Is.TypeOf<RuntimeReport>(), "the C backtrace alone is Ruby's crash report");
        Assert.That(crash.Runtime!.BugFile, Is.Null);
        Assert.That(crash.Runtime.ScriptFrames, Is.Empty);
    }

    [TestCase("/usr/lib/ruby/gems/2.6.0/gems/mysql2-0.5.3/lib/mysql2/mysql2.so: [BUG] Segmentation fault at 0x0000000000000008",
        "/usr/lib/ruby/gems/2.6.0/gems/mysql2-0.5.3/lib/mysql2/mysql2.so")]
    [TestCase("C:/Ruby26-x64/lib/ruby/gems/2.6.0/gems/mysql2-0.5.3-x64-mingw32/lib/mysql2/2.6/mysql2.so: [BUG] Segmentation fault",
        "C:/Ruby26-x64/lib/ruby/gems/2.6.0/gems/mysql2-0.5.3-x64-mingw32/lib/mysql2/2.6/mysql2.so")]
    [TestCase("-e:1: [BUG] Segmentation fault at 0x0000000000000000", "-e")]
    [TestCase("script.rb:12: [BUG] Bus Error", "script.rb")]
    [TestCase("C:/app/script.rb:12: [BUG] Segmentation fault", "C:/app/script.rb")]
    [TestCase("[BUG] Segmentation fault", null)]
    public void Bug_file_is_the_path_before_the_bug_mark_without_a_line_number(string line, string? expected)
    {
        var runtime = DebuggerText.Read(line + "\n").Runtime!;
        Assert.That(runtime.BugFile, Is.EqualTo(expected));
    }

    [TestCase("C:/Ruby26-x64/lib/ruby/gems/2.6.0/gems/pg-1.2.3-x64-mingw32/lib/pg.rb:40: warning: pg was built for 2.5", true)]
    [TestCase(@"C:\Ruby31\lib\ruby\gems\3.1.0\gems\ffi-1.15.5\lib\ffi\library.rb:145:in 'ffi_lib': " +
              "Could not open library 'libsodium.dll' (LoadError)", true)]
    [TestCase("/var/lib/gems/2.7.0/gems/nokogiri-1.13.0/lib/nokogiri.rb:9:in `require': cannot load such file", true)]
    [TestCase("C:/Ruby26-x64/lib/ruby/gems/2.6.0/gems/pg-1.2.3/lib/pg.rb:40:in `connect'", false)]
    [TestCase("C:/app/lib/thing.rb:12: warning: something failed", false)]
    [TestCase("see C:/Ruby26-x64/lib/ruby/gems/2.6.0/gems/pg-1.2.3/README for the error codes", false)]
    public void Gem_messages_are_problem_lines_from_a_file_inside_a_gem(string line, bool isMessage)
    {
        var runtime = DebuggerText.Read(line + "\n-e:1: [BUG] Segmentation fault\n").Runtime!;
        Assert.That(runtime.GemMessages, Is.EqualTo(isMessage ? new[] { line } : Array.Empty<string>()));
    }

    [Test]
    public void Control_frames_give_native_functions_and_script_lines_and_skip_frames_that_name_nothing()
    {
        var text = "/usr/lib/ruby/gems/2.6.0/gems/mysql2-0.5.3/lib/mysql2/mysql2.so: [BUG] Segmentation fault at 0x0\n" +
                   "ruby 2.6.6p146 (2020-03-31 revision 67876) [x86_64-linux]\n\n" + ControlHeader +
                   "c:0005 p:---- s:0029 e:000028 CFUNC  :connect\n" +
                   "c:0004 p:0123 s:0024 E:0011a8 METHOD /path/gems/mysql2-0.5.3/lib/mysql2/client.rb:90\n" +
                   "c:0003 p:0020 s:0010 E:000f50 EVAL   -e:1 [FINISH]\n" +
                   "c:0002 p:---- s:0007 e:000006 CFUNC  :new\n" +
                   "c:0001 p:0000 s:0003 E:0018c0 (none) [FINISH]\n\n" +
                   "-- Ruby level backtrace information ----------------------------------------\n" +
                   "-e:1:in `<main>'\n";
        var runtime = DebuggerText.Read(text).Runtime!;
        Assert.That(runtime.ScriptFrames, Is.EqualTo(new[]
        {
            Native("connect"), Script("/path/gems/mysql2-0.5.3/lib/mysql2/client.rb", 90), Script("-e", 1), Native("new"),
        }), "the control frames win over the Ruby level backtrace; the (none) frame is dropped");
    }

    [Test]
    public void Ruby_19_control_frames_with_b_l_d_fields_are_read()
    {
        var text = ControlHeader +
                   "c:0105 p:---- s:0632 b:0632 l:000631 d:000631 CFUNC :exec_and_close\n" +
                   "c:0104 p:0253 s:0627 b:0627 l:000592 d:000626 BLOCK /gems/rubyfb-0.6.3/lib/rubyfb_adapter.rb:532\n" +
                   "c:0103 p:---- s:0239 b:0239 l:000238 d:000238 FINISH\n";
        Assert.That(DebuggerText.Read(text).Runtime!.ScriptFrames, Is.EqualTo(new[]
        {
            Native("exec_and_close"), Script("/gems/rubyfb-0.6.3/lib/rubyfb_adapter.rb", 532),
        }));
    }

    [Test]
    public void Without_control_frames_the_ruby_level_backtrace_is_used_reversed_to_newest_first()
    {
        var text = "-e:1: [BUG] Segmentation fault at 0x0000000000000000\n\n" + RubyHeader +
                   "-e:1:in `<main>'\n" +
                   "/path/gems/mysql2-0.5.3/lib/mysql2/client.rb:90:in `initialize'\n" +
                   "/path/gems/mysql2-0.5.3/lib/mysql2/client.rb:120:in 'Mysql2::Client#connect'\n\n" + CHeader +
                   "/usr/lib/libruby.so.3.4(rb_vm_bugreport+0x4ae) [0x7a62f0e7580e]\n";
        var runtime = DebuggerText.Read(text).Runtime!;
        Assert.That(runtime.BugFile, Is.EqualTo("-e"));
        Assert.That(runtime.ScriptFrames, Is.EqualTo(new[]
        {
            Script("/path/gems/mysql2-0.5.3/lib/mysql2/client.rb", 120, "Mysql2::Client#connect"),
            Script("/path/gems/mysql2-0.5.3/lib/mysql2/client.rb", 90, "initialize"),
            Script("-e", 1, "<main>"),
        }));
    }

    [Test]
    public void A_windbg_text_has_no_runtime_report()
    {
        var crash = Fixture.Read("synthetic-windbg-x64-session-xdebug.txt");
        Assert.That(crash.Frames, Is.Not.Empty);
        Assert.That(crash.Runtime, Is.EqualTo((RuntimeReport?)null));
    }

    [Test]
    public void Eventmachine_fixture_reads_ruby_19_control_frames_with_b_l_d_fields()
    {
        // Ruby 1.9 prints "s:… b:… l:… d:…" where later versions print "e:…"; the last frame of the excerpt is cut off.
        var crash = Fixture.Read("eventmachine-319-ruby193-x86-run-machine-fd-setsize.txt");
        Assert.That(crash.Process.Architecture, Is.EqualTo(Architecture.X86));
        Assert.That(crash.Runtime!.BugFile,
            Is.EqualTo("K:/Ruby/lib/ruby/gems/1.9.1/gems/eventmachine-1.0.0.beta.4.1-x86-mingw32/lib/eventmachine.rb"));
        Assert.That(crash.Runtime.ScriptFrames, Is.EqualTo(new[]
        {
            Native("run_machine"),
            Script("K:/Ruby/lib/ruby/gems/1.9.1/gems/eventmachine-1.0.0.beta.4.1-x86-mingw32/lib/eventmachine.rb", 179),
            Script("K:/Server/lib/server/events.rb", 152),
            Script("K:/Server/lib/server/server.rb", 90),
        }));
        Assert.That(crash.Frames, Is.Empty, "no C backtrace in the excerpt");
    }

    [Test]
    public void Ci_log_time_stamps_in_front_of_each_backtrace_line_are_not_part_of_the_frames()
    {
        // A GitHub Actions log puts "2022-01-26T07:36:27.1610716Z " before every line (win32-api #60).
        var crash = Fixture.Read("win32-api-60-ruby27-actions-timestamps-callback.txt");
        Assert.That(crash.Source.Kind, Is.EqualTo("ruby-crash-report"));
        Assert.That(crash.Process.Architecture, Is.EqualTo(Architecture.X64));
        Assert.That(crash.Frames.Select(f => f.Module), Is.EqualTo(new[] { "x64_msvcrt_ruby270", null, "msvcrt", "ntdll" }),
            "the reporter's frames above the fault are dropped");
        Assert.That(crash.Frames[0].Function, Is.EqualTo("ruby_sysinit"));
    }
}
