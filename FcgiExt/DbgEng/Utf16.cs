namespace FcgiExt.DbgEng;

/// <summary>Reads the engine's "buffer + size + needed size" wide string outputs into strings, growing the buffer
/// when the engine answers S_FALSE (truncated).</summary>
public static unsafe class Utf16
{
    /// <summary>A call that writes at most <c>capacity</c> chars (the terminating NUL included) and reports the needed size.</summary>
    public delegate int Fill(char* buffer, uint capacity, uint* needed);

    /// <summary>Calls <paramref name="fill"/> with a buffer, once more with a larger one if the first was too small.
    /// Returns null when the call fails.</summary>
    public static string? Read(Fill fill, int initial = 256, int max = 1 << 20)
    {
        int size = initial;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            char[] buffer = new char[size];
            uint needed = 0;
            int hr;
            fixed (char* p = buffer) hr = fill(p, (uint)size, &needed);
            if (hr < 0) return null;
            if (hr == DbgEng.S_FALSE && needed > size && needed <= max)
            {
                size = (int)needed;
                continue;
            }
            return FromBuffer(buffer);
        }
        return null;
    }

    /// <summary>The text up to the first NUL.</summary>
    public static string FromBuffer(ReadOnlySpan<char> buffer)
    {
        int end = buffer.IndexOf('\0');
        return new string(end < 0 ? buffer : buffer[..end]);
    }

    public static string FromFixed(char* p, int capacity) => FromBuffer(new ReadOnlySpan<char>(p, capacity));
}
