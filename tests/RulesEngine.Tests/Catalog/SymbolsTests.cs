using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using System.Text.RegularExpressions;
using NUnit.Framework;
using static FcgiExt.Tests.Catalog.CatalogTestKit;

namespace FcgiExt.Tests.Catalog;

/// <summary>WhereToGetSymbols: the catalog's `symbols:` text with the module's facts filled in.</summary>
public class SymbolsTests
{
    private static readonly RuleCatalog BuiltIn = RuleCatalog.LoadBuiltIn();

    private static string? Symbols(ModuleInfo module, Architecture arch, params ModuleInfo[] others)
    {
        var crash = CrashWithModules([module, .. others], arch);
        return BuiltIn.WhereToGetSymbols(module, crash);
    }

    [Test]
    public void ThreadSafePhp83x64GetsTheVs16TsDebugPack()
    {
        var php = new ModuleInfo { FileName = "php8ts.dll", Name = "php8ts", FileVersion = "8.3.14.0" };
        Assert.That(Symbols(php, Architecture.X64), Does.StartWith("php-debug-pack-8.3.14-Win32-vs16-x64.zip from https://windows.php.net/downloads/releases/"));
    }

    [Test]
    public void NonThreadSafePhp84GetsTheVs17NtsDebugPack()
    {
        var php = new ModuleInfo { FileName = "php8.dll", Name = "php8", FileVersion = "8.4.1" };
        Assert.That(Symbols(php, Architecture.X64), Does.StartWith("php-debug-pack-8.4.1-nts-Win32-vs17-x64.zip"));
    }

    [TestCase("php7ts.dll", "7.4.33.0", Architecture.X86, "php-debug-pack-7.4.33-Win32-vc15-x86.zip")]
    [TestCase("php7.dll", "7.1.33", Architecture.X64, "php-debug-pack-7.1.33-nts-Win32-VC14-x64.zip")]
    [TestCase("php7ts.dll", "7.3.27.0", Architecture.X86, "php-debug-pack-7.3.27-Win32-VC15-x86.zip")]
    [TestCase("php7.dll", "7.4.15.0", Architecture.X86, "php-debug-pack-7.4.15-nts-Win32-vc15-x86.zip")]
    [TestCase("php5ts.dll", "5.6.40.0", Architecture.X86, "php-debug-pack-5.6.40-Win32-VC11-x86.zip")]
    [TestCase("php5.dll", "5.6.40.0", Architecture.X64, "php-debug-pack-5.6.40-nts-Win32-VC11-x64.zip")]
    [TestCase("php8.dll", "8.0.30.0", Architecture.X64, "php-debug-pack-8.0.30-nts-Win32-vs16-x64.zip")]
    [TestCase("php8ts.dll", "8.5.0.0", Architecture.X64, "php-debug-pack-8.5.0-Win32-vs17-x64.zip")]
    public void DebugPackNamePerVersionThreadSafetyArchitecture(string file, string version, Architecture arch, string expected)
    {
        var php = new ModuleInfo { FileName = file, Name = ModuleNames.EngineName(file), FileVersion = version };
        Assert.That(Symbols(php, arch), Does.StartWith(expected));
    }

    [Test]
    public void BundledExtensionsUseThePhpDebugPackOfTheCrash()
    {
        var php = new ModuleInfo { FileName = "php8.dll", Name = "php8", FileVersion = "8.2.26.0" };
        var opcache = new ModuleInfo { FileName = "php_opcache.dll", Name = "php_opcache", FileVersion = "8.2.26.0" };
        Assert.That(Symbols(opcache, Architecture.X64, php), Does.Contain("php-debug-pack-8.2.26-nts-Win32-vs16-x64.zip"));
    }

