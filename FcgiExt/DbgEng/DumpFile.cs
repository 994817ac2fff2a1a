using System.Buffers.Binary;

namespace FcgiExt.DbgEng;

/// <summary>Checks a file before the engine sees it, so a missing, truncated or non-dump file gets a one-line error that
/// names it (the engine itself answers such files with a bare HRESULT, or a half-opened session).</summary>
public static class DumpFile
{
    const uint MinidumpSignature = 0x504D444D;            // "MDMP"
    const ulong FullDump32 = 0x504D55444547_4150;         // "PAGEDUMP"
    const ulong FullDump64 = 0x343655444547_4150;         // "PAGEDU64"

    /// <summary>Null when the file looks like a complete dump; else the reason, starting with the path.</summary>
    public static string? Problem(string path)
    {
        FileInfo info;
        try { info = new FileInfo(path); }
        catch (Exception e) { return $"{path}: not a valid path ({e.Message})"; }
        if (Directory.Exists(path)) return $"{path}: is a folder, not a dump file";
        if (!info.Exists) return $"{path}: no such file";
        byte[] header = new byte[32];
        int read;
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            read = f.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (read >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(header) == MinidumpSignature)
                return MinidumpProblem(path, f, header, read);
        }
        catch (UnauthorizedAccessException) { return $"{path}: cannot read the file (access denied)"; }
        catch (IOException e) { return $"{path}: cannot read the file ({e.Message})"; }
        if (read == 0) return $"{path}: empty file, not a dump";
        if (read >= 8 && BinaryPrimitives.ReadUInt64LittleEndian(header) is FullDump32 or FullDump64)
            return info.Length < 0x2000 ? $"{path}: truncated kernel dump ({info.Length} bytes)" : null;
        return $"{path}: not a Windows dump file (no MDMP or PAGEDUMP signature)";
    }

    static string? MinidumpProblem(string path, FileStream f, byte[] header, int read)
    {
        if (read < 32) return $"{path}: truncated minidump ({f.Length} bytes, the header alone is 32)";
        uint streams = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8));
        uint directoryRva = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12));
        long length = f.Length;
        if (streams == 0 || streams > 4096) return $"{path}: corrupt minidump header ({streams} streams)";
        if (directoryRva + 12L * streams > length)
            return $"{path}: truncated minidump (stream directory ends at {directoryRva + 12L * streams}, file has {length} bytes)";
        byte[] directory = new byte[12 * streams];
        f.Position = directoryRva;
        f.ReadExactly(directory);
        for (int i = 0; i < streams; i++)
        {
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(12 * i));
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(12 * i + 4));
            uint rva = BinaryPrimitives.ReadUInt32LittleEndian(directory.AsSpan(12 * i + 8));
            if (type != 0 && (long)rva + size > length)
                return $"{path}: truncated minidump (stream {i} of type {type} ends at {(long)rva + size}, file has {length} bytes)";
        }
        return null;
    }
}
