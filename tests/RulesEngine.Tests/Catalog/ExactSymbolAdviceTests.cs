using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;
using static FcgiExt.Tests.Catalog.CatalogTestKit;

namespace FcgiExt.Tests.Catalog;

/// <summary>The built-in catalog's symbol advice names the exact file: the PHP debug pack for the crash's PHP build,
/// the PECL zip an extension came in, or a PDB by CodeView identity and symbol store path.</summary>
public class ExactSymbolAdviceTests
{
    static readonly RuleCatalog BuiltIn = RuleCatalog.LoadBuiltIn();

    static string Advice(ModuleInfo module, Architecture arch, params ModuleInfo[] others) =>
        BuiltIn.WhereToGetSymbols(module, CrashWithModules([module, .. others], arch)) ?? "";

    static ModuleInfo Php(string file, string? version) =>
        new() { FileName = file, Name = ModuleNames.EngineName(file), FileVersion = version, Base = 0x7ffb3c1b0000 };

    [TestCase("php8ts.dll", "8.3.4.0", Architecture.X64, "php-debug-pack-8.3.4-Win32-vs16-x64.zip")]
    [TestCase("php8.dll", "8.3.4.0", Architecture.X64, "php-debug-pack-8.3.4-nts-Win32-vs16-x64.zip")]
    [TestCase("php8ts.dll", "8.3.4.0", Architecture.X86, "php-debug-pack-8.3.4-Win32-vs16-x86.zip")]
    [TestCase("php8.dll", "8.4.1.0", Architecture.X86, "php-debug-pack-8.4.1-nts-Win32-vs17-x86.zip")]
    [TestCase("php7ts.dll", "7.4.33.0", Architecture.X64, "php-debug-pack-7.4.33-Win32-vc15-x64.zip")]
    [TestCase("php7.dll", "7.4.33.0", Architecture.X86, "php-debug-pack-7.4.33-nts-Win32-vc15-x86.zip")]
    public void Php_core_gets_the_debug_pack_of_its_version_thread_safety_and_architecture(
        string file, string version, Architecture arch, string pack)
    {
        var text = Advice(Php(file, version), arch);
        Assert.That(text, Does.StartWith(pack + " from https://windows.php.net/downloads/releases/"));
        Assert.That(text, Does.Not.Contain("<").And.Not.Contain("To fill in"), "every fact is known: no token, no sentence");
    }

    [Test]
    public void Bundled_extension_takes_the_debug_pack_of_the_php_dll_of_the_crash()
    {
        var opcache = new ModuleInfo { FileName = "php_opcache.dll", Name = "php_opcache", FileVersion = "8.3.4.0" };
        Assert.That(Advice(opcache, Architecture.X64, Php("php8.dll", "8.3.4.0")),
            Does.Contain("php_opcache.dll's PDB is in php-debug-pack-8.3.4-nts-Win32-vs16-x64.zip"));
        Assert.That(Advice(opcache, Architecture.X86, Php("php8ts.dll", "8.3.4.0")),
            Does.Contain("php-debug-pack-8.3.4-Win32-vs16-x86.zip"));
    }

    [Test]
    public void The_product_version_stands_in_for_a_missing_file_version()
    {
        var php = Php("php8ts.dll", null) with { ProductVersion = "8.2.20" };
        Assert.That(Advice(php, Architecture.X64), Does.StartWith("php-debug-pack-8.2.20-Win32-vs16-x64.zip"));
    }

    [Test]
    public void Without_the_version_the_linker_version_still_tells_the_compiler()
    {
        var php = Php("php8ts.dll", null) with { LinkerVersion = "14.38" };
        var text = Advice(php, Architecture.X64);
        Assert.That(text, Does.StartWith("php-debug-pack-<PHP version>-Win32-vs17-x64.zip"));
        Assert.That(text, Does.EndWith(
            "To fill in the <…> parts, run `lmvm php8ts` in the debugger, or check php8ts.dll's properties (Details tab)."));
    }

