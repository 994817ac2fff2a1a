using System.Buffers.Binary;

namespace FcgiExt.Cli.Batch;

/// <summary>When a minidump was written (MINIDUMP_HEADER.TimeDateStamp), for the report's first/last seen. Whether a
/// file is a usable dump at all is FcgiExt.DbgEng.DumpFile's job (one check, shared with the engine host).</summary>
public static class MinidumpHeader
{
    const uint Signature = 0x504D444D; // "MDMP"

    public static DateTimeOffset? ReadTime(Stream stream)
    {
        Span<byte> h = stackalloc byte[32];
        if (stream.ReadAtLeast(h, 32, throwOnEndOfStream: false) < 32 || BinaryPrimitives.ReadUInt32LittleEndian(h) != Signature)
            return null;
        uint stamp = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
        return stamp == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(stamp);
    }

    public static DateTimeOffset? ReadTime(string path)
    {
        try
        {
            using var s = File.OpenRead(path);
            return ReadTime(s);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
