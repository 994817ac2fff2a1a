using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>lm/lml/lmv, .exr -1, .lastevent, registers and the merge of a whole pasted session.</summary>
public class WinDbgCommandReaderTests
{
    const string Session = "synthetic-windbg-x64-session-xdebug.txt";

    [Test]
    public void Lml_symbol_status_per_module()
    {
        var r = DebuggerText.Read(Fixture.Command(Session, "lml"));
        Assert.That(r.FindModule("php_cgi")!.Symbols, Is.EqualTo(SymbolStatus.PublicPdb));
        Assert.That(r.FindModule("php8ts")!.Symbols, Is.EqualTo(SymbolStatus.Mismatched), "the M flag means a mismatched PDB");
        Assert.That(r.FindModule("php_xdebug_3_3_1_8_3_vs16_x86_64")!.Symbols, Is.EqualTo(SymbolStatus.ExportOnly));
        var php8 = r.FindModule("php8ts")!;
        Assert.That(php8.Base, Is.EqualTo(0x00007ffb3d7f0000UL));
        Assert.That(php8.Size, Is.EqualTo(0x5ab000UL));
        Assert.That(php8.PdbName, Is.EqualTo("php8ts.pdb"));
        Assert.That(r.FindModule(null, 0x00007ffb3d8a1b3c), Is.SameAs(php8), "lookup by address uses base and size");
        Assert.That(r.Source.SkippedLines, Is.Empty);
    }

