using System.Text;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>
/// ReadText decodes a file in 64 KB chunks without holding its bytes (issue 15): it must give exactly what decoding the
/// whole byte array gives, for every encoding Decode knows, with characters split across chunk boundaries, less the
/// blanks at the text's ends (the spaces that begin its first line; the blanks and line breaks that end it).
/// </summary>
public class ReadTextTests
{
    static string Temp(byte[] bytes)
    {
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"readtext-{Guid.NewGuid():N}.txt");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static void SameAsDecode(byte[] bytes)
    {
        var path = Temp(bytes);
        var content = DebuggerText.Decode(bytes).TrimEnd(' ', '\t', '\u00a0', '\r', '\n', '\f', '\v').TrimStart(' ', '\t', '\u00a0');
        try { Assert.That(DebuggerText.ReadText(path), Is.EqualTo(content)); }
        finally { File.Delete(path); }
    }

    static byte[] Random(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Test]
    public void Random_bytes_decode_as_the_whole_array_does([Values(1, 2, 3)] int seed) =>
        // Invalid UTF-8 everywhere, sequences cut at every 64 KB boundary: each U+FFFD must be where Decode puts it.
        SameAsDecode(Random(200_000 + seed, seed));

    [Test]
    public void Multibyte_characters_across_chunk_boundaries()
    {
        // 3- and 4-byte characters at every offset relative to the 64 KB chunks.
        var sb = new StringBuilder();
        while (sb.Length < 300_000) sb.Append("a€😀ab€\n");
        SameAsDecode(Encoding.UTF8.GetBytes(sb.ToString()));
        SameAsDecode([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(sb.ToString())]);
    }

    [Test]
    public void Utf16_with_and_without_bom_and_an_odd_last_byte()
    {
        var text = string.Concat(Enumerable.Repeat("Faulting module name: php_xdebug.dll, ü😀\r\n", 4000));
        SameAsDecode([0xFF, 0xFE, .. Encoding.Unicode.GetBytes(text)]);
        SameAsDecode([0xFE, 0xFF, .. Encoding.BigEndianUnicode.GetBytes(text), 0x41]);
        SameAsDecode(Encoding.Unicode.GetBytes(text));
        SameAsDecode([.. Encoding.Unicode.GetBytes(text), 0x0A]);
    }

    [Test]
    public void Blanks_at_the_ends_across_chunk_boundaries()
    {
        // Blank runs longer than a chunk at both ends, and a text that is only blanks and line breaks.
        var blanks = new string(' ', 70_000) + "\t\u00a0";
        var ends = new string('\n', 70_000) + "  \r\n";
        SameAsDecode(Encoding.UTF8.GetBytes(blanks + "0:000> k\nChild-SP" + blanks + ends));
        SameAsDecode(Encoding.UTF8.GetBytes(blanks + "\n\n  line three" + ends));
        SameAsDecode(Encoding.UTF8.GetBytes(blanks + ends));
    }

    [Test]
    public void A_file_and_its_text_give_the_same_report()
    {
        // Every front end must give one verdict for one input: the CLI reads files, the extension and tests read strings.
        // The blanks at the ends are no content, whichever way the text came in.
        var text = "  \r\n\r\n   Faulting application name: php-cgi.exe, version: 8.3.1.0\r\nnot a crash line\r\n" +
            "Faulting module name: php_redis.dll, version: 6.0.2.0, time stamp: 0x65a1b2c3\r\nException code: 0xc0000005\r\n" +
            "Fault offset: 0x0000000000012345\r\nstill not one   \r\n\r\n \t";
        var path = Temp(Encoding.UTF8.GetBytes(text));
        try
        {
            var catalog = RuleCatalog.LoadBuiltIn();
            var fromFile = DebuggerText.ReadFile(path);
            var fromText = DebuggerText.Read(text, path);
            Assert.That(fromFile.Frames.Select(f => f.Module), Has.Some.EqualTo("php_redis"));
            Assert.That(JsonRenderer.Render(Triager.Triage(fromFile, catalog)),
                Is.EqualTo(JsonRenderer.Render(Triager.Triage(fromText, catalog))));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void Empty_and_tiny_files()
    {
        SameAsDecode([]);
        SameAsDecode([0x41]);
        SameAsDecode([0xFF, 0xFE]);
        SameAsDecode([0xE2, 0x82]);
    }

    [Test]
    public void A_missing_file_is_one_line_naming_it()
    {
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "no-such-file.txt");
        var e = Assert.Throws<DebuggerTextException>(() => DebuggerText.ReadText(path));
        Assert.That(e!.Message, Does.StartWith(path + ": cannot read the file").And.Not.Contain("\n"));
    }
}
