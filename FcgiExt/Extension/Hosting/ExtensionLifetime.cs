using Dbg = FcgiExt.DbgEng.DbgEng;
using FcgiExt.DbgEng;

namespace FcgiExt.Extension.Hosting;

/// <summary>DebugExtensionInitialize / Uninitialize / Notify. State that must survive between commands lives in
/// <see cref="ExtensionState"/>; a NativeAOT DLL may stay mapped after .unload, so Initialize resets it.</summary>
public static unsafe class ExtensionLifetime
{
    public const uint VersionMajor = 1, VersionMinor = 0;

    public static int Initialize(uint* version, uint* flags)
    {
        try
        {
            if (version != null) *version = (VersionMajor << 16) | VersionMinor;
            if (flags != null) *flags = 0;
            ExtensionState.Reset();
            return Dbg.S_OK;
        }
        catch (Exception e) { return e.HResult < 0 ? e.HResult : Dbg.E_FAIL; }
    }

    public static void Uninitialize()
    {
        try { ExtensionState.Reset(); } catch { /* never throw into the engine */ }
    }

    /// <summary>Session changes (DEBUG_NOTIFY_SESSION_ACTIVE / INACTIVE…): a new target means symbols must be set
    /// up again; the catalog stays.</summary>
    public static void Notify(uint notify, ulong argument)
    {
        try { ExtensionState.SessionChanged(notify); } catch { /* never throw into the engine */ }
    }
}
