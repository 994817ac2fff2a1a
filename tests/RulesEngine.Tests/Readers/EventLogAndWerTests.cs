using System.Text;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

public class EventLogAndWerTests
{
    // file, process, faulting module (engine name), module file name, offset, code, architecture
    [TestCase("php-src-10692-event1000-php8-fastcgi.txt", "php-cgi.exe", "php8", "php8.dll", 0x3b37UL, 0xC0000005u, Architecture.X64)]
    [TestCase("php-src-10884-event1000-xdebug-recursion.txt", "php-cgi.exe", "php8", "php8.dll", 0x3dadd7UL, 0xC00000FDu, Architecture.X64)]
    [TestCase("processwire-1449-event1000-xdebug.txt", "httpd.exe", "php_xdebug", "php_xdebug.dll", 0xc840UL, 0xC0000005u, Architecture.X64)]
    [TestCase("php-src-11549-event1000-opcache-quoted.txt", "php-cgi.exe", "php_opcache", "php_opcache.dll", 0x100b3UL, 0xC0000005u, Architecture.X64)]
    [TestCase("php-src-8143-event1000-opcache-header.txt", "php-cgi.exe", "php_opcache", "php_opcache.dll", 0x43a3UL, 0xC0000005u, Architecture.X64)]
    [TestCase("php-src-21303-event1000-php8ts-apache.txt", "httpd.exe", "php8ts", "php8ts.dll", 0x63ef53UL, 0xC0000005u, Architecture.X64)]
    [TestCase("bitnami-428-event1000-php7ts.txt", "httpd.exe", "php7ts", "php7ts.dll", 0xc550bUL, 0xC0000005u, Architecture.X64)]
    [TestCase("motus-411-event1000-wincache-x86.txt", "php-cgi.exe", "php_wincache", "php_wincache.dll", 0x78d9UL, 0xC0000005u, Architecture.X86)]
    [TestCase("msphpsql-1531-event1000-pdo-sqlsrv.txt", "php-cgi.exe", "php_pdo_sqlsrv_83_nts_x64", "php_pdo_sqlsrv_83_nts_x64.dll", 0x2ab60UL, 0xC0000005u, Architecture.X64)]
    [TestCase("wincache-rtw-event1000-legacy.txt", "php-cgi.exe", "php_wincache", "php_wincache.dll", 0x29beUL, 0xC0000005u, Architecture.X86)]
    [TestCase("pthreads-908-event1000-portuguese.txt", "php.exe", "pthreadVC2", "pthreadVC2.dll", 0x323aUL, 0xC0000005u, Architecture.X64)]
    [TestCase("contao-2331-event1000-german.txt", "php.exe", "VCRUNTIME140", "VCRUNTIME140.dll", 0x14a0UL, 0xC0000005u, Architecture.X64)]
    [TestCase("msphpsql-58-event1000-french.txt", "php-cgi.exe", "php7ts", "php7ts.dll", 0x1c34b4UL, 0xC00000FDu, Architecture.X64)]
    // The whole block in one pair of quotes / backticks: the opening one sits before the first label.
    [TestCase("eddiscovery-982-event1000-nvoglv64.txt", "EDDiscovery.exe", "nvoglv64", "nvoglv64.DLL", 0xc1035dUL, 0xC0000005u,
        Architecture.X64)]
    [TestCase("audio-router-6-event1000-chrome-aswhooka.txt", "chrome.exe", "aswhooka", "aswhooka.dll", 0x10b00UL, 0xC0000005u,
        Architecture.X64)]
    // Windows 11's doubled prefix on the process id: "0x0x4688".
    [TestCase("fancontrol-2660-event1000-atiadlxx-c0000409.txt", "FanControl.exe", "atiadlxx", "atiadlxx.dll", 0x162bf1UL, 0xC0000409u,
        Architecture.X64)]
    // Double-spaced (a blank line between the fields, as the post kept them): still one event.
    [TestCase("sandboxie-4754-event1000-double-spaced-sbiedll.txt", "Doomsday.exe", "SbieDll", "SbieDll.dll", 0x77517UL, 0xC0000005u,
        Architecture.X64)]
    public void Real_event_1000(string file, string process, string module, string moduleFile, ulong offset, uint code, Architecture arch)
    {
        var r = Fixture.Read(file);
        Assert.Multiple(() =>
        {
            Assert.That(r.Source.Kind, Is.EqualTo("event-log"));
            Assert.That(r.Process.Name, Is.EqualTo(process));
            Assert.That(r.Process.Architecture, Is.EqualTo(arch));
            Assert.That(r.Process.ProcessId, Is.Not.Null);
            Assert.That(r.Exception!.Code, Is.EqualTo(code));
            Assert.That(r.Frames, Has.Count.EqualTo(1), "the event gives one frame: module + offset");
            Assert.That(r.Frames[0].Module, Is.EqualTo(module));
            Assert.That(r.Frames[0].Function, Is.Null);
            Assert.That(r.Frames[0].Displacement, Is.EqualTo(offset));
            Assert.That(r.FindModule(module)!.FileName, Is.EqualTo(moduleFile));
            Assert.That(r.Source.SkippedLines, Is.Empty);
        });
    }

