using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>Messages the engine prints while k loads modules, notes people write after frames, the unwind warning.</summary>
public class EngineNoiseTests
{
    // A kn of 8 frames as WinDbg prints it when the symbols of php8ts and an extension are loaded on demand.
    const string KnWithNoise = """
        0:000> kn
         # Child-SP          RetAddr               Call Site
        00 000000a1`2f5fe6f0 00007ffb`3c1b51e2     php_redis+0x14a24
        Unable to load image C:\php\ext\php_redis.dll, Win32 error 0n2
        *** WARNING: Unable to verify timestamp for php_redis.dll
        01 000000a1`2f5fe760 00007ffb`3d8a0b10     php8ts!zend_call_function+0x2a1
        *** ERROR: Symbol file could not be found.  Defaulted to export symbols for php8ts.dll -
        ModLoad: 00007ffb`3e000000 00007ffb`3e0a0000   C:\php\ext\php_opcache.dll
        02 000000a1`2f5fe7c0 00007ffb`3d8a0e11     php8ts!zend_execute_scripts+0x10b
        03 000000a1`2f5fe7f0 00007ffb`3d8a0e11     php8ts!php_execute_script_ex+0x45c
        *** ERROR: Module load completed but symbols could not be loaded for C:\php\php-cgi.exe
        ************* Symbol Loading Error Summary **************
        04 000000a1`2f5fead0 00007ff7`1e4c2f30     php8ts!php_execute_script+0x11
        05 000000a1`2f5feb00 00007ff7`1e4c4a8b     php_cgi+0x1c40
        06 000000a1`2f5ffdd0 00007ffb`4f4226b1     kernel32!BaseThreadInitThunk+0x14
        07 000000a1`2f5ffe00 00000000`00000000     ntdll!RtlUserThreadStart+0x21
        """;

    [Test]
    public void Engine_messages_between_frames_do_not_end_the_stack()
    {
        var r = DebuggerText.Read(KnWithNoise);
        Assert.That(r.Frames, Has.Count.EqualTo(8));
        Assert.That(r.Frames[7].Display, Is.EqualTo("ntdll!RtlUserThreadStart+0x21"));
        Assert.That(r.Source.SkippedLines, Is.Empty, "engine messages are not unusable stack lines");
    }

    [Test]
    public void Engine_messages_between_frames_still_tell_modules()
    {
        var r = DebuggerText.Read(KnWithNoise);
        var opcache = r.FindModule("php_opcache");
        Assert.That(opcache?.Base, Is.EqualTo(0x00007ffb3e000000UL), "the ModLoad line inside the stack gives the base");
        Assert.That(r.FindModule("php8ts")?.Symbols, Is.EqualTo(SymbolStatus.ExportOnly));
        Assert.That(r.FindModule("php_cgi")?.Symbols, Is.EqualTo(SymbolStatus.None));
    }

    [TestCase("Unable to load image C:\\php\\ext\\php_redis.dll, Win32 error 0n2")]
    [TestCase("*** WARNING: Unable to verify timestamp for php_redis.dll")]
    [TestCase("*** ERROR: Symbol file could not be found.  Defaulted to export symbols for php8ts.dll -")]
    [TestCase("*** ERROR: Module load completed but symbols could not be loaded for php-cgi.exe")]
    [TestCase("ModLoad: 00007ffb`3e000000 00007ffb`3e0a0000   C:\\php\\ext\\php_opcache.dll")]
    public void Two_engine_messages_in_a_row_between_frames_are_not_the_end(string line)
    {
        var r = DebuggerText.Read(string.Join("\n", "00 000000a1`2f5fe6f0 00007ffb`3c1b51e2     php_redis+0x14a24", line, line,
            "01 000000a1`2f5fe760 00007ffb`3d8a0b10     php8ts!zend_call_function+0x2a1"));
        Assert.That(r.Frames, Has.Count.EqualTo(2));
        Assert.That(r.Source.SkippedLines, Is.Empty);
    }

