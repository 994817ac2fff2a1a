using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

public class StackTextReaderTests
{
    const string X86 = "synthetic-windbg-x86-k-shapes.txt";

    [TestCase("mongoc_cursor_new_", "from_command_reply")]
    [TestCase("std::vector<int>::", "push_back")]
    public void A_frame_with_a_huge_function_name_among_others_is_one_frame(string head, string tail)
    {
        // The function part of the call-site pattern once let two quantifiers share the name: a 133 KB name among other
        // frames (fuzz seed 20261203, case 328) took minutes. One pass now; the name comes through whole.
        string name = head + new string('A', 65536) + tail;
        var r = DebuggerText.Read($"php_mongodb!bson_destroy+5b\nphp_mongodb!{name}+1025\nphp7ts!execute_ex+44\n");
        Assert.That(r.Frames.Select(f => f.Function), Is.EqualTo(new[] { "bson_destroy", name, "execute_ex" }));
    }

    [Test]
    public void Drmingw_frames_name_the_image_file_and_read_as_its_engine_name()
    {
        // Dr. Mingw / exchndl writes "atio6axx.dll!eglGetProcAddress" where dbgeng writes "atio6axx!…".
        var r = Fixture.Read("ddnet-5676-drmingw-atio6axx-amd-driver.txt");
        Assert.That(r.Frames[0].Module, Is.EqualTo("atio6axx"));
        Assert.That(r.Frames[0].Function, Is.EqualTo("eglGetProcAddress"));
        Assert.That(r.Frames[^1].Module, Is.EqualTo("KERNEL32"));
        var x = DebuggerText.Read(
            "AddrPC           Params\n" +
            "00007FFB258C7FDB 0000000000000000 0000000000000000 0000000000000000  php_xdebug-3.3.1-8.3-vs16-x86_64.dll!xdebug_str_free\n" +
            "00007FFB25791BFB 000000D720DFF401 000001F1357AA080 0000000000000001  php8ts.dll!execute_ex+0x44\n");
        Assert.That(x.Frames.Select(f => f.Module), Is.EqualTo(new[] { "php_xdebug_3_3_1_8_3_vs16_x86_64", "php8ts" }));
    }

