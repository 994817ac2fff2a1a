using Dbg = FcgiExt.DbgEng.DbgEng;
using System.Text;
using FcgiExt.DbgEng;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.Extension.Hosting;

/// <summary>
/// The one way text leaves the extension: through IDebugControl::ControlledOutputWide with "%s" as the
/// format (never the text itself), as DML when the engine prefers DML and as plain text otherwise (cdb, ntsd).
/// Text is buffered per line so a long report is a few engine calls, not thousands.
/// </summary>
public sealed class DebuggerOutput : ReportOutput
{
    const uint DEBUG_ENGOPT_PREFER_DML = 0x00040000; // dbgeng.h: the user turned DML on (.prefer_dml 1)
    readonly IDebugControl5 _control;
    readonly StringBuilder _pending = new();
    bool _dml;

    public DebuggerOutput(IDebugControl5 control, bool? forceDml = null)
    {
        _control = control;
        _dml = forceDml ?? (control.GetEngineOptions(out uint options) >= 0 && (options & DEBUG_ENGOPT_PREFER_DML) != 0);
    }

    public override bool DmlEnabled => _dml;

    /// <summary>/D (or -dml): DML even when the engine does not prefer it, as WinDbg's own commands take /D.
    /// Called while parsing the options, before anything is written.</summary>
    public void UseDml() => _dml = true;

    protected override void WriteRaw(string text)
    {
        _pending.Append(text);
        if (text.Contains('\n') && _pending.Length > 2048) Flush();
    }

    /// <summary>Plain text regardless of DML (used for -json, whose braces and quotes must not be parsed as markup).</summary>
    public void Plain(string text)
    {
        Flush();
        Send(text, Dbg.DEBUG_OUTCTL_AMBIENT_TEXT, Dbg.DEBUG_OUTPUT_NORMAL);
    }

    /// <summary>An error line in the engine's error colour; always plain text.</summary>
    public void Error(string text)
    {
        Flush();
        Send(text.EndsWith('\n') ? text : text + "\n", Dbg.DEBUG_OUTCTL_AMBIENT_TEXT, Dbg.DEBUG_OUTPUT_ERROR);
    }

    public void Flush()
    {
        if (_pending.Length == 0) return;
        var text = _pending.ToString();
        _pending.Clear();
        Send(text, _dml ? Dbg.DEBUG_OUTCTL_AMBIENT_DML : Dbg.DEBUG_OUTCTL_AMBIENT_TEXT, Dbg.DEBUG_OUTPUT_NORMAL);
    }

    /// <summary>dbgeng formats each Output call into a fixed buffer and cuts what does not fit (seen at about 16 KB):
    /// long text goes out in pieces, split after a newline where there is one.</summary>
    public const int MaxChunk = 4000;

    void Send(string text, uint outputControl, uint mask)
    {
        for (int start = 0; start < text.Length;)
        {
            int length = Math.Min(MaxChunk, text.Length - start);
            if (start + length < text.Length)
            {
                int newline = text.LastIndexOf('\n', start + length - 1, length);
                if (newline > start) length = newline - start + 1;
            }
            _control.ControlledOutputWide(outputControl, mask, "%s", text.Substring(start, length));
            start += length;
        }
    }
}
