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
    readonly bool _dml;

    public DebuggerOutput(IDebugControl5 control, bool? forceDml = null)
    {
        _control = control;
        _dml = forceDml ?? (control.GetEngineOptions(out uint options) >= 0 && (options & DEBUG_ENGOPT_PREFER_DML) != 0);
    }

    public override bool DmlEnabled => _dml;

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

    void Send(string text, uint outputControl, uint mask) => _control.ControlledOutputWide(outputControl, mask, "%s", text);
}
