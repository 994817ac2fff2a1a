using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace FcgiExt.DbgEng;

/// <summary>dbgeng.h IDebugOutputCallbacks2 (slot 3 is IDebugOutputCallbacks::Output, which the engine never calls on
/// it). Written by hand: the generator covers the interfaces the extension needs, this one only the host uses.</summary>
[GeneratedComInterface, Guid("67721fe9-56d2-4a44-a325-2b65513ce6eb")]
public partial interface IDebugOutputCallbacks2
{
    /* slot 3 */ [PreserveSig] int Output(uint mask, nint text);
    /* slot 4 */ [PreserveSig] int GetInterestMask(out uint mask);
    /* slot 5 */ [PreserveSig] int Output2(uint which, uint flags, ulong arg, nint text);
}

/// <summary>Output callbacks that take DML as it is, as WinDbg's command window does: text arrives as text, markup as
/// markup (&lt;exec cmd="…"&gt; links included), where IDebugOutputCallbacksWide would get the engine's plain rendering.
/// The engine finds IDebugOutputCallbacks2 by QueryInterface on the callbacks SetOutputCallbacksWide is given.</summary>
[GeneratedComClass]
public sealed partial class DmlOutputSink(Action<uint, string> sink) : IDebugOutputCallbacksWide, IDebugOutputCallbacks2
{
    const uint DEBUG_OUTCBI_ANY_FORMAT = 0x6;
    const uint DEBUG_OUTCB_TEXT = 0, DEBUG_OUTCB_DML = 1;

    public int Output(uint mask, string text) => Deliver(mask, text);

    int IDebugOutputCallbacks2.Output(uint mask, nint text) => DbgEng.S_OK;

    public int GetInterestMask(out uint mask)
    {
        mask = DEBUG_OUTCBI_ANY_FORMAT;
        return DbgEng.S_OK;
    }

    public int Output2(uint which, uint flags, ulong arg, nint text)
    {
        // Explicit flushes carry no text; the mask is in arg for text and markup.
        if (which is not (DEBUG_OUTCB_TEXT or DEBUG_OUTCB_DML) || text == 0) return DbgEng.S_OK;
        return Deliver((uint)arg, Marshal.PtrToStringUni(text) ?? "");
    }

    int Deliver(uint mask, string text)
    {
        try { sink(mask, text); }
        catch { /* an exception must never unwind into the engine */ }
        return DbgEng.S_OK;
    }
}
