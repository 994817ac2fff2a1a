using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

public class AnalyzeReaderTests
{
    const string ClassicAnalyze = """
        0:000> !analyze -v
        *******************************************************************************
        *                        Exception Analysis                                   *
        *******************************************************************************

        FAULTING_IP: 
        php_xdebug!xdebug_execute_ex+24
        00007ffb`3c1b4a24 488908          mov     qword ptr [rax],rcx

        EXCEPTION_RECORD:  (.exr -1)
        ExceptionAddress: 00007ffb3c1b4a24 (php_xdebug!xdebug_execute_ex+0x0000000000000024)
           ExceptionCode: c0000005 (Access violation)
          ExceptionFlags: 00000000
        NumberParameters: 2
           Parameter[0]: 0000000000000001
           Parameter[1]: 0000000000000000
        Attempt to write to address 0000000000000000

        PROCESS_NAME:  php-cgi.exe

        ERROR_CODE: (NTSTATUS) 0xc0000005 - The instruction at 0x%p referenced memory at 0x%p. The memory could not be %s.

        WRITE_ADDRESS:  0000000000000000 

        FAULTING_THREAD:  0000000000001d34

        STACK_TEXT:  
        0000006b`1d5fe6f0 00007ffb`3d8a1b3c : 000001d2`a3c14020 00000000`00000000 00000000`00000001 000001d2`a3c7e0a0 : php_xdebug!xdebug_execute_ex+0x24
        0000006b`1d5fe7f0 00007ffb`3d8a0e11 : 00000000`00000000 00000000`00000000 00000000`00000000 00000000`00000000 : php8ts!php_execute_script_ex+0x45c
        0000006b`1d5fead0 00007ff7`1e4c2f30 : 00000000`00000000 00000000`00000000 00000000`00000000 00000000`00000000 : php_cgi!main+0x1c40


        SYMBOL_NAME:  php_xdebug!xdebug_execute_ex+24

        MODULE_NAME: php_xdebug

        IMAGE_NAME:  php_xdebug.dll

        FAILURE_BUCKET_ID:  NULL_POINTER_WRITE_c0000005_php_xdebug.dll!xdebug_execute_ex
        """;

    [Test]
    public void Classic_analyze_fields()
    {
        var r = DebuggerText.Read(ClassicAnalyze);
        Assert.Multiple(() =>
        {
            Assert.That(r.Process.Name, Is.EqualTo("php-cgi.exe"));
            Assert.That(r.SourceBucket, Is.EqualTo("NULL_POINTER_WRITE_c0000005_php_xdebug.dll!xdebug_execute_ex"));
            Assert.That(r.Exception!.Code, Is.EqualTo(0xC0000005u));
            Assert.That(r.Exception.Access, Is.EqualTo(AccessKind.Write));
            Assert.That(r.Exception.TargetAddress, Is.EqualTo(0UL));
            Assert.That(r.Frames, Has.Count.EqualTo(3), "STACK_TEXT beats FAULTING_IP and the bucket");
            Assert.That(r.Frames[0].Display, Is.EqualTo("php_xdebug!xdebug_execute_ex+0x24"));
            Assert.That(r.Frames[0].InstructionPointer, Is.EqualTo(0x00007ffb3c1b4a24UL));
            Assert.That(r.FaultingThread!.Id, Is.EqualTo(0x1d34u));
            var m = r.FindModule("php_xdebug")!;
            Assert.That(m.FileName, Is.EqualTo("php_xdebug.dll"), "MODULE_NAME and IMAGE_NAME are linked");
            Assert.That(r.Source.SkippedLines, Is.Empty);
        });
    }

    [Test]
    public void Faulting_ip_alone_gives_frame_zero_with_hex_displacement_without_0x()
    {
        var r = DebuggerText.Read("FAULTING_IP: \nphp5ts!zend_hash_find+1f\n6d5f4a1f 8b4808          mov     ecx,dword ptr [eax+8]\n");
        Assert.That(r.Frames, Has.Count.EqualTo(1));
        Assert.That(r.Frames[0].Displacement, Is.EqualTo(0x1fUL));
        Assert.That(r.Frames[0].InstructionPointer, Is.EqualTo(0x6d5f4a1fUL));
    }

    [Test]
    public void Real_new_style_key_value_block_gives_bucket_access_and_a_bucket_frame()
    {
        var r = Fixture.Read("php-src-21710-analyze-jit-ir-keys.txt");
        Assert.That(r.SourceBucket, Is.EqualTo("INVALID_POINTER_READ_c0000005_php8.dll!ir_fix_bb_order"));
        Assert.That(r.Exception!.Code, Is.EqualTo(0xC0000005u), "AV.Type is only written for access violations");
        Assert.That(r.Exception.Access, Is.EqualTo(AccessKind.Read));
        Assert.That(r.Frames, Has.Count.EqualTo(1));
        Assert.That(r.Frames[0].Module, Is.EqualTo("php8"));
        Assert.That(r.Frames[0].Function, Is.EqualTo("ir_fix_bb_order"));
        Assert.That(r.Source.Notes, Has.Some.Contains("failure bucket"));
    }

    [Test]
    public void Real_faulting_instruction_before_analyze()
    {
        var r = Fixture.Read("php-src-16449-analyze-opcache-jit-fragment.txt");
        Assert.That(r.Frames[0].Display, Is.EqualTo("php_opcache!zend_jit_trace_hot_side+0x207"));
        Assert.That(r.Frames[0].InstructionPointer, Is.EqualTo(0x00007ff81bc7f037UL));
        Assert.That(r.Exception!.Access, Is.EqualTo(AccessKind.Read));
        Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X64));
    }

    [Test]
    public void Real_old_style_analyze_fields_are_known_not_skipped()
    {
        var r = Fixture.Read("tideways-80-analyze-xhprof-x64.txt");
        Assert.That(r.Source.SkippedLines, Is.Empty);
        Assert.That(r.Frames[0].Function, Is.EqualTo("tideways_xhprof_execute_ex"));
    }
}
