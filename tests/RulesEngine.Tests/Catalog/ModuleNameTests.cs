using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;
using FcgiExt.RulesEngine.Model;
using NUnit.Framework;
using static FcgiExt.Tests.Catalog.CatalogTestKit;

namespace FcgiExt.Tests.Catalog;

/// <summary>Module patterns accept both the image file name and dbgeng's module name ('-' and '.' as '_').</summary>
public class ModuleNameTests
{
    private static bool Matches(string pattern, string frameModule, CrashReport? crash = null) =>
        ModulePattern.Parse(pattern, out _)!.Matches(ModuleCandidate.For(frameModule, crash));

    [TestCase("msvcrt-ruby220.dll", "msvcrt_ruby220")]
    [TestCase("msvcrt-ruby220.dll", "msvcrt-ruby220.dll")]
    [TestCase("msvcrt_ruby220", "msvcrt-ruby220.dll")]
    [TestCase("msvcrt_ruby220", "msvcrt_ruby220")]
    [TestCase("php_xdebug-3.3.1-8.3-vs16-x86_64.dll", "php_xdebug_3_3_1_8_3_vs16_x86_64")]
    [TestCase("php_xdebug_3_3_1_8_3_vs16_x86_64", "php_xdebug-3.3.1-8.3-vs16-x86_64.dll")]
    [TestCase("php_xdebug*.dll", "php_xdebug_3_3_1_8_3_vs16_x86_64")]
    [TestCase("php_xdebug*.dll", "php_xdebug-3.3.1-8.3-vs16-x86_64.dll")]
    [TestCase("x64-ucrt-ruby*.dll", "x64_ucrt_ruby310")]
    [TestCase("PHP8TS.DLL", "php8ts")]
    [TestCase("php8ts", "C:\\PHP\\php8ts.dll")]
    [TestCase("php-cgi.exe", "php_cgi")]
    [TestCase("nokogiri.so", "nokogiri")]
    public void PatternMatchesBothNameForms(string pattern, string frameModule) =>
        Assert.That(Matches(pattern, frameModule), Is.True);

    [TestCase("php_xdebug*.dll", "php_opcache")]
    [TestCase("php8ts.dll", "php8")]
    [TestCase("msvcrt.dll", "msvcrt_ruby220")]
    [TestCase("php_*.dll", "php-cgi.exe")]
    public void PatternDoesNotMatchOtherModules(string pattern, string frameModule) =>
        Assert.That(Matches(pattern, frameModule), Is.False);

    [Test]
    public void EngineNameFollowsDbgeng()
    {
        Assert.That(ModuleNames.EngineName("msvcrt-ruby220.dll"), Is.EqualTo("msvcrt_ruby220"));
        Assert.That(ModuleNames.EngineName("php_xdebug-3.3.1-8.3-vs16-x86_64.dll"), Is.EqualTo("php_xdebug_3_3_1_8_3_vs16_x86_64"));
        var p = ModulePattern.Parse("php_xdebug-3.3.1-8.3-vs16-x86_64.dll", out _)!;
        Assert.That(p.EngineForm.Text, Is.EqualTo("php_xdebug_3_3_1_8_3_vs16_x86_64"));
    }

    [Test]
    public void AStarDotSoPatternNeedsTheImageFileName()
    {
        // `*.so` in engine form would be `*`: every module. It only matches when the file name is known.
        Assert.That(Matches("*.so", "puma_http11.so"), Is.True);
        Assert.That(Matches("*.so", "puma_http11"), Is.False);
        var crash = new CrashReport { Modules = [new ModuleInfo { FileName = "puma_http11.so", Name = "puma_http11" }] };
        Assert.That(Matches("*.so", "puma_http11", crash), Is.True, "the crash's module list gives the file name");
        Assert.That(Matches("*.so", "php8ts", crash), Is.False);
    }

    [Test]
    public void TheCrashModuleListGivesTheFileNameOfAnEngineNamedFrame()
    {
        var crash = new CrashReport { Modules = [new ModuleInfo { FileName = "php_xdebug-3.3.1-8.3-vs16-x86_64.dll", Name = "php_xdebug_3_3_1_8_3_vs16_x86_64" }] };
        var candidate = ModuleCandidate.For("php_xdebug_3_3_1_8_3_vs16_x86_64", crash);
        Assert.That(candidate.FileName, Is.EqualTo("php_xdebug-3.3.1-8.3-vs16-x86_64.dll"));
        Assert.That(candidate.EngineName, Is.EqualTo("php_xdebug_3_3_1_8_3_vs16_x86_64"));
    }

    [Test]
    public void BuiltInCatalogRecognisesShippedNamesInBothForms()
    {
        var catalog = RuleCatalog.LoadBuiltIn();
        string? Owner(string frame) => catalog.Walk(FrameText.Crash([frame], null, null).Crash, null).Owner?.Id;
        Assert.Multiple(() =>
        {
            Assert.That(Owner("php_pdo_sqlsrv_83_ts_x64.dll!pdo_sqlsrv_stmt_execute"), Is.EqualTo("msphpsql"));
            Assert.That(Owner("php_pdo_sqlsrv_83_ts_x64!pdo_sqlsrv_stmt_execute"), Is.EqualTo("msphpsql"));
            Assert.That(Owner("php_opcache.dll!zend_accel_load_script"), Is.EqualTo("php-opcache"));
            Assert.That(Owner("msvcrt-ruby220.dll!rb_gc_mark"), Is.EqualTo("ruby-core"));
            Assert.That(Owner("msvcrt_ruby220!rb_gc_mark"), Is.EqualTo("ruby-core"));
            Assert.That(Owner("x64-msvcrt-ruby270.dll!vm_exec"), Is.EqualTo("ruby-core"));
            Assert.That(Owner("x64_vcruntime140_ruby320!rb_funcallv"), Is.EqualTo("ruby-core"));
            Assert.That(Owner("ruby.exe!main"), Is.EqualTo("ruby-core"));
            Assert.That(Owner("mysql2.so!rb_mysql_result_each"), Is.EqualTo("ruby-gem-mysql2"));
            Assert.That(Owner("pg_ext!pgconn_exec"), Is.EqualTo("ruby-gem-pg"));
            Assert.That(Owner("msodbcsql17!SQLExecute"), Is.EqualTo("msodbcsql"));
            Assert.That(Owner("sqlncli10.dll!SQLFetch"), Is.EqualTo("sqlncli"));
            Assert.That(Owner("libpq.dll!PQexec"), Is.EqualTo("libpq"));
            Assert.That(Owner("iisfcgi!FASTCGI_HANDLER::OnAsyncCompletion"), Is.EqualTo("iis"));
            Assert.That(Owner("w3wp.exe!wmain"), Is.EqualTo("iis"));
            Assert.That(Owner("php-cgi.exe!main"), Is.EqualTo("php-core"));
            Assert.That(Owner("php5ts!zend_hash_find"), Is.EqualTo("php-core"));
            Assert.That(Owner("php7!zend_hash_find"), Is.EqualTo("php-core"));
            Assert.That(Owner("msvcr120!_output_l"), Is.EqualTo("crt"));
            Assert.That(Owner("msvcr90!memcpy"), Is.Null, "memcpy alone is skipped; nothing below decides");
            Assert.That(Owner("SomeHook64.dll!Init"), Is.EqualTo("unknown-module"));
        });
    }
}