    [Test]
    public void Event_fields_version_timestamp_and_paths()
    {
        var r = Fixture.Read("php-src-10692-event1000-php8-fastcgi.txt");
        var php8 = r.FindModule("php8.dll")!;
        Assert.That(php8.FileVersion, Is.EqualTo("8.2.3.0"));
        Assert.That(php8.Timestamp, Is.EqualTo(0x63eb6101u));
        Assert.That(php8.Path, Is.EqualTo(@"z:\nginx\php\php8.dll"));
        Assert.That(r.FindModule("php-cgi.exe")!.Path, Is.EqualTo(@"z:\nginx\php\php-cgi.exe"));
        Assert.That(r.Process.ProcessId, Is.EqualTo(0x6090u));
    }

    [Test]
    public void Report_wer_utf16_with_bom_read_from_disk()
    {
        var bytes = File.ReadAllBytes(Fixture.PathOf("msphpsql-82-Report.wer"));
        Assert.That(bytes[0] == 0xFF && bytes[1] == 0xFE, "the fixture is UTF-16 LE with a BOM, as Windows writes it");
        var r = Fixture.Read("msphpsql-82-Report.wer");
        Assert.Multiple(() =>
        {
            Assert.That(r.Source.Kind, Is.EqualTo("wer"));
            Assert.That(r.Process.Name, Is.EqualTo("httpd.exe"));
            Assert.That(r.Exception!.Code, Is.EqualTo(0xC0000005u));
            Assert.That(r.Frames.Single().Display, Is.EqualTo("php7ts+0x1ae0d"));
            Assert.That(r.FindModule("php7ts")!.FileVersion, Is.EqualTo("7.0.4.0"));
            Assert.That(r.FindModule("php_sqlsrv_7_ts.dll")!.Path, Is.EqualTo(@"D:\PHP\ext\php_sqlsrv_7_ts.dll"), "LoadedModule[n] lines become modules");
            Assert.That(r.Time, Is.EqualTo(DateTimeOffset.FromFileTime(131042285770735908).ToUniversalTime()));
            Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X64));
        });
    }

    [TestCase("utf-8-bom")]
    [TestCase("utf-16le-bom")]
    [TestCase("utf-16be-bom")]
    [TestCase("utf-16le-no-bom")]
    [TestCase("utf-8")]
    public void Decode_by_byte_order_mark(string encoding)
    {
        const string text = "Sig[3].Name=Fault Module Name\r\nSig[3].Value=php_curl.dll\r\n";
        byte[] bytes = encoding switch
        {
            "utf-8-bom" => [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)],
            "utf-16le-bom" => [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(text)],
            "utf-16be-bom" => [0xFE, 0xFF, .. Encoding.BigEndianUnicode.GetBytes(text)],
            "utf-16le-no-bom" => Encoding.Unicode.GetBytes(text),
            _ => Encoding.UTF8.GetBytes(text),
        };
        Assert.That(DebuggerText.Decode(bytes), Is.EqualTo(text));
    }

    [Test]
    public void Problem_signature_positional_and_bex_order()
    {
        var r = Fixture.Read("msphpsql-58-problem-signature-php7ts.txt");
        Assert.That(r.Frames.Single().Display, Is.EqualTo("php7ts+0x1ae0d"));
        Assert.That(r.Exception!.Code, Is.EqualTo(0xC0000005u));

        // BEX (buffer overrun / DEP) puts the offset before the code.
        var bex = DebuggerText.Read("Problem Event Name: BEX64\nApplication Name: php-cgi.exe\nFault Module Name: php_imagick.dll\nException Offset: 000000000004a1c2\nException Code: c0000409\n");
        Assert.That(bex.Exception!.Code, Is.EqualTo(0xC0000409u));
        Assert.That(bex.Frames.Single().Display, Is.EqualTo("php_imagick+0x4a1c2"));
        var positional = DebuggerText.Read("Event Name: BEX\nProblem signature:\nP1: php-cgi.exe\nP2: 7.4.33.0\nP3: 6361a5a2\nP4: php_imagick.dll\nP5: 3.7.0.0\nP6: 61a7c1b2\nP7: 0004a1c2\nP8: c0000409\nP9: 00000002\n");
        Assert.That(positional.Exception!.Code, Is.EqualTo(0xC0000409u));
        Assert.That(positional.Frames.Single().Displacement, Is.EqualTo(0x4a1c2UL));
        Assert.That(positional.Process.Architecture, Is.EqualTo(Architecture.X86));
    }

    [Test]
    public void Problem_signature_quoted_with_its_indentation()
    {
        // "> " then the dialog's own indentation on every line (composer/composer#3971).
        var r = Fixture.Read("composer-3971-problem-signature-quoted-opcache-x86.txt");
        Assert.That(r.Frames.Single().Display, Is.EqualTo("php_opcache+0x6cec"));
        Assert.That(r.Exception!.Code, Is.EqualTo(0xC0000005u));
        Assert.That(r.Process.Name, Is.EqualTo("php.exe"));
        Assert.That(r.Process.Architecture, Is.EqualTo(Architecture.X86));
        // A prompt is still not a quote.
        var prompt = DebuggerText.Read(
            "0:000> k\nChild-SP          RetAddr           Call Site\n000000a1`2f5fe6f0 00007ffb`3c1b51e2 php_redis+0x14a24\n");
        Assert.That(prompt.Frames.Single().Module, Is.EqualTo("php_redis"));
    }

    [Test]
    public void Missing_file_is_a_one_line_error_naming_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), "fcgiext-no-such-file-" + Guid.NewGuid() + ".wer");
        var e = Assert.Throws<DebuggerTextException>(() => DebuggerText.ReadFile(path));
        Assert.That(e!.Message, Does.StartWith(path + ":"));
        Assert.That(e.Message, Does.Not.Contain("\n"));
    }
}
