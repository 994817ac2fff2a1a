using System.Buffers.Binary;

namespace FcgiExt.Cli.Batch;

/// <summary>
/// The fixed 32-byte MINIDUMP_HEADER: lets the batch reject a text file named .dmp or a truncated
/// file with a clear one-line error before an engine session is spent on it, and gives the dump time.
/// </summary>
public sealed record MinidumpHeader(uint Version, uint StreamCount, uint StreamDirectoryRva, DateTimeOffset Time, ulong Flags)
{
    const uint Signature = 0x504D444D; // "MDMP"
    const int HeaderSize = 32, DirectoryEntrySize = 12;

    /// <summary>Reads and checks the header; returns an error message (without the file name) when it is not a usable minidump.</summary>
    public static MinidumpHeader? TryRead(Stream stream, out string? error)
    {
        Span<byte> h = stackalloc byte[HeaderSize];
        long length = stream.CanSeek ? stream.Length : -1;
        int read = stream.ReadAtLeast(h, HeaderSize, throwOnEndOfStream: false);
        if (read == 0) { error = "empty file, not a minidump"; return null; }
        if (read < 4 || BinaryPrimitives.ReadUInt32LittleEndian(h) != Signature)
        {
            error = read >= 4 && LooksLikeText(h[..read]) ? "not a minidump (it is a text file)"
                  : read < 4 ? $"truncated: {read} bytes, shorter than a minidump header"
                  : "not a minidump (no MDMP signature)";
            return null;
        }
        if (read < HeaderSize) { error = $"truncated: {read} bytes, shorter than a minidump header"; return null; }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(h[4..]);
        uint streams = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
        uint rva = BinaryPrimitives.ReadUInt32LittleEndian(h[12..]);
        uint stamp = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
        ulong flags = BinaryPrimitives.ReadUInt64LittleEndian(h[24..]);
        if (length >= 0 && (long)rva + (long)streams * DirectoryEntrySize > length)
        {
            error = $"truncated: the stream directory ends past the end of the file ({length} bytes)";
            return null;
        }
        error = null;
        return new MinidumpHeader(version, streams, rva, DateTimeOffset.FromUnixTimeSeconds(stamp), flags);
    }

    public static MinidumpHeader? TryRead(string path, out string? error)
    {
        try
        {
            using var s = File.OpenRead(path);
            return TryRead(s, out error);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = "cannot read: " + e.Message;
            return null;
        }
    }

    static bool LooksLikeText(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
            if (b < 0x09 || (b > 0x0D && b < 0x20 && b != 0x1B)) return false;
        return true;
    }
}