    [TestCase("9.0", "vc9")] [TestCase("11.0", "vc11")] [TestCase("14.0", "vc14")] [TestCase("14.16", "vc15")]
    [TestCase("14.29", "vs16")] [TestCase("14.38", "vs17")] [TestCase("14.44", "vs17")] [TestCase("x", null)]
    public void Compiler_per_linker_version(string linker, string? compiler) =>
        Assert.That(SymbolPlaceholders.CompilerForLinker(linker), Is.EqualTo(compiler));

    // The extension's own version and x86_64 are numbers in the name too; a name that does not say which is PHP's gives none.
    [TestCase("php_tideways_xhprof_5_0_0_master_39806cc8_7_3_vc15_x86_64", "7.3")]   // samples/tideways-xhprof-analyze.txt
    [TestCase("php_xdebug_3_3_1_8_3_vs16_x86_64", "8.3")]
    [TestCase("php_pdo_sqlsrv_83_ts_x64", "8.3")]
    [TestCase("php_sqlsrv_74_nts_x86", "7.4")]
    [TestCase("php_foo_7_4", "7.4")]
    [TestCase("php_foo_x86_64", null)]
    [TestCase("php_foo_5_0_0", null)]
    [TestCase("php_foo_7_4_8_1", null)]
    public void Php_version_in_a_build_name_is_the_one_its_tags_follow(string name, string? version) =>
        Assert.That(SymbolPlaceholders.PhpVersionFromName(name) is { } v ? $"{v.Major}.{v.Minor}" : null, Is.EqualTo(version));

    [Test]
    public void Tideways_is_built_with_a_debug_pack_for_the_php_its_name_gives_not_fetched_from_pecl()
    {
        // Tideways is no PECL package (its Windows DLLs were AppVeyor artifacts): no windows.php.net zip to point at.
        var tideways = new ModuleInfo { Name = "php_tideways_xhprof_5_0_0_master_39806cc8_7_3_vc15_x86_64" };
        var advice = Advice(tideways, Architecture.X64);
        Assert.That(advice, Does.Contain("for PHP 7.3 with PHP's SDK and --enable-debug-pack"), advice);
        Assert.That(advice, Does.Not.Contain("windows.php.net/downloads"), advice);
    }

    [Test]
    public void Versioned_xdebug_file_name_points_at_the_pecl_zip_of_the_same_build()
    {
        var ts = new ModuleInfo { FileName = "php_xdebug-3.3.1-8.3-vs16-x86_64.dll", Name = "php_xdebug_3_3_1_8_3_vs16_x86_64" };
        Assert.That(Advice(ts, Architecture.X64, Php("php8ts.dll", "8.3.4.0")), Does.Contain(
            "the PECL build php_xdebug-3.3.1-8.3-ts-vs16-x64.zip from https://windows.php.net/downloads/pecl/releases/xdebug/3.3.1/"));
        var nts = new ModuleInfo { FileName = "php_xdebug-3.3.1-8.3-vs16-nts-x86_64.dll", Name = "php_xdebug_3_3_1_8_3_vs16_nts_x86_64" };
        Assert.That(Advice(nts, Architecture.Unknown), Does.Contain("php_xdebug-3.3.1-8.3-nts-vs16-x64.zip"),
            "from the file name alone: PHP minor, NTS, compiler and x86_64");
    }

