using NUnit.Framework;

namespace FcgiExt.FastCgi.Tests;

public class NameValuePairTests
{
    [Test]
    public void Short_lengths_take_one_byte()
    {
        var bytes = NameValuePairs.Encode([new("SERVER_PORT", "80")]);
        Assert.That(bytes, Is.EqualTo(new byte[] { 11, 2 }.Concat("SERVER_PORT80"u8.ToArray())));
    }

    [Test]
    public void A_length_of_127_still_takes_one_byte_and_128_takes_four_with_the_high_bit()
    {
        var bytes = NameValuePairs.Encode([new("A", new string('x', 127)), new("B", new string('y', 128))]);
        Assert.That(bytes[..2], Is.EqualTo(new byte[] { 1, 127 }));
        int second = 2 + 1 + 127;
        Assert.That(bytes[second..(second + 5)], Is.EqualTo(new byte[] { 1, 0x80, 0, 0, 128 }));
    }

    [Test]
    public void Long_names_and_values_round_trip()
    {
        var pairs = new List<KeyValuePair<string, string>>
        {
            new(new string('N', 300), new string('v', 70000)), new("QUERY_STRING", ""), new("HTTP_X_ÜMLAUT", "wert ä"),
        };
        var bytes = NameValuePairs.Encode(pairs);
        Assert.That(bytes[..8], Is.EqualTo(new byte[] { 0x80, 0, 0x01, 0x2c, 0x80, 0x01, 0x11, 0x70 }), "300 and 70000, 4 bytes each");
        Assert.That(NameValuePairs.Decode(bytes), Is.EqualTo(pairs));
    }

    [TestCase(new byte[] { 5 }, "missing")]
    [TestCase(new byte[] { 0x80, 0, 0 }, "cut")]
    [TestCase(new byte[] { 3, 3, (byte)'a', (byte)'b' }, "needs 6 bytes")]
    public void Truncated_pairs_are_format_errors(byte[] bytes, string says)
    {
        var e = Assert.Throws<FormatException>(() => NameValuePairs.Decode(bytes));
        Assert.That(e!.Message, Does.Contain(says));
    }
}
