using System.Buffers.Binary;
using System.Text;

namespace FcgiExt.FastCgi;

/// <summary>The spec's name-value pairs (section 3.4): a length under 128 is one byte, a longer one four bytes with the
/// top bit of the first set; then the name bytes and the value bytes. Names and values are UTF-8 here.</summary>
public static class NameValuePairs
{
    public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var output = new MemoryStream();
        foreach (var (name, value) in pairs)
        {
            byte[] n = Encoding.UTF8.GetBytes(name), v = Encoding.UTF8.GetBytes(value);
            WriteLength(output, n.Length);
            WriteLength(output, v.Length);
            output.Write(n);
            output.Write(v);
        }
        return output.ToArray();
    }

    static void WriteLength(Stream output, int length)
    {
        if (length < 0x80)
        {
            output.WriteByte((byte)length);
            return;
        }
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(four, (uint)length | 0x8000_0000u);
        output.Write(four);
    }

    /// <exception cref="FormatException">The bytes end inside a length, name or value.</exception>
    public static List<KeyValuePair<string, string>> Decode(ReadOnlySpan<byte> bytes)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        int at = 0;
        while (at < bytes.Length)
        {
            int nameLength = ReadLength(bytes, ref at), valueLength = ReadLength(bytes, ref at);
            if ((long)at + nameLength + valueLength > bytes.Length)
                throw new FormatException($"a name-value pair needs {nameLength + valueLength} bytes at offset {at}, " +
                                          $"{bytes.Length - at} are left");
            string name = Encoding.UTF8.GetString(bytes.Slice(at, nameLength));
            string value = Encoding.UTF8.GetString(bytes.Slice(at + nameLength, valueLength));
            at += nameLength + valueLength;
            pairs.Add(new(name, value));
        }
        return pairs;
    }

    static int ReadLength(ReadOnlySpan<byte> bytes, ref int at)
    {
        if (at >= bytes.Length) throw new FormatException($"a name-value length is missing at offset {at}");
        if ((bytes[at] & 0x80) == 0) return bytes[at++];
        if (at + 4 > bytes.Length) throw new FormatException($"a 4-byte name-value length is cut at offset {at}");
        uint length = BinaryPrimitives.ReadUInt32BigEndian(bytes[at..]) & 0x7fff_ffffu;
        at += 4;
        return length > int.MaxValue ? throw new FormatException("a name-value length over 2 GB") : (int)length;
    }
}
