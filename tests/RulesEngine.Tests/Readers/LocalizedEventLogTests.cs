using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>Event 1000 in the languages Windows writes it in, from real texts (SOURCES.md) or labels taken from them.</summary>
public class LocalizedEventLogTests
{
    [TestCase("snegopat-19-event1000-russian.txt", "starter.exe", "KERNELBASE", 0xC0000005u, 0xdf15UL, Architecture.X86)]
    [TestCase("umaumacruise-18-event1000-japanese.txt", "UmaUmaCruise.exe", "ucrtbase", 0xC0000409u, 0x7286eUL, Architecture.X64)]
    [TestCase("xplist-37-event1000-chinese.txt", "Xplist.exe", "ntdll", 0xC00000FDu, 0x3ec71UL, Architecture.X64)]
    [TestCase("files-8728-event1000-italian.txt", "ShellExperienceHost.exe", "ucrtbase", 0xC0000409u, 0x7dd7eUL, Architecture.X64)]
    // Dutch as Windows 11 writes it: two path labels keep the English "Faulting-" prefix; x86 worker (SysWOW64).
    [TestCase("iis-administration-333-event1000-dutch-iiscore-arrhelper-x86.txt", "w3wp.exe", "iiscore", 0xC0000005u, 0xa6ecUL,
        Architecture.X86)]
    public void Real_localized_events(string file, string app, string module, uint code, ulong offset, Architecture arch)
    {
        var r = Fixture.Read(file);
        Assert.That(r.Source.Kind, Is.EqualTo("event-log"));
        Assert.That(r.Process.Name, Is.EqualTo(app));
        Assert.That(r.Exception?.Code, Is.EqualTo(code));
        Assert.That(r.Frames.Single().Module, Is.EqualTo(module));
        Assert.That(r.Frames.Single().Displacement, Is.EqualTo(offset));
        Assert.That(r.Process.Architecture, Is.EqualTo(arch));
        var m = r.FindModule(module)!;
        Assert.That(m.FileVersion, Is.Not.Null.And.Not.Contains("time"), "the version is cut before the time stamp");
        Assert.That(m.Timestamp, Is.Not.Null, "the module's time stamp is read in every language");
        Assert.That(m.Path, Does.EndWith(m.FileName!).IgnoreCase);
        Assert.That(r.Source.SkippedLines, Is.Empty);
    }

    [TestCase("systeminformer-2571-event1001-italian.txt", "SystemInformer.exe", "SystemInformer", 0x54660UL)]
    [TestCase("rapidocrserver-1-problem-signature-chinese.txt", "RapidOCRServer.exe", "ntdll", 0x2aabbUL)]
    [TestCase("cura-4297-problem-signature-german-atio6axx.txt", "Cura.exe", "atio6axx", 0xd1cd83UL)]
    public void Real_localized_problem_signatures(string file, string app, string module, ulong offset)
    {
        var r = Fixture.Read(file);
        Assert.That(r.Process.Name, Is.EqualTo(app));
        Assert.That(r.Exception?.Code, Is.EqualTo(0xC0000005u));
        Assert.That(r.Frames.Single().Module, Is.EqualTo(module));
        Assert.That(r.Frames.Single().Displacement, Is.EqualTo(offset));
    }

    [Test]
    public void Russian_module_line_without_a_colon_keeps_version_and_time_stamp()
    {
        var m = Fixture.Read("snegopat-19-event1000-russian.txt").FindModule("KERNELBASE")!;
        Assert.That(m.FileVersion, Is.EqualTo("6.1.7601.24545"));
        Assert.That(m.Timestamp, Is.EqualTo(0x5e0eb7f5u));
    }

    // Labels as in a Korean event found in a public GitHub file (an installer's crash pasted in full); values of a php-cgi crash.
    const string Korean = """
        오류 있는 응용 프로그램 이름: php-cgi.exe, 버전: 8.3.1.0, 타임스탬프: 0x657a6b22
        오류 있는 모듈 이름: php_redis.dll, 버전: 6.0.2.0, 타임스탬프: 0x65524b1c
        예외 코드: 0xc0000005
        오류 오프셋: 0x0000000000014a24
        오류 있는 프로세스 ID: 0x1fc0
        오류 있는 응용 프로그램 시작 시간: 0x01dbf9ff7bc66aa3
        오류 있는 응용 프로그램 경로: C:\PHP\php-cgi.exe
        오류 있는 모듈 경로: C:\PHP\ext\php_redis.dll
        보고서 ID: 7bd6bc46-f31a-4c17-aa83-d5b00d30fc70
        """;

