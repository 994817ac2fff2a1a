using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>Every form of DebugDiag's summary sentence, and its tables wrapped mid-word by a mail or forum.</summary>
public class DebugDiagSummaryTests
{
    [Test]
    public void Real_sentence_without_in_dump()
    {
        var r = Fixture.Read("msphpsql-39-debugdiag-summary-without-dump.txt");
        Assert.That(r.Source.Kind, Is.EqualTo("debugdiag"));
        Assert.That(r.Exception?.Code, Is.EqualTo(0xC0000005u));
        Assert.That(r.Exception!.Access, Is.EqualTo(AccessKind.Read));
        Assert.That(r.Exception.TargetAddress, Is.EqualTo(0UL));
        Assert.That(r.Frames.Single().Display, Is.EqualTo("php5!_efree+0x6a"));
        Assert.That(r.FindModule("php5")?.Path, Is.EqualTo(@"C:\PHP\php5.dll"));
        Assert.That(r.Source.Notes, Has.Some.Contains("The PHP Group"));
    }

    [TestCase("In php-cgi__PID__5180__Date__06_12_2017__Time_04_31_34PM__359__Second_Chance_Exception_C0000005.dmp the assembly " +
              "instruction at php5ts!zend_hash_find+1f in C:\\PHP\\php5ts.dll from The PHP Group has caused an access violation " +
              "exception (0xC0000005) when trying to read from memory location 0x00000010 on thread 5")]
    [TestCase("IN PHP-CGI__PID__5180__DATE__06_12_2017__TIME_04_31_34PM__359__SECOND_CHANCE_EXCEPTION_C0000005.DMP THE ASSEMBLY " +
              "INSTRUCTION AT php5ts!zend_hash_find+1f IN C:\\PHP\\php5ts.dll FROM THE PHP GROUP HAS CAUSED AN ACCESS VIOLATION " +
              "EXCEPTION (0XC0000005) WHEN TRYING TO READ FROM MEMORY LOCATION 0X00000010 ON THREAD 5")]
    [TestCase("the assembly instruction at php5ts!zend_hash_find+1f in C:\\PHP\\php5ts.dll has caused an access violation " +
              "exception (0xC0000005) when trying to read from memory location 0x00000010 on thread 5")]
    [TestCase("In php-cgi__PID__5180__Date__06_12_2017.dmp the assem bly instruc\ntion at php5ts!zend_ha sh_find+1f " +
              "in C:\\PHP\\php5\nts.dll " +
              "from The PHP Group has caused an access viol ation exce\nption (0xC00 00005) when trying to read from mem ory loca tion " +
              "0x000 00010 on thr ead 5")]
    public void Sentence_forms_give_one_reading(string sentence)
    {
        var r = DebuggerText.Read(sentence);
        Assert.That(r.Exception?.Code, Is.EqualTo(0xC0000005u), sentence);
        Assert.That(r.Exception!.Access, Is.EqualTo(AccessKind.Read));
        Assert.That(r.Exception.TargetAddress, Is.EqualTo(0x10UL));
        Assert.That(r.Frames.Single().Display, Is.EqualTo("php5ts!zend_hash_find+0x1f"));
        Assert.That(r.FaultingThread?.Index, Is.EqualTo(5));
        Assert.That(r.FindModule("php5ts")?.FileName, Is.EqualTo("php5ts.dll").IgnoreCase);
    }

    [Test]
    public void A_dump_name_names_the_process_and_the_chance()
    {
        var r = DebuggerText.Read("In w3wp__PID__4236__Date__06_12_2017__Time_04_31_34PM__359__Second_Chance_Exception_C0000005.dmp " +
            "the assembly instruction at php8!zend_hash_find+0x1f in C:\\PHP\\php8.dll has caused an access violation exception " +
            "(0xC0000005) when trying to write to memory location 0x00000000 on thread 2");
        Assert.That(r.Process.Name, Is.EqualTo("w3wp.exe"));
        Assert.That(r.Process.ProcessId, Is.EqualTo(4236u));
        Assert.That(r.Exception!.FirstChance, Is.False);
        Assert.That(r.Exception.Access, Is.EqualTo(AccessKind.Write));
        Assert.That(r.Frames.Single().Display, Is.EqualTo("php8!zend_hash_find+0x1f"), "x64 sites with 0x");
    }

    [Test]
    public void A_sentence_without_an_exception_code_is_not_a_summary()
    {
        var r = DebuggerText.Read("the assembly instruction at php5ts!zend_hash_find+1f in C:\\PHP\\php5ts.dll is where it stopped");
        Assert.That(r.Exception, Is.Null);
        Assert.That(r.Frames, Is.Empty);
    }

    // A DebugDiag thread table forwarded by mail: quoted-printable soft breaks ("=" at a line end) and cells
    // re-wrapped mid-word by the forum.
    const string WrappedTable = """
        <html><body>
        <p>Thread 5 - System ID 4236</p>
        <table>
        <tr><th>Frame</th><th>Function</th><th>Source</th></tr>
        <tr><td>00</td><td>php5ts!zend_hash_fi=
        nd+1f</td><td></td></tr>
        <tr><td>01</td><td>php5ts!zend_fetch_cl ass+5b</td><td></td></tr>
        <tr><td>02</td><td>php_winca che+11234</td><td></td></tr>
        <tr><td>03</td><td>php5ts!execute+2c1</td><td></td></tr>
        </table>
        </body></html>
        """;

    [Test]
    public void Html_table_cells_wrapped_mid_word_are_rejoined()
    {
        var r = DebuggerText.Read(WrappedTable);
        Assert.That(r.Frames.Select(f => f.Display), Is.EqualTo(new[]
        {
            "php5ts!zend_hash_find+0x1f", "php5ts!zend_fetch_class+0x5b", "php_wincache+0x11234", "php5ts!execute+0x2c1",
        }));
        Assert.That(r.Source.SkippedLines, Is.Empty);
    }
}
