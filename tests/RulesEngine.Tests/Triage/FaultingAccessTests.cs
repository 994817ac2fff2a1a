using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Triage;

/// <summary>x64 general-protection faults: the record says "read of 0xffffffffffffffff"; the decoded instruction and the
/// context's registers give the real access and target.</summary>
public class FaultingAccessTests
{
    static readonly RuleCatalog Catalog = RuleCatalog.LoadBuiltIn();
    const ulong Rip = 0x7ffb_1234_5678;

    static TriageResult Triage(byte[]? bytes, Dictionary<string, ulong>? registers = null) => Triager.Triage(new CrashReport
    {
        Process = new ProcessInfo { Name = "php-cgi.exe", Architecture = Architecture.X64 },
        Exception = new ExceptionInfo
        {
            Code = 0xC0000005, Address = Rip, Parameters = [0, ulong.MaxValue],
            Instruction = bytes is null ? null : new FaultingInstruction { Address = Rip, Bytes = bytes, Registers = registers ?? [] },
        },
        FaultingThread = new ThreadInfo { Frames = [new StackFrame { Index = 0, InstructionPointer = Rip, Module = "php8ts",
            Function = "zend_hash_find" }] },
    }, Catalog);

    [Test]
    public void Read_through_a_base_and_index_gives_the_real_non_canonical_target()
    {
        // mov rax, qword ptr [rax+rcx]
        var r = Triage([0x48, 0x8B, 0x04, 0x08], new() { ["rax"] = 0xfefefefefefefe00, ["rcx"] = 0xfe });
        Assert.That(r.Exception!.Class, Is.EqualTo("NON_CANONICAL_ADDRESS_READ"));
        Assert.That(r.Exception.Detail, Does.Contain("a read of 0xfefefefefefefefe through [rax+rcx]"));
        Assert.That(r.Exception.Detail, Does.Contain("mov rax,[rax+rcx]"));
    }

    [Test]
    public void Write_of_a_freed_block_pointer_is_a_heap_fill_pattern_write()
    {
        // mov qword ptr [rdx+8], rax  with rdx = 0xfeeefeeefeeefeee (HeapFree's fill)
        var r = Triage([0x48, 0x89, 0x42, 0x08], new() { ["rdx"] = 0xfeeefeeefeeefeee, ["rax"] = 1 });
        Assert.That(r.Exception!.Class, Is.EqualTo("HEAP_FILL_PATTERN_WRITE"));
        Assert.That(r.Exception.Detail, Does.Contain("a write of 0xfeeefeeefeeefef6 through [rdx+0x8]"));
    }

    [Test]
    public void String_copy_names_the_operand_that_is_not_canonical()
    {
        // rep movsb: reads [rsi], writes [rdi]; rdi is the garbage one
        var r = Triage([0xF3, 0xA4], new() { ["rsi"] = 0x1_0000_1000, ["rdi"] = 0x8000_0000_0000_0000, ["rcx"] = 16 });
        Assert.That(r.Exception!.Class, Is.EqualTo("NON_CANONICAL_ADDRESS_WRITE"));
    }

    [Test]
    public void A_pointer_made_of_text_says_so()
    {
        // movzx eax, byte ptr [r9] with r9 = "or_custo" (TestDumps apcu-noncanonical-read)
        var r = Triage([0x41, 0x0F, 0xB6, 0x01], new() { ["r9"] = 0x6f747375635f726f });
        Assert.That(r.Exception!.Class, Is.EqualTo("NON_CANONICAL_ADDRESS_READ"));
        Assert.That(r.Exception.Detail, Does.Contain("its bytes are the text \"or_custo\""));
    }

    [Test]
    public void Without_the_bytes_the_access_is_not_known()
    {
        var r = Triage(null);
        Assert.That(r.Exception!.Class, Is.EqualTo("NON_CANONICAL_ADDRESS"));
        Assert.That(r.Exception.Name, Does.Contain("read or write (non-canonical; Windows does not tell which)"));
    }

    [Test]
    public void Missing_register_leaves_the_access_unknown_rather_than_guessing()
    {
        var r = Triage([0x48, 0x8B, 0x04, 0x08], new() { ["rax"] = 0xfefefefefefefe00 });   // rcx not in the context
        Assert.That(r.Exception!.Class, Is.EqualTo("NON_CANONICAL_ADDRESS"));
    }
}

/// <summary>The same decoding from pasted WinDbg text: `.exr -1`, `.ecxr`'s registers and the disassembly line.</summary>
public class FaultingAccessFromTextTests
{
    // What `.exr -1; .ecxr` print for the TestDumps apcu-noncanonical-read crash (registers trimmed to two lines).
    const string Text = """
        ExceptionAddress: 00000002282d52a7 (msvcrt!strncmp+0x0000000000000037)
           ExceptionCode: c0000005 (Access violation)
          ExceptionFlags: 00000000
        NumberParameters: 2
           Parameter[0]: 0000000000000000
           Parameter[1]: ffffffffffffffff
        Attempt to read from address ffffffffffffffff
        0:000> .ecxr
        rax=0000000000000075 rbx=000000019000a040 rcx=0000000000000075
        rdx=000000019000a040 rsi=0000000000000000 rdi=00000000000000ff
        rip=00000002282d52a7 rsp=000000000011f808 rbp=000000000011f830
         r8=6f747375635f726f  r9=6f747375635f726f r10=0000000000000000
        r11=0000000000000000 r12=0000000000000000 r13=0000000000000000
        r14=0000000000000000 r15=0000000000000000
        iopl=0         nv up ei pl nz na pe nc
        cs=0033  ss=002b  ds=002b  es=002b  fs=0053  gs=002b             efl=00000202
        msvcrt!strncmp+0x37:
        00000002`282d52a7 410fb601        movzx   eax,byte ptr [r9] ds:6f747375`635f726f=??
        """;

    [Test]
    public void Pasted_registers_and_disassembly_give_the_real_target()
    {
        var crash = DebuggerText.Read(Text);
        Assert.That(crash.Exception!.Instruction!.Bytes, Is.EqualTo(new byte[] { 0x41, 0x0F, 0xB6, 0x01 }));
        var r = Triager.Triage(crash, RuleCatalog.LoadBuiltIn());
        Assert.That(r.Exception!.Class, Is.EqualTo("NON_CANONICAL_ADDRESS_READ"));
        Assert.That(r.Exception.Detail, Does.Contain("a read of 0x6f747375635f726f through [r9]"));
    }

    [Test]
    public void A_disassembly_line_elsewhere_is_not_the_faulting_instruction()
    {
        var crash = DebuggerText.Read(Text.Replace("00000002`282d52a7 410fb601", "00000002`282d52b0 410fb601"));
        Assert.That(crash.Exception!.Instruction, Is.Null);
    }
}
