using NUnit.Framework;

namespace FcgiExt.IisConfig.Tests;

/// <summary>The php.ini reader: what PHP would take from the lines the checks read, and one error for a broken file.</summary>
public class PhpIniTests
{
    [Test]
    public void Reads_the_fixture_as_php_would()
    {
        var ini = PhpIni.Load(Fixture.PhpIni("default"));
        Assert.That(ini.Get("max_execution_time")!.Value, Is.EqualTo("300"), "the [PATH=…] section's 0 applies to one folder only");
        Assert.That(ini.Get("fastcgi.logging")!.Value, Is.EqualTo("0"));
        Assert.That(ini.Get("error_log")!.Value, Is.EqualTo(@"C:\Windows\Temp\PHP82x64_errors.log"), "quotes removed, backslashes kept");
        Assert.That(ini.Get("date.timezone")!.Section, Is.EqualTo("Date"));
        Assert.That(ini.Get("fastcgi.logging")!.Location.Line, Is.EqualTo(25));
        Assert.That(ini.Entries.Count(e => e.Name == "extension"), Is.EqualTo(4));
    }

    [Test]
    public void Comments_quotes_and_the_last_line_winning()
    {
        var ini = PhpIni.Parse("a = 1 ; old\n; a = 9\n#b = 3\nc = \"x ; y\"\n  a = 2\nflag\n", "t.ini");
        Assert.That(ini.Get("a")!.Value, Is.EqualTo("2"));
        Assert.That(ini.Get("a")!.Location.Column, Is.EqualTo(3));
        Assert.That(ini.Get("b"), Is.Null, "a # line sets no b");
        Assert.That(ini.Get("#b")!.Value, Is.EqualTo("3"), "PHP 7 and later read it as a directive named #b");
        Assert.That(ini.Get("c")!.Value, Is.EqualTo("x ; y"), "a ';' inside quotes is text");
        Assert.That(ini.Get("flag"), Is.Null, "a bare name sets nothing");
    }

    [TestCase("On", true)]
    [TestCase("1", true)]
    [TestCase("yes", true)]
    [TestCase("0", false)]
    [TestCase("Off", false)]
    [TestCase("none", false)]
    [TestCase("", false)]
    public void Booleans_as_php_reads_them(string text, bool expected) => Assert.That(PhpIni.IsTrue(text), Is.EqualTo(expected));

    [TestCase("10000", 10000)]
    [TestCase("  25x", 25)]
    [TestCase("-1", -1)]
    [TestCase("unlimited", 0)]
    public void Numbers_as_atoi_reads_them(string text, long expected) => Assert.That(PhpIni.Atoi(text), Is.EqualTo(expected));

    [Test]
    public void A_malformed_ini_is_one_error_with_its_line_and_column()
    {
        var e = Assert.Throws<ConfigFileException>(() => PhpIni.Load(Fixture.PhpIni("malformed")))!;
        Assert.That(e.Message, Is.EqualTo($"{Fixture.PhpIni("malformed")}:4:13: quoted value without its closing \""));
        var section = Assert.Throws<ConfigFileException>(() => PhpIni.Parse("a=1\n  [PHP\n", "x.ini"))!;
        Assert.That(section.Message, Is.EqualTo("x.ini:2:3: section name without a closing ']'"));
        var noName = Assert.Throws<ConfigFileException>(() => PhpIni.Parse(" = 5", "x.ini"))!;
        Assert.That(noName.Message, Is.EqualTo("x.ini:1:2: a value with no directive name before '='"));
    }
}