    [Test]
    public void Without_a_file_name_the_pdb_named_after_the_module_gives_the_versioned_name()
    {
        // lml of TestDumps/scenarios/xdebug-null-write: the module line names only the PDB.
        var lml = "00000001`84000000 00000001`84009000   php_xdebug_3_3_1_8_3_vs16_x86_64 C (private pdb symbols)  " +
                  @"C:\dumps\php_xdebug-3.3.1-8.3-vs16-x86_64.pdb";
        var xdebug = DebuggerText.Read(lml).Modules.Single();
        Assert.That(xdebug.FileName, Is.Null);
        var text = Advice(xdebug, Architecture.X64, Php("php8ts.dll", "8.3.4.0"));
        Assert.That(text, Does.EndWith(
            "for php_xdebug-3.3.1-8.3-vs16-x86_64.pdb with its GUID and age, or reproduce with the PECL build " +
            "php_xdebug-3.3.1-8.3-ts-vs16-x64.zip from https://windows.php.net/downloads/pecl/releases/xdebug/3.3.1/, " +
            "which holds its PDB. " +
            "`!lmi php_xdebug_3_3_1_8_3_vs16_x86_64` in the debugger shows them (the CodeView GUID and age)."));
        var other = new ModuleInfo { Name = "php_foo_1_2", PdbName = "php_bar-1.2-8.3-vs16-x86_64.pdb" };
        Assert.That(Advice(other, Architecture.X64), Does.Contain("zip php_<extension>-<version>-<PHP x.y>-"),
            "a PDB named differently from the module says nothing about the file name");
    }

    [Test]
    public void Xdebug_without_a_pdb_is_asked_for_by_its_codeview_identity()
    {
        var xdebug = new ModuleInfo
        {
            FileName = "php_xdebug-3.3.1-8.3-vs16-x86_64.dll", Name = "php_xdebug_3_3_1_8_3_vs16_x86_64", PdbName = "php_xdebug.pdb",
            PdbGuid = Guid.Parse("11111111-2222-3333-4444-555555555555"), PdbAge = 3,
        };
        Assert.That(Advice(xdebug, Architecture.X64, Php("php8ts.dll", "8.3.4.0")), Does.Contain(
            "for php_xdebug.pdb (GUID {11111111-2222-3333-4444-555555555555}, age 3; symbol store path " +
            "php_xdebug.pdb/111111112222333344445555555555553/php_xdebug.pdb)"));
    }

    [Test]
    public void Pecl_extensions_name_their_zip_from_the_php_build_and_their_file_version()
    {
        var redis = new ModuleInfo { FileName = "php_redis.dll", Name = "php_redis", FileVersion = "6.0.2.0" };
        Assert.That(Advice(redis, Architecture.X86, Php("php8.dll", "8.2.20.0")),
            Does.StartWith("php_redis-6.0.2-8.2-nts-vs16-x86.zip from https://windows.php.net/downloads/pecl/releases/redis/6.0.2/"));
        var apcu74 = new ModuleInfo { FileName = "php_apcu.dll", Name = "php_apcu", FileVersion = "5.1.21" };
        Assert.That(Advice(apcu74, Architecture.X64, Php("php7ts.dll", "7.4.33.0")), Does.StartWith("php_apcu-5.1.21-7.4-ts-vc15-x64.zip"));
    }

    [Test]
    public void Unknown_module_with_guid_and_age_gets_its_pdb_and_store_path_in_the_symbols_step()
    {
        var vendor = new ModuleInfo
        {
            FileName = "AcmeHook64.dll", Name = "AcmeHook64", FileVersion = "2.1.0.7", Symbols = SymbolStatus.ExportOnly,
            PdbName = "AcmeHook64.pdb", PdbGuid = Guid.Parse("684DA42A-30CC-450F-81C5-35B4D18944B1"), PdbAge = 0x1b,
            Base = 0x7ffb10000000, Size = 0x10000,
        };
        var crash = CrashWithModules([vendor], Architecture.X64, "AcmeHook64!Init+0x12");
        var advice = SymbolsStep.Run(crash, BuiltIn).ExportOnly.Single().WhereToGet;
        Assert.That(advice, Is.EqualTo(
            "Ask the vendor of AcmeHook64.dll 2.1.0.7 for AcmeHook64.pdb (GUID {684DA42A-30CC-450F-81C5-35B4D18944B1}, " +
            "age 27; symbol store path AcmeHook64.pdb/684DA42A30CC450F81C535B4D18944B11B/AcmeHook64.pdb)."));
    }

