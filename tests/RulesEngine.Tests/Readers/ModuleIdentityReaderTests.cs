using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>Module versions (lmv's File version / Product version) and CodeView identities (!lmi's RSDS GUID, age and
/// PDB name; a PDB loaded from a symbol store path) read from real debugger output (provenance in SOURCES.md).</summary>
public class ModuleIdentityReaderTests
{
    [Test]
    public void Real_lmv_gives_file_and_product_version_path_and_reproducible_build_timestamp()
    {
        // https://github.com/electron/electron/issues/21614: lmv under !sym noisy, x86, deferred symbols.
        var r = Fixture.Read("electron-21614-lmv-oleaut32.txt");
        var m = r.FindModule("OLEAUT32")!;
        Assert.Multiple(() =>
        {
            Assert.That(m.FileVersion, Is.EqualTo("10.0.18362.535"));
            Assert.That(m.ProductVersion, Is.EqualTo("10.0.18362.535"));
            Assert.That(m.FileName, Is.EqualTo("OLEAUT32.dll"));
            Assert.That(m.Path, Is.EqualTo(@"C:\Windows\System32\OLEAUT32.dll"));
            Assert.That(m.Base, Is.EqualTo(0x76710000UL));
            Assert.That(m.Size, Is.EqualTo(0x92000UL));
            Assert.That(m.Timestamp, Is.EqualTo(0x3C514ED3u), "a /Brepro image prints its hash without parentheses");
            Assert.That(m.Symbols, Is.EqualTo(SymbolStatus.Deferred));
            Assert.That(m.PdbName, Is.Null, "the image store path z:\\ossymbols\\OLEAUT32.dll\\… is no PDB");
            Assert.That(r.Modules, Has.Count.EqualTo(1));
        });
    }

    [Test]
    public void Loaded_symbol_image_file_naming_the_dll_is_not_a_pdb()
    {
        // https://github.com/mbucchia/OpenXR-Toolkit/issues/370 (lm -v, export symbols).
        var m = Fixture.Read("openxr-toolkit-370-lmv-openvr-api.txt").FindModule("openvr_api")!;
        Assert.That(m.PdbName, Is.Null);
        Assert.That(m.SymbolFile, Is.Null);
        Assert.That(m.Symbols, Is.EqualTo(SymbolStatus.ExportOnly));
        Assert.That(m.Timestamp, Is.EqualTo(0x5C51FF65u));
        Assert.That(m.Path, Is.EqualTo(@"C:\Program Files\Eagle Dynamics\DCS World OpenBeta\bin\openvr_api.dll"));
    }

    [Test]
    public void Real_lmi_gives_the_codeview_identity_and_the_store_path_matches_it()
    {
        // http://jumpdollar.blogspot.com/2014/08/windbg-lmi-command.html
        var r = Fixture.Read("jumpdollar-lmi-ntkrpamp.txt");
        var m = r.FindModule("ntkrpamp")!;
        var guid = Guid.Parse("684DA42A-30CC-450F-81C5-35B4D18944B1");
        Assert.Multiple(() =>
        {
            Assert.That(m.PdbName, Is.EqualTo("ntkrpamp.pdb"));
            Assert.That(m.PdbGuid, Is.EqualTo(guid));
            Assert.That(m.PdbAge, Is.EqualTo(2u));
            Assert.That(m.FileName, Is.EqualTo("ntkrpamp.exe"));
            Assert.That(m.Base, Is.EqualTo(0x82608000UL));
            Assert.That(m.Size, Is.EqualTo(0x412000UL));
            Assert.That(m.Timestamp, Is.EqualTo(0x4ce78a09u));
            Assert.That(m.Symbols, Is.EqualTo(SymbolStatus.PublicPdb), "Load Report: public symbols");
            Assert.That(m.SymbolFile, Does.EndWith(@"\ntkrpamp.pdb\684DA42A30CC450F81C535B4D18944B12\ntkrpamp.pdb"));
            Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X86), "Machine Type: 332 (I386)");
            Assert.That(r.Modules, Has.Count.EqualTo(1));
        });
        // The path the debugger itself downloaded to is the store layout the advice prints.
        var printed = Fixture.Text("jumpdollar-lmi-ntkrpamp.txt").Replace('\\', '/');
        Assert.That(printed, Does.Contain("/" + SymbolStore.PdbPath(m.PdbName!, m.PdbGuid!.Value, m.PdbAge!.Value)));
    }

    [Test]
    public void Lmi_after_lm_fills_the_identity_of_the_same_module_and_ends_at_the_next_command()
    {
        var text = """
            0:000> lm m php8ts
            start             end                 module name
            00007ffb`3c1b0000 00007ffb`3c5e0000   php8ts     (export symbols)       php8ts.dll
            0:000> !lmi php8ts
            Loaded Module Info: [php8ts] 
                     Module: php8ts
               Base Address: 00007ffb3c1b0000
                 Image Name: C:\PHP\php8ts.dll
               Machine Type: 34404 (X64)
                 Time Stamp: 65f1a2b3 Wed Mar 13 12:00:00 2024
                       Size: 430000
                   CheckSum: 42f1c3
            Characteristics: 2022  
            Debug Data Dirs: Type  Size     VA  Pointer
                         CODEVIEW    5e, 3a2f10,  3a1b10 RSDS - GUID: {0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9}
                           Age: 1, Pdb: D:\a\php-ftw\php-ftw\php\vs16\x64\obj\Release_TS\php8ts.pdb
                 Image Type: FILE     - Image read successfully from debugger.
                Symbol Type: EXPORT   - PDB not found
                Load Report: export symbols
            0:000> k
            """;
        var r = DebuggerText.Read(text);
        var m = r.FindModule("php8ts")!;
        Assert.Multiple(() =>
        {
            Assert.That(r.Modules, Has.Count.EqualTo(1));
            Assert.That(m.PdbName, Is.EqualTo("php8ts.pdb"), "the build path of the CodeView record: file name only");
            Assert.That(m.PdbGuid, Is.EqualTo(Guid.Parse("0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9")));
            Assert.That(m.PdbAge, Is.EqualTo(1u));
            Assert.That(m.Symbols, Is.EqualTo(SymbolStatus.ExportOnly));
            Assert.That(m.Path, Is.EqualTo(@"C:\PHP\php8ts.dll"));
            Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X64));
            Assert.That(r.Source.SkippedLines, Is.Empty);
        });
    }

    [Test]
    public void One_line_codeview_record_is_read_too()
    {
        var text = """
            Loaded Module Info: [php_redis]
                     Module: php_redis
                 Image Name: php_redis.dll
            Debug Data Dirs: CV  RSDS  guid: {11111111-2222-3333-4444-555555555555}  age: 1a  pdb: php_redis.pdb
            """;
        var m = DebuggerText.Read(text).FindModule("php_redis")!;
        Assert.That(m.PdbGuid, Is.EqualTo(Guid.Parse("11111111-2222-3333-4444-555555555555")));
        Assert.That(m.PdbAge, Is.EqualTo(0x1au), "ages are hex, as in the store key");
        Assert.That(m.PdbName, Is.EqualTo("php_redis.pdb"));
    }

    [Test]
    public void A_pdb_loaded_from_a_store_path_on_the_lm_line_gives_guid_and_age()
    {
        var text = """
            start             end                 module name
            00007ffb`3c1b0000 00007ffb`3c5e0000 php8ts (private pdb symbols) C:\s\php8ts.pdb\0A1B2C3D4E5F60718293A4B5C6D7E8F9A\php8ts.pdb
            00007ffb`40000000 00007ffb`40100000   php_apcu   (private pdb symbols)  C:\PHP\ext\php_apcu.pdb
            """;
        var r = DebuggerText.Read(text);
        var php = r.FindModule("php8ts")!;
        Assert.That(php.PdbGuid, Is.EqualTo(Guid.Parse("0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9")));
        Assert.That(php.PdbAge, Is.EqualTo(0xAu));
        Assert.That(php.PdbName, Is.EqualTo("php8ts.pdb"));
        var apcu = r.FindModule("php_apcu")!;
        Assert.That(apcu.PdbName, Is.EqualTo("php_apcu.pdb"));
        Assert.That(apcu.PdbGuid, Is.Null, "a plain folder says nothing about the identity");
    }

    [TestCase("php8ts.pdb", "684DA42A-30CC-450F-81C5-35B4D18944B1", 2u, "php8ts.pdb/684DA42A30CC450F81C535B4D18944B12/php8ts.pdb")]
    [TestCase(@"D:\build\x64\php_foo.pdb", "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", 26u,
        "php_foo.pdb/0A1B2C3D4E5F60718293A4B5C6D7E8F91A/php_foo.pdb")]
    public void Store_path_is_name_guid_without_dashes_upper_case_and_age_in_hex(string pdb, string guid, uint age, string expected)
    {
        Assert.That(SymbolStore.PdbPath(pdb, Guid.Parse(guid), age), Is.EqualTo(expected));
        Assert.That(SymbolStore.TryParsePdbPath(@"c:\symbols\" + expected.Replace('/', '\\'), out var n, out var g, out var a), Is.True);
        Assert.That((n, g, a), Is.EqualTo((ModuleNames.FileName(pdb), Guid.Parse(guid), age)));
    }
}
