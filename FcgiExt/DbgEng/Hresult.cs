using System.Runtime.InteropServices;

namespace FcgiExt.DbgEng;

/// <summary>An engine call that failed: the HRESULT and which call, for a one-line message.</summary>
public sealed class DbgEngException(string call, int hresult, string? detail = null)
    : COMException(detail ?? $"{call} failed: {Hresult.Describe(hresult)}", hresult)
{
    public string Call { get; } = call;
}

/// <summary>Raised when the user pressed Ctrl+Break (IDebugControl::GetInterrupt said S_OK) during a long loop.</summary>
public sealed class DbgEngInterruptedException()
    : OperationCanceledException("interrupted by the user (Ctrl+Break)")
{
}

public static class Hresult
{
    public static bool Succeeded(int hr) => hr >= 0;
    public static bool Failed(int hr) => hr < 0;

    /// <summary>Throws a DbgEngException for a failure HRESULT; success codes (S_FALSE included) pass.</summary>
    public static int Check(int hr, string call)
    {
        if (hr < 0) throw new DbgEngException(call, hr);
        return hr;
    }

    /// <summary>"0x80070002 (file not found)" — the known engine/Win32 codes get a word, the others the number only.</summary>
    public static string Describe(int hr)
    {
        string? what = unchecked((uint)hr) switch
        {
            0x80004001 => "not implemented",
            0x80004002 => "no such interface",
            0x80004005 => "unspecified failure",
            0x8000FFFF => "unexpected",
            0x80070002 => "file not found",
            0x80070003 => "path not found",
            0x80070005 => "access denied",
            0x80070057 => "invalid argument",
            0x8007000B => "bad format",
            0x8007000D => "invalid data",
            0x80070026 => "reached end of file",
            0x800704C7 => "cancelled",
            0x8000000A => "pending",
            0xD0000001 => "STATUS_NO_MORE_ENTRIES",
            _ => null,
        };
        return what is null ? $"0x{unchecked((uint)hr):x8}" : $"0x{unchecked((uint)hr):x8} ({what})";
    }
}
