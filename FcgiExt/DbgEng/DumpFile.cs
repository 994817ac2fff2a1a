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
        if (!info.Exists) return UnreadableFolder(path) ?? $"{path}: no such file";
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

    /// <summary>A file in a folder that cannot be read does not "exist" to FileInfo: say the real reason.</summary>
    static string? UnreadableFolder(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is null || !Directory.Exists(folder)) return null;
        try { using var e = Directory.EnumerateFileSystemEntries(folder).GetEnumerator(); e.MoveNext(); return null; }
        catch (UnauthorizedAccessException) { return $"{path}: cannot read the folder {folder} (permission denied)"; }
        catch (IOException e) { return $"{path}: cannot read the folder {folder} ({e.Message})"; }
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
            if (MemoryProblem(f, type, rva, size, length) is { } memory) return $"{path}: {memory}";
            if (type == SystemInfoStream && size >= 24 && NonWindowsPlatform(f, rva) is { } platform)
                return $"{path}: not a Windows minidump ({platform}); FcgiExt triages Windows processes";
        }
        return null;
    }

    const uint SystemInfoStream = 7;

    /// <summary>Breakpad and Crashpad write minidumps of other systems with their own PlatformId in MINIDUMP_SYSTEM_INFO
    /// (offset 20; Windows uses 0–3, VER_PLATFORM_WIN32_NT = 2): the engine would open them and invent a verdict.</summary>
    static string? NonWindowsPlatform(FileStream f, uint rva)
    {
        byte[] platform = new byte[4];
        f.Position = rva + 20L;
        f.ReadExactly(platform);
        uint id = BinaryPrimitives.ReadUInt32LittleEndian(platform);
        return id switch
        {
            <= 3 => null,
            0x8000 => "Unix",
            0x8101 => "macOS",
            0x8102 => "iOS",
            0x8201 => "Linux",
            0x8202 => "Solaris",
            0x8203 => "Android",
            0x8204 => "PS3",
            0x8205 => "Native Client",
            0x8206 => "Fuchsia",
            _ => $"platform 0x{id:x}",
        };
    }

    /// <summary>The memory lists point at the captured bytes: a cut-off file keeps its directory but loses those. Entries are
    /// read one at a time and every size is 64-bit and bounded by the file: a lying directory (a list "of 2 GB") can
    /// neither overflow the arithmetic nor make this allocate what the file does not hold.</summary>
    static string? MemoryProblem(FileStream f, uint type, uint rva, uint size, long length)
    {
        const uint ModuleListStream = 4, MemoryListStream = 5, Memory64ListStream = 9;
        const int ModuleSize = 108, RangeSize = 16;
        Span<byte> entry = stackalloc byte[ModuleSize];
        if (type == ModuleListStream && size >= 4)
        {
            // MINIDUMP_MODULE is 108 bytes: ModuleNameRva at 20, CvRecord (size, rva) at 76, MiscRecord at 84.
            long count = ReadUInt32(f, rva);
            if (count > (size - 4L) / ModuleSize) return $"corrupt minidump (module list of {count} modules in {size} bytes)";
            for (long i = 0; i < count; i++)
            {
                f.Position = rva + 4L + ModuleSize * i;
                f.ReadExactly(entry);
                uint nameRva = BinaryPrimitives.ReadUInt32LittleEndian(entry[20..]);
                uint cvSize = BinaryPrimitives.ReadUInt32LittleEndian(entry[76..]), cvRva = BinaryPrimitives.ReadUInt32LittleEndian(entry[80..]);
                uint miscSize = BinaryPrimitives.ReadUInt32LittleEndian(entry[84..]), miscRva = BinaryPrimitives.ReadUInt32LittleEndian(entry[88..]);
                long end = Math.Max(nameRva + 4L, Math.Max((long)cvRva + cvSize, (long)miscRva + miscSize));
                if (end > length) return $"truncated minidump (module {i}'s records end at {end}, file has {length} bytes)";
            }
        }
        else if (type == MemoryListStream && size >= 4)
        {
            long count = ReadUInt32(f, rva);
            if (count > (size - 4L) / RangeSize) return $"corrupt minidump (memory list of {count} ranges in {size} bytes)";
            f.Position = rva + 4L;
            var ranges = new BufferedStream(f, 1 << 16);
            for (long i = 0; i < count; i++)
            {
                ranges.ReadExactly(entry[..RangeSize]);
                uint dataSize = BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
                uint dataRva = BinaryPrimitives.ReadUInt32LittleEndian(entry[12..]);
                if ((long)dataRva + dataSize > length)
                    return $"truncated minidump (memory range {i} ends at {(long)dataRva + dataSize}, file has {length} bytes)";
            }
        }
        else if (type == Memory64ListStream && size >= 16)
        {
            f.Position = rva;
            f.ReadExactly(entry[..16]);
            ulong count = BinaryPrimitives.ReadUInt64LittleEndian(entry);
            ulong baseRva = BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
            if (count > (size - 16UL) / RangeSize) return $"corrupt minidump (memory list of {count} ranges in {size} bytes)";
            var ranges = new BufferedStream(f, 1 << 16);
            ulong end = baseRva;
            if (end > (ulong)length) return $"truncated full-memory dump (its memory starts at {end}, file has {length} bytes)";
            for (ulong i = 0; i < count; i++)
            {
                ranges.ReadExactly(entry[..RangeSize]);
                ulong dataSize = BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
                // Checked per range: a sum that passes the file's length (or wraps) is the answer already.
                if (dataSize > (ulong)length || end + dataSize > (ulong)length)
                    return $"truncated full-memory dump (memory range {i} ends past the file's {length} bytes)";
                end += dataSize;
            }
        }
        return null;
    }

    static uint ReadUInt32(FileStream f, long position)
    {
        Span<byte> value = stackalloc byte[4];
        f.Position = position;
        f.ReadExactly(value);
        return BinaryPrimitives.ReadUInt32LittleEndian(value);
    }
}