    [Test]
    public void X64_kn_with_inline_frame_source_lines_and_scan_warning()
    {
        var r = DebuggerText.Read(Fixture.Command("synthetic-windbg-x64-session-xdebug.txt", "kn"));
        Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X64));
        Assert.That(r.Frames, Has.Count.EqualTo(9));
        var f0 = r.Frames[0];
        Assert.That(f0.Module, Is.EqualTo("php_xdebug_3_3_1_8_3_vs16_x86_64"));
        Assert.That(f0.Function, Is.Null, "module+offset frame has no function");
        Assert.That(f0.Displacement, Is.EqualTo(0x14a24UL));
        Assert.That(f0.ChildStackPointer, Is.EqualTo(0x0000006b1d5fe6f0UL));
        Assert.That(f0.ReturnAddress, Is.EqualTo(0x00007ffb3c1b51e2UL));
        Assert.That(r.Frames[1].Function, Is.EqualTo("xdebug_execute_ex"));
        Assert.That(r.Frames[1].InstructionPointer, Is.EqualTo(0x00007ffb3c1b51e2UL), "a frame's IP is the return address of the frame above");
        var inline = r.Frames[2];
        Assert.That(inline.Inline, Is.True);
        Assert.That(inline.Trust, Is.EqualTo(FrameTrust.Inline));
        Assert.That(inline.ChildStackPointer, Is.Null);
        Assert.That(inline.SourceFile, Is.EqualTo(@"C:\php-snap-build\php-src\Zend\zend.c"));
        Assert.That(inline.SourceLine, Is.EqualTo(1841));
        Assert.That(r.Frames[3].Function, Is.EqualTo("php_execute_script_ex"));
        Assert.That(r.Frames[3].SourceLine, Is.EqualTo(2505));
        Assert.That(r.Frames[5].Trust, Is.EqualTo(FrameTrust.UnwindInfo));
        Assert.That(r.Frames.Skip(6).Select(f => f.Trust), Is.All.EqualTo(FrameTrust.Scan), "frames after the unwind warning were found by scanning");
        Assert.That(r.Frames[8].Display, Is.EqualTo("ntdll!RtlUserThreadStart+0x21"));
        Assert.That(r.Source.SkippedLines, Is.Empty);
    }

    [Test]
    public void X86_kb_args_address_only_frame_and_following_frames_may_be_wrong()
    {
        var r = DebuggerText.Read(Fixture.Command(X86, "kb"));
        Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X86));
        Assert.That(r.Frames.Select(f => f.Display), Is.EqualTo(new[]
        {
            "php5ts!zend_hash_find+0x1f", "php5ts!zend_fetch_class+0x5b", "php_wincache+0x11234", "0x6d6a0051", "php5ts!execute+0x2c1",
        }));
        Assert.That(r.Frames[0].ChildStackPointer, Is.EqualTo(0x0093f2a4UL));
        Assert.That(r.Frames[0].ReturnAddress, Is.EqualTo(0x6d5f4e7bUL));
        Assert.That(r.Frames[3].Module, Is.Null);
        Assert.That(r.Frames[3].InstructionPointer, Is.EqualTo(0x6d6a0051UL));
        Assert.That(r.Frames[4].Trust, Is.EqualTo(FrameTrust.Scan));
        Assert.That(r.Frames[3].Trust, Is.Not.EqualTo(FrameTrust.Scan));
    }

    [Test]
    public void X86_kv_drops_fpo_notes_and_keeps_source()
    {
        var r = DebuggerText.Read(Fixture.Command(X86, "kv"));
        Assert.That(r.Frames, Has.Count.EqualTo(2));
        Assert.That(r.Frames[0].Function, Is.EqualTo("zend_hash_find"));
        Assert.That(r.Frames[0].Displacement, Is.EqualTo(0x1fUL));
        Assert.That(r.Frames[0].SourceFile, Does.EndWith(@"zend\zend_hash.c"));
        Assert.That(r.Frames[0].SourceLine, Is.EqualTo(867));
        Assert.That(r.Frames[1].SourceLine, Is.EqualTo(1535));
    }

    [TestCase("kp")]
    [TestCase("kP")]
    public void X86_kp_and_kP_parameters_are_not_part_of_the_function(string command)
    {
        var r = DebuggerText.Read(Fixture.Command(X86, command));
        Assert.That(r.Frames.Select(f => f.Display), Is.EqualTo(new[] { "php5ts!zend_hash_find+0x1f", "php5ts!zend_fetch_class+0x5b" }));
        Assert.That(r.Frames[0].SourceLine, Is.EqualTo(867));
        Assert.That(r.Source.SkippedLines, Is.Empty, "kP's parameter lines belong to their frame");
    }

    [Test]
    public void Kc_call_sites_only()
    {
        var r = DebuggerText.Read(Fixture.Command(X86, "kc"));
        Assert.That(r.Frames.Select(f => (f.Module, f.Function)), Is.EqualTo(new (string?, string?)[]
        {
            ("php5ts", "zend_hash_find"), ("php5ts", "zend_fetch_class"), ("php_wincache", null), (null, null), ("php5ts", "execute"),
        }));
        Assert.That(r.Frames[3].InstructionPointer, Is.EqualTo(0x6d6a0051UL));
        Assert.That(r.Source.SkippedLines, Is.Empty);
    }

    [Test]
    public void X86_kn_inline_frame()
    {
        var r = DebuggerText.Read(Fixture.Command(X86, "kn"));
        Assert.That(r.Frames, Has.Count.EqualTo(4));
        Assert.That(r.Frames[2].Inline, Is.True);
        Assert.That(r.Frames[2].Function, Is.EqualTo("zend_lookup_class"));
        Assert.That(r.Frames[3].Display, Is.EqualTo("php_wincache+0x11234"));
    }

    [Test]
    public void Real_analyze_stack_text_x64_kb_shape()
    {
        var r = Fixture.Read("tideways-80-analyze-xhprof-x64.txt");
        Assert.That(r.Frames, Has.Count.EqualTo(2));
        Assert.That(r.Frames[0].Module, Is.EqualTo("php_tideways_xhprof_5_0_0_master_39806cc8_7_3_vc15_x86_64"));
        Assert.That(r.Frames[0].Function, Is.EqualTo("tideways_xhprof_execute_ex"));
        Assert.That(r.Frames[0].Displacement, Is.EqualTo(0x996UL));
        Assert.That(r.Frames[0].ChildStackPointer, Is.EqualTo(0x000000f966efebd0UL));
        Assert.That(r.Frames[1].Display, Is.EqualTo("php7ts!zend_deactivate_modules+0xdc"));
        Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X64));
    }

    [Test]
    public void Real_double_spaced_kL_paste_from_a_blog()
    {
        var r = Fixture.Read("asiatech-kL-x86-php5-sleep.txt");
        Assert.That(r.Frames, Has.Count.EqualTo(6));
        Assert.That(r.Frames[2].Display, Is.EqualTo("php5!zif_sleep+0x52"));
        Assert.That(r.Frames[5].Display, Is.EqualTo("php5!execute+0x164"));
        Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X86));
    }

    [Test]
    public void Lines_hard_wrapped_at_80_columns_are_rejoined_and_noise_is_reported()
    {
        var r = Fixture.Read("synthetic-wrapped-80-columns.txt");
        Assert.That(r.Frames.Select(f => f.Display), Is.EqualTo(new[]
        {
            "php_opcache!zend_accel_load_script+0x1b4", "php_opcache!persistent_compile_file+0x561", "php8!zend_include_or_eval+0xd2",
            "php8!ZEND_INCLUDE_OR_EVAL_SPEC_CONST_HANDLER+0x42", "php8!execute_ex+0x9c", "php_cgi!main+0x1c40",
        }));
        Assert.That(r.Frames[0].SourceFile, Does.EndWith("ZendAccelerator.c"));
        Assert.That(r.Frames[0].SourceLine, Is.EqualTo(2011));
        Assert.That(r.Source.SkippedLines, Has.Count.EqualTo(1));
        Assert.That(r.Source.SkippedLines[0].LineNumber, Is.EqualTo(13));
        Assert.That(r.Source.SkippedLines[0].Text, Is.EqualTo("this line is noise inside the stack"));
    }

    [Test]
    public void Prose_around_a_headerless_stack_is_ignored_not_skipped()
    {
        var text = "I got this from windbg yesterday, any idea?\r\n" +
                   "0012f8a8 77c31234 php_curl!curl_easy_perform+0x1a\r\n" +
                   "0012f8d0 6d5f1234 php5ts!zif_curl_exec+0x22\r\n" +
                   "\r\nThanks in advance.\r\n";
        var r = DebuggerText.Read(text);
        Assert.That(r.Frames.Select(f => f.Display), Is.EqualTo(new[] { "php_curl!curl_easy_perform+0x1a", "php5ts!zif_curl_exec+0x22" }));
        Assert.That(r.Source.SkippedLines, Is.Empty);
        Assert.That(r.Source.Kind, Is.EqualTo("windbg-text"));
    }

    [Test]
    public void Prompts_timestamps_and_quote_markers_are_stripped()
    {
        var text = "2024-03-01 10:00:01.123 0:000> k\n" +
                   "2024-03-01 10:00:01.124  # Child-SP          RetAddr               Call Site\n" +
                   "2024-03-01 10:00:01.125 00 00000000`0012f8a8 00007ffb`1234abcd     PHP_SQLSRV_83_NTS_X64!sqlsrv_query+0x2f\n" +
                   "> 01 00000000`0012f900 00007ffb`2222abcd     php8!zif_sqlsrv_query+0x10";
        var r = DebuggerText.Read(text);
        Assert.That(r.Frames, Has.Count.EqualTo(2));
        Assert.That(r.Frames[0].Module, Is.EqualTo("PHP_SQLSRV_83_NTS_X64"), "module names are kept as shown");
        Assert.That(r.Frames[1].Function, Is.EqualTo("zif_sqlsrv_query"));
    }

    [Test]
    public void Export_symbols_warning_marks_the_module_and_links_file_and_engine_names()
    {
        var r = Fixture.Read("synthetic-windbg-x64-session-xdebug.txt");
        var xdebug = r.FindModule("php_xdebug_3_3_1_8_3_vs16_x86_64");
        Assert.That(xdebug, Is.Not.Null);
        Assert.That(xdebug!.Symbols, Is.EqualTo(SymbolStatus.ExportOnly));
        Assert.That(xdebug.FileName, Is.EqualTo("php_xdebug-3.3.1-8.3-vs16-x86_64.dll"));
        Assert.That(r.FindModule("php_xdebug-3.3.1-8.3-vs16-x86_64.dll"), Is.SameAs(xdebug));
        Assert.That(r.Modules.Count(m => ModuleNames.Same(m.Name, "php_xdebug_3_3_1_8_3_vs16_x86_64")), Is.EqualTo(1), "one module, not one per mention");
    }

    [Test]
    public void Trailing_second_address_and_source_path_do_not_break_a_frame()
    {
        var text = "ChildEBP RetAddr\n" +
                   "0093f2a4 6d5f4e7b php5ts!zend_hash_find+0x1f 6d5f4e7b\n" +
                   "0093f2c8 6d5f7c12 php_xdebug!xdebug_execute+0x12 c:\\xdebug\\xdebug.c(1868)\n";
        var r = DebuggerText.Read(text);
        Assert.That(r.Frames, Has.Count.EqualTo(2));
        Assert.That(r.Frames[0].Display, Is.EqualTo("php5ts!zend_hash_find+0x1f"));
        Assert.That(r.Frames[1].SourceFile, Is.EqualTo(@"c:\xdebug\xdebug.c"));
        Assert.That(r.Frames[1].SourceLine, Is.EqualTo(1868));
    }

    [Test]
    public void Real_visual_studio_call_stack_window()
    {
        var r = Fixture.Read("zeroc-ice-79-visual-studio-call-stack.txt");
        Assert.That(r.Source.Kind, Is.EqualTo("visual-studio-call-stack"));
        Assert.That(r.Frames, Has.Count.EqualTo(12));
        Assert.That(r.Frames[0].Display, Is.EqualTo("php_ice!failwithmessage"));
        Assert.That(r.Frames[3].Function, Is.EqualTo("zif_IcePHP_defineClass"));
        Assert.That(r.Frames[3].SourceLine, Is.EqualTo(3750));
        Assert.That(r.Frames[5].Module, Is.EqualTo("php7ts_debug"));
        Assert.That(r.FindModule("php7ts_debug.dll"), Is.Not.Null);
        Assert.That(r.Process.Name, Is.EqualTo("php.exe"));
        Assert.That(r.Source.SkippedLines, Is.Empty);
    }

    [Test]
    public void Localized_visual_studio_call_stack_window()
    {
        // A Chinese Visual Studio writes "未知" for "Unknown" in the language column.
        var r = Fixture.Read("mactype-433-vs-callstack-mactype64-core-heap.txt");
        Assert.That(r.Source.Kind, Is.EqualTo("visual-studio-call-stack"));
        Assert.That(r.Frames, Has.Count.EqualTo(12));
        Assert.That(r.Frames[0].Display, Is.EqualTo("ntdll!RtlReportCriticalFailure"));
        Assert.That(r.Frames[5].Module, Is.EqualTo("MacType64_Core"));
        Assert.That(r.Frames[5].InstructionPointer, Is.EqualTo(0x00007ffa4c3067d4UL));
        Assert.That(r.Source.SkippedLines, Is.Empty);
    }

    [TestCase("Zeile 286\tC")]
    [TestCase("行 286\tC")]
    [TestCase("Line 286\tC")]
    public void Localized_visual_studio_line_word(string tail)
    {
        var r = DebuggerText.Read(
            $"php5ts.dll!zend_hash_find(_hashtable * ht=0x0) {tail}\nphp_ice.dll!00007ffa8d703f08()\tUnbekannt\n");
        Assert.That(r.Source.Kind, Is.EqualTo("visual-studio-call-stack"));
        Assert.That(r.Frames, Has.Count.EqualTo(2));
        Assert.That(r.Frames[0].SourceLine, Is.EqualTo(286));
        Assert.That(r.Frames[1].InstructionPointer, Is.EqualTo(0x00007ffa8d703f08UL));
    }

    [TestCase("Line 53 + 0x3 bytes\tC", 3UL)]
    [TestCase("Line 53 + 3 bytes\tC", 3UL)]
    [TestCase("Line 53 + 0x1d bytes    C", 0x1dUL)]
    public void Visual_studio_2010_displacement_in_hex_or_decimal(string tail, ulong displacement)
    {
        // Visual Studio 2005-2010 print "+ 0x3 bytes"; a paste may have spaces where the columns had tabs.
        var r = DebuggerText.Read(
            $"    php5ts_debug.dll!_zend_is_inconsistent(const _hashtable * ht, const char * file, int line)  {tail}\n" +
            "    php5ts_debug.dll!zend_register_constant(_zend_constant * c, void * * * tsrm_ls)  Line 442  C\n");
        Assert.That(r.Source.Kind, Is.EqualTo("visual-studio-call-stack"));
        Assert.That(r.Frames, Has.Count.EqualTo(2));
        Assert.That((r.Frames[0].SourceLine, r.Frames[0].Displacement), Is.EqualTo(((int?)53, (ulong?)displacement)));
    }

    [Test]
    public void Visual_studio_2010_call_stack_pasted_with_markdown_escapes()
    {
        // https://github.com/aterrien/forp-PHP-profiler/issues/2: "\*" for "*" in the arguments, ">" quoting the last frames.
        var r = Fixture.Read("forp-2-vs-unhandled-md-escaped-zm-startup.txt");
        Assert.That(r.Source.Kind, Is.EqualTo("visual-studio-call-stack"));
        Assert.That(r.Frames.Select(f => f.Display).Take(2),
            Is.EqualTo(new[] { "php5ts_debug!_zend_is_inconsistent+0x3", "php5ts_debug!_zend_hash_add_or_update+0x17" }));
        Assert.That(r.Exception?.Code, Is.EqualTo(0xC0000005u));
        Assert.That(r.Exception?.TargetAddress, Is.EqualTo(0xfeeeff16UL));
    }
}
