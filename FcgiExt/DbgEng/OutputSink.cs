using System.Runtime.InteropServices.Marshalling;
using System.Text;

namespace FcgiExt.DbgEng;

/// <summary>The engine's output callbacks as a managed object: the COM source generator builds the vtable the engine
/// calls. Every piece of text goes to <paramref name="sink"/>; the mask says normal/error/warning/… output.</summary>
[GeneratedComClass]
public sealed partial class OutputSink(Action<uint, string> sink) : IDebugOutputCallbacksWide
{
    public int Output(uint mask, string text)
    {
        try { sink(mask, text); }
        catch { /* an exception must never unwind into the engine */ }
        return DbgEng.S_OK;
    }
}

/// <summary>Collects the engine's output in memory (used by the Collector around Execute, and by tests).</summary>
public sealed class CapturedOutput
{
    readonly StringBuilder _text = new();
    readonly Lock _lock = new();
    public void Append(uint mask, string text) { lock (_lock) _text.Append(text); }
    public string Take() { lock (_lock) { var s = _text.ToString(); _text.Clear(); return s; } }
    public override string ToString() { lock (_lock) return _text.ToString(); }
}