    [Test]
    public void Unknown_module_without_identity_gets_one_sentence_on_how_to_read_it()
    {
        var vendor = new ModuleInfo { FileName = "AcmeHook64.dll", Name = "AcmeHook64", Symbols = SymbolStatus.None };
        var crash = CrashWithModules([vendor], Architecture.X64, "AcmeHook64+0x1234");
        var advice = SymbolsStep.Run(crash, BuiltIn).Missing.Single().WhereToGet;
        Assert.That(advice, Is.EqualTo(
            "Ask the vendor of AcmeHook64.dll <version> for <PDB name> with its GUID and age. To fill in the <…> parts, " +
            "run `lmvm AcmeHook64` and `!lmi AcmeHook64` (its CodeView GUID, age and PDB name) in the debugger, " +
            "or check AcmeHook64.dll's properties (Details tab)."));
    }

    [Test]
    public void Every_placeholder_of_the_built_in_catalog_is_one_expand_fills_in_and_each_name_is_filled()
    {
        var folder = Path.Combine(TestRepo.Root, "RulesEngine", "Catalog", "builtin");
        var used = Directory.GetFiles(folder, "*.yaml").SelectMany(f => System.Text.RegularExpressions.Regex
            .Matches(File.ReadAllText(f), @"\{([a-z_]+)\}").Select(m => (File: Path.GetFileName(f), Name: m.Groups[1].Value))).ToList();
        Assert.That(used, Is.Not.Empty);
        Assert.That(used.Where(u => !SymbolPlaceholders.Names.Contains(u.Name)), Is.Empty);
        var crash = CrashWithModules([Php("php8ts.dll", "8.3.4.0")], Architecture.X64);
        foreach (var name in SymbolPlaceholders.Names)
            Assert.That(SymbolPlaceholders.Expand("{" + name + "}", crash.Modules[0], crash), Does.Not.Contain("{"), name);
    }

    [Test]
    public void No_long_placeholder_text_reaches_a_triage_when_the_version_is_in_the_text()
    {
        // A pasted session: lm, then lmvm of the PHP DLL with its File version, then !lmi of the unknown module.
        var text = """
            0:000> kn
             # Child-SP          RetAddr               Call Site
            00 00000000`0012f8a8 00007ffb`3c2b1234     AcmeHook64+0x1234
            01 00000000`0012f900 00007ffb`3c2c5678     php8ts!execute_ex+0x51
            0:000> lm
            start             end                 module name
            00007ff6`11110000 00007ff6`11130000   php_cgi    (export symbols)       php-cgi.exe
            00007ffb`10000000 00007ffb`10010000   AcmeHook64   (no symbols)
            00007ffb`3c1b0000 00007ffb`3c5e0000   php8ts     (export symbols)       php8ts.dll
            0:000> lmvm php8ts
            start             end                 module name
            00007ffb`3c1b0000 00007ffb`3c5e0000   php8ts     (export symbols)       php8ts.dll
                Image path: C:\PHP\php8ts.dll
                Image name: php8ts.dll
                File version:     8.3.4.0
                Product version:  8.3.4.0
            """;
        var crash = DebuggerText.Read(text);
        var result = Triager.Triage(crash, BuiltIn);
        var all = string.Join("\n", result.Symbols.ExportOnly.Concat(result.Symbols.Missing).Select(a => a.WhereToGet ?? ""));
        Assert.That(all, Does.Contain("php-debug-pack-8.3.4-Win32-vs16-x64.zip"));
        Assert.That(all, Does.Not.Contain("<PHP version").And.Not.Contain("unknown:"));
        Assert.That(result.Verdict.SymbolsHint ?? "", Does.Not.Contain("{").And.Not.Contain("<PHP version"));
    }
}