    [Test]
    public void Two_prose_lines_between_frames_still_end_the_stack()
    {
        var r = DebuggerText.Read(string.Join("\n", "00 000000a1`2f5fe6f0 00007ffb`3c1b51e2     php_redis+0x14a24",
            "Then I restarted the pool.", "It crashed again:",
            "01 000000a1`2f5fe760 00007ffb`3d8a0b10     php8ts!zend_call_function+0x2a1"));
        Assert.That(r.Frames, Has.Count.EqualTo(1), "the second frame starts another stack, the first one is kept");
    }

    [Test]
    public void A_frame_with_a_note_after_it_is_still_a_frame()
    {
        var r = DebuggerText.Read("""
             # Child-SP          RetAddr               Call Site
            00 000000a1`2f5fe6f0 00007ffb`3c1b51e2     php8ts!zend_jit_escape_if_undef+0x103  <- mov rax,qword ptr [rcx+8] faults here
            01 000000a1`2f5fe760 00007ffb`3d8a0b10     php8ts!zend_call_function+0x2a1
            02 000000a1`2f5fe7c0 00007ffb`3d8a0e11     php8ts!zend_execute_scripts+0x10b   // the script
            """);
        Assert.That(r.Frames.Select(f => f.Display), Is.EqualTo(new[]
        {
            "php8ts!zend_jit_escape_if_undef+0x103", "php8ts!zend_call_function+0x2a1", "php8ts!zend_execute_scripts+0x10b",
        }));
        Assert.That(r.Source.SkippedLines, Is.Empty);
    }

    [Test]
    public void A_note_after_a_headerless_kn_line_keeps_the_frame()
    {
        var r = DebuggerText.Read("""
            00 000000a1`2f5fe6f0 00007ffb`3c1b51e2     php8ts!zend_jit_escape_if_undef+0x103  <- mov …
            01 000000a1`2f5fe760 00007ffb`3d8a0b10     php8ts!zend_call_function+0x2a1
            """);
        Assert.That(r.Frames[0].Function, Is.EqualTo("zend_jit_escape_if_undef"));
        Assert.That(r.Frames[0].Displacement, Is.EqualTo(0x103UL));
    }

    [Test]
    public void Unwind_warning_before_frame_00_marks_the_frames_after_it_as_scanned()
    {
        var r = DebuggerText.Read("""
            0:000> k
            WARNING: Stack unwind information not available. Following frames may be wrong.
            Child-SP          RetAddr           Call Site
            000000a1`2f5fe6f0 00007ffb`3c1b51e2 php_redis+0x14a24
            000000a1`2f5fe760 00007ffb`3d8a0b10 php8ts!zend_call_function+0x2a1
            000000a1`2f5fe7c0 00007ffb`3d8a0e11 php8ts!zend_execute_scripts+0x10b
            """);
        Assert.That(r.Frames, Has.Count.EqualTo(3));
        Assert.That(r.Frames[0].Trust, Is.EqualTo(FrameTrust.Context), "frame 00 is the context the debugger stopped in");
        Assert.That(r.Frames.Skip(1).Select(f => f.Trust), Is.All.EqualTo(FrameTrust.Scan));
        Assert.That(r.Source.Notes, Has.Some.Contains("found by scanning"));
    }

    [Test]
    public void Unwind_warning_between_header_and_frame_00_is_the_same()
    {
        var r = DebuggerText.Read("""
             # Child-SP          RetAddr               Call Site
            WARNING: Stack unwind information not available. Following frames may be wrong.
            00 000000a1`2f5fe6f0 00007ffb`3c1b51e2     php_redis+0x14a24
            01 000000a1`2f5fe760 00007ffb`3d8a0b10     php8ts!zend_call_function+0x2a1
            """);
        Assert.That(r.Frames.Select(f => f.Trust), Is.EqualTo(new[] { FrameTrust.Context, FrameTrust.Scan }));
    }
}