    [Test]
    public void Lm_every_status_word()
    {
        var text = """
            start    end        module name
            00400000 0040c000   php_cgi    (deferred)
            10000000 1001a000   php_xdebug   (export symbols)       php_xdebug.dll
            6d5e0000 6d8e0000   php5ts     (private pdb symbols)  C:\sym\php5ts.pdb
            71230000 71290000   php_wincache   (no symbols)
            73000000 73100000   msvcr90    (mismatched)
            77d40000 77e7c000   ntdll      (pdb symbols)          c:\symbols\ntdll.pdb\0123\ntdll.pdb
            this line is not a module line
            7c800000 7c8f6000   kernel32   (pdb symbols)          c:\symbols\kernel32.pdb\0123\kernel32.pdb
            """;
        var r = DebuggerText.Read(text);
        Assert.Multiple(() =>
        {
            Assert.That(r.FindModule("php_cgi")!.Symbols, Is.EqualTo(SymbolStatus.Deferred));
            Assert.That(r.FindModule("php_xdebug")!.Symbols, Is.EqualTo(SymbolStatus.ExportOnly));
            Assert.That(r.FindModule("php_xdebug")!.FileName, Is.EqualTo("php_xdebug.dll"));
            Assert.That(r.FindModule("php5ts")!.Symbols, Is.EqualTo(SymbolStatus.PrivatePdb));
            Assert.That(r.FindModule("php_wincache")!.Symbols, Is.EqualTo(SymbolStatus.None));
            Assert.That(r.FindModule("msvcr90")!.Symbols, Is.EqualTo(SymbolStatus.Mismatched));
            Assert.That(r.FindModule("ntdll")!.Symbols, Is.EqualTo(SymbolStatus.PublicPdb));
            Assert.That(r.FindModule("kernel32"), Is.Not.Null);
            Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.Unknown));
            Assert.That(r.Source.SkippedLines.Select(s => s.LineNumber), Is.EqualTo(new[] { 8 }));
        });
    }

    [Test]
    public void Lmv_fields()
    {
        var r = DebuggerText.Read(Fixture.Command(Session, "lmvm php_xdebug_3_3_1_8_3_vs16_x86_64"));
        var m = r.FindModule("php_xdebug_3_3_1_8_3_vs16_x86_64")!;
        Assert.That(m.Path, Is.EqualTo(@"C:\PHP\ext\php_xdebug-3.3.1-8.3-vs16-x86_64.dll"));
        Assert.That(m.FileName, Is.EqualTo("php_xdebug-3.3.1-8.3-vs16-x86_64.dll"));
        Assert.That(m.Timestamp, Is.EqualTo(0x6565F8A2u));
        Assert.That(m.FileVersion, Is.EqualTo("3.3.1.0"));
        Assert.That(m.Size, Is.EqualTo(0x74000UL));
        Assert.That(m.Symbols, Is.EqualTo(SymbolStatus.ExportOnly));
        Assert.That(ModuleNames.EngineName(m.FileName), Is.EqualTo(m.Name), "file name and engine name are linked");
        Assert.That(r.Source.SkippedLines, Is.Empty, "version resource lines are known lmv lines");
    }

    [Test]
    public void Exr_write_to_null()
    {
        var r = DebuggerText.Read(Fixture.Command(Session, ".exr -1"));
        var e = r.Exception!;
        Assert.That(e.Code, Is.EqualTo(0xC0000005u));
        Assert.That(e.Address, Is.EqualTo(0x00007ffb3c1b4a24UL));
        Assert.That(e.Parameters, Is.EqualTo(new ulong[] { 1, 0 }));
        Assert.That(e.Access, Is.EqualTo(AccessKind.Write));
        Assert.That(e.TargetAddress, Is.EqualTo(0UL));
        Assert.That(e.Flags, Is.EqualTo(0u));
    }

    [TestCase("Last event: 1a2c.1d34: Access violation - code c0000005 (first chance)", true)]
    [TestCase("Last event: 1a2c.1d34: Access violation - code c0000005 (!!! second chance !!!)", false)]
    [TestCase("(1bf8.2bf8): Access violation - code c0000005 (first/second chance not available)", null)]
    public void Lastevent_and_event_line(string line, bool? firstChance)
    {
        var r = DebuggerText.Read(line);
        Assert.That(r.Exception!.Code, Is.EqualTo(0xC0000005u));
        Assert.That(r.Exception.FirstChance, Is.EqualTo(firstChance));
        Assert.That(r.Process.ProcessId, Is.Not.Null);
    }

    [Test]
    public void Second_chance_event_of_the_same_exception_beats_its_first_chance_line()
    {
        // After "g" the debugger reports the unhandled exception again (shape of aspnet/AspNetCoreModule#57).
        var text = """
            (a8c.a00): Unknown exception - code c000070a (first chance)
            (a8c.a00): Unknown exception - code c000070a (!!! second chance !!!)
            """;
        var r = DebuggerText.Read(text);
        Assert.That(r.Exception!.Code, Is.EqualTo(0xC000070Au));
        Assert.That(r.Exception.FirstChance, Is.False);

        // A second chance of another code does not relabel the first exception, which stays the one read.
        var other = DebuggerText.Read("""
            (a8c.a00): Access violation - code c0000005 (first chance)
            (a8c.a00): Unknown exception - code c000070a (!!! second chance !!!)
            """);
        Assert.That(other.Exception!.Code, Is.EqualTo(0xC0000005u));
        Assert.That(other.Exception.FirstChance, Is.True);
    }

    [Test]
    public void Registers_x86_and_faulting_instruction()
    {
        var text = """
            0:000> .ecxr
            eax=00000000 ebx=01c34a80 ecx=00000008 edx=0093f2d0 esi=01c20010 edi=00000009
            eip=6d5f4a1f esp=0093f2a0 ebp=0093f2a4 iopl=0         nv up ei pl zr na pe nc
            cs=001b  ss=0023  ds=0023  es=0023  fs=003b  gs=0000             efl=00010246
            php5ts!zend_hash_find+0x1f:
            6d5f4a1f 8b4808          mov     ecx,dword ptr [eax+8] ds:0023:00000008=????????
            """;
        var r = DebuggerText.Read(text);
        Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X86));
        Assert.That(r.FaultingThread!.Registers["eip"], Is.EqualTo(0x6d5f4a1fUL));
        Assert.That(r.FaultingThread.Registers["esp"], Is.EqualTo(0x0093f2a0UL));
        Assert.That(r.Frames, Has.Count.EqualTo(1));
        Assert.That(r.Frames[0].Display, Is.EqualTo("php5ts!zend_hash_find+0x1f"));
        Assert.That(r.Frames[0].InstructionPointer, Is.EqualTo(0x6d5f4a1fUL));
        Assert.That(r.Source.Notes, Has.Some.Contains("mov     ecx,dword ptr [eax+8]"));
    }

    [Test]
    public void A_whole_session_is_merged()
    {
        var r = Fixture.Read(Session);
        Assert.Multiple(() =>
        {
            Assert.That(r.Source.Kind, Is.EqualTo("windbg-text"));
            Assert.That(r.Source.Path, Does.EndWith(Session));
            Assert.That(r.Process.Name, Is.EqualTo("php-cgi.exe"), "from the dump file name");
            Assert.That(r.Process.ProcessId, Is.EqualTo(0x1a2cu));
            Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X64));
            Assert.That(r.Exception!.Code, Is.EqualTo(0xC0000005u));
            Assert.That(r.Exception.FirstChance, Is.False, ".lastevent says second chance");
            Assert.That(r.Exception.Access, Is.EqualTo(AccessKind.Write));
            Assert.That(r.FaultingThread!.Registers["rip"], Is.EqualTo(0x00007ffb3c1b4a24UL));
            Assert.That(r.Frames, Has.Count.EqualTo(9), "the k stack wins over the one-frame faulting instruction");
            Assert.That(r.Frames[0].InstructionPointer, Is.EqualTo(0x00007ffb3c1b4a24UL), "frame 0's IP comes from the registers");
            Assert.That(r.Frames[0].Trust, Is.EqualTo(FrameTrust.Context));
            Assert.That(r.FindModule("php8ts")!.Symbols, Is.EqualTo(SymbolStatus.Mismatched));
            Assert.That(r.FindModule("php_xdebug-3.3.1-8.3-vs16-x86_64.dll")!.Timestamp, Is.EqualTo(0x6565F8A2u));
            Assert.That(r.Source.SkippedLines, Is.Empty);
        });
    }

    [Test]
    public void Real_modload_lines_give_modules_with_base_size_and_path()
    {
        var r = Fixture.Read("mongo-php-driver-763-modload.txt");
        var php7 = r.FindModule("php7ts.dll")!;
        Assert.That(php7.Path, Is.EqualTo(@"S:\_\php7ts.dll"));
        Assert.That(php7.Base, Is.EqualTo(0x00007ffa5d5c0000UL));
        Assert.That(php7.Size, Is.EqualTo(0x896000UL));
        Assert.That(r.Modules, Has.Count.EqualTo(13));
        Assert.That(r.FindModule(null, 0x00007ffa5d5c1234), Is.SameAs(php7));
        Assert.That(r.Frames, Is.Empty);
    }

    [Test]
    public void Symbol_loader_warnings_anywhere_set_module_status_and_are_not_skipped()
    {
        var text = """
            *** WARNING: Unable to verify checksum for php-cgi.exe
            *** ERROR: Module load completed but symbols could not be loaded for C:\PHP\ext\php_sqlsrv_82_nts_x64.dll
            *** ERROR: Symbol file could not be found.  Defaulted to export symbols for C:\Windows\System32\msodbcsql17.dll - 
            Child-SP          RetAddr           Call Site
            00000000`0012f8a8 00007ffb`1234abcd msodbcsql17!SQLGetDiagFieldW+0x1a2
            *** ERROR: Symbol file could not be found.  Defaulted to export symbols for C:\PHP\ext\php_curl.dll - 
            00000000`0012f900 00007ffb`2222abcd php_sqlsrv_82_nts_x64+0x1f2c
            Unloaded modules:
            00007ffb`11110000 00007ffb`11150000   php_redis.dll
            """;
        var r = DebuggerText.Read(text);
        Assert.Multiple(() =>
        {
            Assert.That(r.FindModule("php_sqlsrv_82_nts_x64")!.Symbols, Is.EqualTo(SymbolStatus.None));
            Assert.That(r.FindModule("php_sqlsrv_82_nts_x64")!.Path, Is.EqualTo(@"C:\PHP\ext\php_sqlsrv_82_nts_x64.dll"));
            Assert.That(r.FindModule("msodbcsql17")!.Symbols, Is.EqualTo(SymbolStatus.ExportOnly));
            Assert.That(r.FindModule("php_curl.dll")!.Symbols, Is.EqualTo(SymbolStatus.ExportOnly), "a warning inside a stack block is read too");
            Assert.That(r.Frames.Select(f => f.Display), Is.EqualTo(new[] { "msodbcsql17!SQLGetDiagFieldW+0x1a2", "php_sqlsrv_82_nts_x64+0x1f2c" }));
            Assert.That(r.FindModule("php_redis")!.FileName, Is.EqualTo("php_redis.dll"), "unloaded modules are listed");
            Assert.That(r.Source.SkippedLines, Is.Empty);
        });
    }

    [Test]
    public void Analyze_image_version_belongs_to_image_name()
    {
        var r = DebuggerText.Read("IMAGE_VERSION:  3.1.0.1\n\nIMAGE_NAME:  php_xdebug.dll\n\nMODULE_NAME: php_xdebug\n");
        Assert.That(r.FindModule("php_xdebug")!.FileVersion, Is.EqualTo("3.1.0.1"));
        Assert.That(r.Modules, Has.Count.EqualTo(1));
    }
}