    [Test]
    public void PeclExtensionsPointAtThePeclZipAndThirdPartyAtTheirVendor()
    {
        var php = new ModuleInfo { FileName = "php8ts.dll", Name = "php8ts", FileVersion = "8.3.14.0" };
        var apcu = new ModuleInfo { FileName = "php_apcu.dll", Name = "php_apcu", FileVersion = "5.1.23" };
        Assert.That(Symbols(apcu, Architecture.X64, php),
            Does.StartWith("php_apcu-5.1.23-8.3-ts-vs16-x64.zip from https://windows.php.net/downloads/pecl/releases/apcu/5.1.23/"));
        var sqlsrv = new ModuleInfo { FileName = "php_sqlsrv_83_ts_x64.dll", Name = "php_sqlsrv_83_ts_x64", FileVersion = "5.12.0" };
        Assert.That(Symbols(sqlsrv, Architecture.X64, php), Does.Contain("https://github.com/microsoft/msphpsql/releases").And.Contain("5.12.0"));
        var xdebug = new ModuleInfo { FileName = "php_xdebug-3.3.1-8.3-vs16-x86_64.dll", Name = "php_xdebug_3_3_1_8_3_vs16_x86_64" };
        Assert.That(Symbols(xdebug, Architecture.Unknown), Does.Contain("php_xdebug-3.3.1-8.3-ts-vs16-x64.zip"),
            "without the PHP DLL, PHP minor, thread safety, compiler and architecture come from the shipped file name");
    }

    [Test]
    public void WindowsDllsPointAtMicrosoftsSymbolServerAndRubyExplainsThereIsNoPdb()
    {
        var ntdll = new ModuleInfo { FileName = "ntdll.dll", Name = "ntdll", FileVersion = "10.0.20348.2227" };
        Assert.That(Symbols(ntdll, Architecture.X64),
            Does.Contain("https://msdl.microsoft.com/download/symbols").And.Contain("every ntdll.dll build"));
        Assert.That(Symbols(ntdll with { FileVersion = null }, Architecture.X64), Does.Not.Contain("To fill in"),
            "the symbol server finds a Windows PDB by itself: no version to look up");
        var ruby = new ModuleInfo { FileName = "x64-ucrt-ruby310.dll", Name = "x64_ucrt_ruby310", FileVersion = "3.1.4" };
        Assert.That(Symbols(ruby, Architecture.X64), Does.Contain("has no PDB").And.Contain("rubyinstaller2/issues/272"));
    }

    [Test]
    public void UnknownFactsAreShortTokensAndOneSentenceSaysHowToReadThem()
    {
        var php = new ModuleInfo { FileName = "php8ts.dll", Name = "php8ts" };
        var text = Symbols(php, Architecture.Unknown)!;
        Assert.That(text, Does.StartWith("php-debug-pack-<PHP version>-Win32-<compiler>-<x64|x86>.zip from "));
        Assert.That(text, Does.Not.Contain("unknown"), "no long placeholder text");
        Assert.That(text, Does.EndWith(
            "To fill in the <…> parts, run `lmvm php8ts` and `.effmach` (x64 or x86) in the debugger, " +
            "or check php8ts.dll's properties (Details tab)."));
        Assert.That(Regex.Matches(text, "To fill in").Count, Is.EqualTo(1), "one sentence, however many facts are missing");
    }

    [Test]
    public void OwnerOfModuleIgnoresTheCatchAllAndFunctionRules()
    {
        var crash = CrashWithModules([], Architecture.X64);
        Assert.That(BuiltIn.OwnerOfModule(new ModuleInfo { FileName = "ntdll.dll", Name = "ntdll" }, crash)!.Id, Is.EqualTo("windows"));
        Assert.That(BuiltIn.OwnerOfModule(new ModuleInfo { FileName = "php8ts.dll", Name = "php8ts" }, crash)!.Id, Is.EqualTo("php-core"));
        Assert.That(BuiltIn.OwnerOfModule(new ModuleInfo { FileName = "vcruntime140.dll", Name = "vcruntime140" }, crash)!.Id, Is.EqualTo("crt"));
        Assert.That(BuiltIn.OwnerOfModule(new ModuleInfo { FileName = "whatever.dll", Name = "whatever" }, crash), Is.Null);
        Assert.That(BuiltIn.WhereToGetSymbols(new ModuleInfo { FileName = "whatever.dll", Name = "whatever" }, crash), Is.Null);
    }

    [TestCase(5, 6, "vc11")] [TestCase(7, 0, "vc14")] [TestCase(7, 1, "vc14")] [TestCase(7, 2, "vc15")] [TestCase(7, 4, "vc15")]
    [TestCase(8, 0, "vs16")] [TestCase(8, 3, "vs16")] [TestCase(8, 4, "vs17")]
    public void CompilerPerPhpVersion(int major, int minor, string compiler) =>
        Assert.That(SymbolPlaceholders.CompilerFor(major, minor), Is.EqualTo(compiler));
}