    // Labels as in a Polish event quoted in a public GitHub file (Get-WinEvent output, path labels half English).
    const string Polish = """
        Nazwa aplikacji powodującej błąd: php-cgi.exe, wersja: 8.3.1.0, sygnatura czasowa: 0x657a6b22
        Nazwa modułu powodującego błąd: php_redis.dll, wersja: 6.0.2.0, sygnatura czasowa: 0x65524b1c
        Kod wyjątku: 0xc0000005
        Przesunięcie błędu: 0x0000000000014a24
        Identyfikator procesu błędu:  0x6618
        Czas uruchomienia aplikacji powodującej błąd: 0x1DCF4E7D3433E14
        Faulting ścieżka aplikacji: C:\PHP\php-cgi.exe
        Faulting ścieżka modułu: C:\PHP\ext\php_redis.dll
        """;

    // The three Dutch labels found in a real text (a public GitHub file), which starts at the module line.
    const string Dutch = """
        Naam van foutmodule: php_redis.dll
        Uitzonderingscode: 0xc0000005
        Foutoffset: 0x0000000000014a24
        """;

    [TestCase(Korean, true)]
    [TestCase(Polish, true)]
    [TestCase(Dutch, false)]
    public void Labels_taken_from_real_texts(string text, bool hasApp)
    {
        var r = DebuggerText.Read(text);
        Assert.That(r.Exception?.Code, Is.EqualTo(0xC0000005u));
        Assert.That(r.Frames.Single().Display, Is.EqualTo("php_redis+0x14a24"));
        Assert.That(r.Process.Name, Is.EqualTo(hasApp ? "php-cgi.exe" : null));
        if (hasApp)
        {
            Assert.That(r.FindModule("php_redis")?.FileVersion, Is.EqualTo("6.0.2.0"));
            Assert.That(r.FindModule("php_redis")?.Path, Is.EqualTo(@"C:\PHP\ext\php_redis.dll"));
            Assert.That(r.FindModule("php_redis")?.Timestamp, Is.EqualTo(0x65524b1cu));
        }
    }
}

/// <summary>WER's signature names in other languages: the problem signature text and Report.wer's Sig[n].Name.</summary>
public class LocalizedWerTests
{
    [TestCase("macro-deck-338-problem-signature-russian.txt", "Macro Deck 2.exe", 0xbe0dUL, Architecture.X64)]
    [TestCase("launcher-multigaming-4-problem-signature-polish.txt", "LauncherArma3.exe", 0x15b68UL, Architecture.X86)]
    public void Real_localized_problem_signatures(string file, string app, ulong offset, Architecture arch)
    {
        var r = Fixture.Read(file);
        Assert.That(r.Source.Kind, Is.EqualTo("wer"));
        Assert.That(r.Process.Name, Is.EqualTo(app));
        Assert.That(r.Exception?.Code, Is.EqualTo(0xE0434352u));
        Assert.That(r.Frames.Single().Display, Is.EqualTo($"KERNELBASE+0x{offset:x}"));
        Assert.That(r.Process.Architecture, Is.EqualTo(arch));
        Assert.That(r.Source.Notes, Has.Some.Contains("APPCRASH"));
    }

    [Test]
    public void Report_wer_with_localized_sig_names()
    {
        var r = DebuggerText.Read("""
            Version=1
            EventType=APPCRASH
            Sig[0].Name=Имя приложения
            Sig[0].Value=php-cgi.exe
            Sig[3].Name=Имя модуля с ошибкой
            Sig[3].Value=php_redis.dll
            Sig[6].Name=Код исключения
            Sig[6].Value=c0000005
            Sig[7].Name=Смещение исключения
            Sig[7].Value=0000000000014a24
            """);
        Assert.That(r.Process.Name, Is.EqualTo("php-cgi.exe"));
        Assert.That(r.Exception?.Code, Is.EqualTo(0xC0000005u));
        Assert.That(r.Frames.Single().Display, Is.EqualTo("php_redis+0x14a24"));
    }
}
