using System.Text;
using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>
/// Large and malformed texts finish (issue 15): the bound only catches a runaway (the backtracking HTML regexes took
/// minutes on these), it is no speed figure — bench/run.sh text gives those. And files FcgiExt will not read are
/// refused in one line naming the file.
/// </summary>
public class LargeInputTests
{
    static readonly TimeSpan Runaway = TimeSpan.FromSeconds(60);

    static T Bounded<T>(Func<T> read)
    {
        var task = Task.Run(read);
        Assert.That(task.Wait(Runaway), Is.True, $"reading did not finish in {Runaway.TotalSeconds} s");
        return task.Result;
    }

    static string Repeated(string piece, int bytes)
    {
        var sb = new StringBuilder(bytes + piece.Length);
        while (sb.Length < bytes) sb.Append(piece).Append('\n');
        return sb.ToString();
    }

    // 1 MB as a truncated report is; 4 MB is the size at which the old regexes (quadratic) went past the bound.
    [TestCase(1)]
    [TestCase(4)]
    public void A_DebugDiag_report_with_unclosed_comments_and_tags_finishes_and_is_still_read(int mb)
    {
        // Every repeat opens a comment, a row and a script that never close, as a report truncated mid-tag has.
        // Nothing closes them either: the fixture's own closers are taken out (the old regexes took 8 s on this).
        var report = System.Text.RegularExpressions.Regex.Replace(Fixture.Text("synthetic-debugdiag-report.html"),
            @"-->|</(?:script|style|tr)\s*>", "", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        var text = Repeated("<!-- truncated\n<tr><td class=\"x\"\n<script>\n" + report, mb << 20);
        var crash = Bounded(() => DebuggerText.Read(text));
        Assert.That(crash.Source.Kind, Is.EqualTo("debugdiag"));
        Assert.That(crash.Frames, Is.Not.Empty);
    }

    [Test]
    public void A_4_MB_mutated_text_finishes()
    {
        // Fixed seed: every fixture, with characters that open and close blocks and tags scattered through it.
        var random = new Random(15);
        var sb = new StringBuilder();
        var files = Directory.GetFiles(Fixture.Folder).Where(f => !f.EndsWith(".md") && !f.EndsWith(".yaml")).Order().ToArray();
        while (sb.Length < 4 << 20)
        {
            var chars = DebuggerText.Decode(File.ReadAllBytes(files[random.Next(files.Length)])).ToCharArray();
            for (int k = 0; k < chars.Length / 50; k++) chars[random.Next(chars.Length)] = "<>!-()[]\n`+ \"=:"[random.Next(15)];
            sb.Append(chars).Append(random.Next(4) == 0 ? "<!--<td<tr<script " : "\n");
        }
        var text = sb.ToString();
        Assert.DoesNotThrow(() => Bounded(() => DebuggerText.Read(text)));
    }

    [Test]
    public void A_16_MB_line_finishes()
    {
        var line = Repeated("php8ts!zend_call_function+0x1f 00000000`0012f8a8 <td", 16 << 20).Replace('\n', ' ');
        Assert.DoesNotThrow(() => Bounded(() => DebuggerText.Read(line)));
    }

    [Test]
    public void A_DebugDiag_row_of_a_megabyte_with_many_paths_finishes_and_keeps_its_frame()
    {
        // The source-column regex once rescanned the rest of the row from every slash: minutes on this row.
        var text = "Thread 0 - System ID 4120\nFunction     Arg 1     Arg 2     Arg 3   Source\n" +
                   "php5ts!zend_hash_find+1f     00000128     00000000     00000000 " +
                   string.Concat(Enumerable.Repeat("C:\\x\\y ", 150_000)) +
                   "\nphp5ts!execute_ex+44     00000128     00000000     00000000\n";
        var crash = Bounded(() => DebuggerText.Read(text));
        Assert.That(crash.Frames.Select(f => f.Function), Is.EqualTo(new[] { "zend_hash_find", "execute_ex" }));
    }

    [Test]
    public void A_file_over_64_MB_is_refused_in_one_line_with_its_size()
    {
        var path = Path.Combine(Path.GetTempPath(), "fcgiext-large-" + Guid.NewGuid() + ".txt");
        try
        {
            // Sparse where the file system allows: the refusal comes from the size, before anything is read.
            using (var f = File.Create(path)) f.SetLength(80L << 20);
            var e = Assert.Throws<DebuggerTextException>(() => DebuggerText.ReadFile(path));
            Assert.That(e!.Message, Is.EqualTo($"{path}: 80 MB of text is more than the 64 MB FcgiExt reads; cut it to the crash's part"));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void A_file_just_over_64_MB_reads_65_MB_and_one_of_64_MB_is_read()
    {
        var path = Path.Combine(Path.GetTempPath(), "fcgiext-large-" + Guid.NewGuid() + ".txt");
        try
        {
            using (var f = File.Create(path)) f.SetLength((64L << 20) + 1);
            var e = Assert.Throws<DebuggerTextException>(() => DebuggerText.ReadFile(path));
            Assert.That(e!.Message, Does.StartWith($"{path}: 65 MB of text is more than the 64 MB"));
            // Exactly 64 MB passes the size check; its zeros then make it not text, the other refusal.
            using (var f = File.Open(path, FileMode.Truncate)) f.SetLength(64L << 20);
            e = Assert.Throws<DebuggerTextException>(() => DebuggerText.ReadFile(path));
            Assert.That(e!.Message, Does.StartWith($"{path}: not text"));
        }
        finally { File.Delete(path); }
    }

    [TestCase("nul")]
    [TestCase("random")]
    [TestCase("controls")]
    public void A_file_that_is_not_text_is_refused_in_one_line_naming_it(string kind)
    {
        var path = Path.Combine(Path.GetTempPath(), "fcgiext-binary-" + Guid.NewGuid() + ".txt");
        try
        {
            var bytes = kind switch
            {
                // A dump's header: "MDMP" then binary fields with zeros.
                "nul" => Encoding.ASCII.GetBytes("MDMP\u0093\u00a7\0\0\u0010\0\0\0 0:000> k\n"),
                "random" => RandomBytes(100_000),
                _ => Enumerable.Range(0, 1000).Select(i => (byte)(i % 3 == 0 ? 1 + i % 8 : 'a')).ToArray(),
            };
            File.WriteAllBytes(path, bytes);
            var e = Assert.Throws<DebuggerTextException>(() => DebuggerText.ReadFile(path));
            Assert.That(e!.Message, Does.StartWith(path + ": not text"));
            Assert.That(e.Message, Does.Not.Contain("\n"));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void Text_with_colour_codes_tabs_a_legacy_code_page_or_utf16_is_text()
    {
        var path = Path.Combine(Path.GetTempPath(), "fcgiext-text-" + Guid.NewGuid() + ".txt");
        try
        {
            var frame = "00000000`0012f8a8 00007ffb`1234abcd php8ts!zend_call_function+0x1f\n";
            // ESC colour codes and tabs from a terminal, and a German umlaut in Windows-1252 (not UTF-8).
            byte[] legacy = [.. Encoding.ASCII.GetBytes("\u001b[0m\tFehler\n"), 0xE4, (byte)'\n', .. Encoding.ASCII.GetBytes(frame)];
            File.WriteAllBytes(path, legacy);
            Assert.That(DebuggerText.ReadFile(path).Frames.Single().Function, Is.EqualTo("zend_call_function"));
            File.WriteAllBytes(path, Encoding.Unicode.GetBytes(frame));   // UTF-16 LE without a BOM: every other byte zero
            Assert.That(DebuggerText.ReadFile(path).Frames.Single().Function, Is.EqualTo("zend_call_function"));
        }
        finally { File.Delete(path); }
    }

    static byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        new Random(15).NextBytes(bytes);
        return bytes;
    }

    [Test]
    public void Skipped_lines_are_counted_all_and_listed_up_to_a_thousand()
    {
        // One k block whose every other line is noise: each noise line between two frames is skipped.
        var sb = new StringBuilder("Child-SP          RetAddr           Call Site\n");
        for (int k = 0; k < 1500; k++)
            sb.Append($"00000000`0012f{k % 1000:d3} 00007ffb`1234abcd php8ts!zend_call_{k}+0x1f\n").Append($"noise {k}\n");
        sb.Append("00000000`0012f8a8 00007ffb`1234abcd php8ts!zend_last+0x1f\n");
        var crash = DebuggerText.Read(sb.ToString());
        Assert.That(crash.Source.SkippedLineCount, Is.EqualTo(1500));
        Assert.That(crash.Source.SkippedLines, Has.Count.EqualTo(FcgiExt.RulesEngine.Model.DataSource.MaxSkippedLinesListed));
        Assert.That(crash.Source.SkippedLines[0].Text, Is.EqualTo("noise 0"));
        Assert.That(FcgiExt.RulesEngine.Rendering.TextRenderer.Render(
            FcgiExt.RulesEngine.Triage.Triager.Triage(crash, FcgiExt.RulesEngine.Catalog.RuleCatalog.LoadBuiltIn()), verbose: true),
            Does.Contain("skipped 1500 line(s)").And.Contain("… and 500 more"));
    }

    [Test]
    public void A_field_of_megabytes_keeps_its_first_4096_characters()
    {
        // A Report.wer and an event pasted with one value running on for megabytes (the rest of a report on its line):
        // the value is a path or a name, kept to 4096 characters, and the fields before and after it are still read.
        var huge = new string('x', 3 << 20);
        var wer = DebuggerText.Read("Version=1\nEventType=APPCRASH\nAppPath=C:\\php\\php-cgi.exe" + huge +
            "\nSig[0].Name=Application Name\nSig[0].Value=php-cgi.exe\nSig[3].Name=Fault Module Name\nSig[3].Value=php_redis.dll\n" +
            "LoadedModule[0]=C:\\php\\ext\\php_redis.dll" + huge + "\n");
        Assert.That(wer.Frames.Select(f => f.Module), Has.Some.EqualTo("php_redis"));
        Assert.That(wer.Modules.Select(m => m.Path?.Length ?? 0).Max(), Is.EqualTo(4096));
        var ev = DebuggerText.Read("Faulting application name: php-cgi.exe, version: 8.3.1.0, time stamp: 0x65a1b2c3\n" +
            "Faulting module name: php_redis.dll, version: 6.0.2.0, time stamp: 0x65a1b2c3\nException code: 0xc0000005\n" +
            "Fault offset: 0x0000000000012345\nFaulting process id: 0x1a2b\nFaulting application path: C:\\php\\php-cgi.exe" + huge +
            "\nFaulting module path: C:\\php\\ext\\php_redis.dll\n");
        Assert.That(ev.Process.ProcessId, Is.EqualTo(0x1a2b));
        Assert.That(ev.Modules.Single(m => m.FileName == "php-cgi.exe").Path, Has.Length.EqualTo(4096));
        Assert.That(ev.Modules.Single(m => m.Name == "php_redis").Path, Is.EqualTo(@"C:\php\ext\php_redis.dll"));
    }
}
