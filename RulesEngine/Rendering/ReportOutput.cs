using System.Text;
using System.Text.RegularExpressions;

namespace FcgiExt.RulesEngine.Rendering;

/// <summary>
/// Where the text report goes, and whether DML is on. The text renderer writes everything through this, so the
/// same report reads right in cdb (plain text) and in WinDbg (DML with command links), and so every string that
/// came from a catalog, a dump or the user is escaped in one place.
/// </summary>
public abstract class ReportOutput
{
    /// <summary>True when the sink renders Debugger Markup Language (the extension with DML on).</summary>
    public abstract bool DmlEnabled { get; }

    /// <summary>Writes text as it is: markup when DML is on. Only this class calls it.</summary>
    protected abstract void WriteRaw(string text);

    /// <summary>Untrusted text: escaped when DML is on.</summary>
    public void Text(string? text)
    {
        if (string.IsNullOrEmpty(text)) return;
        WriteRaw(DmlEnabled ? Dml.Escape(text) : text);
    }

    public void Line(string? text = null)
    {
        Text(text);
        WriteRaw("\n");
    }

    public void Bold(string? text)
    {
        if (string.IsNullOrEmpty(text)) return;
        if (DmlEnabled) WriteRaw("<b>" + Dml.Escape(text) + "</b>");
        else WriteRaw(text);
    }

    /// <summary>Text the debugger shows in its warning colour (DML only; plain otherwise).</summary>
    public void Warning(string? text)
    {
        if (string.IsNullOrEmpty(text)) return;
        if (DmlEnabled) WriteRaw("<col fg=\"warnfg\">" + Dml.Escape(text) + "</col>");
        else WriteRaw(text);
    }

    /// <summary>A command the user can run. It becomes a clickable DML link only when it is one of the
    /// debugger commands the renderer itself knows (see <see cref="Dml.IsRendererCommand"/>); anything else —
    /// shell commands, or anything a catalog could have shaped — stays escaped text.</summary>
    public void Command(string? command)
    {
        if (string.IsNullOrEmpty(command)) return;
        if (DmlEnabled && Dml.IsRendererCommand(command))
            WriteRaw($"<exec cmd=\"{Dml.Escape(command)}\">{Dml.Escape(command)}</exec>");
        else
            Text(command);
    }

    /// <summary>A URL: always text (a catalog's URL must not turn into a link the debugger follows).</summary>
    public void Url(string? url) => Text(url);
}

/// <summary>A report output writing to a TextWriter (the CLI, tests; the extension has its own sink).</summary>
public sealed class TextWriterOutput(TextWriter writer, bool dml = false) : ReportOutput
{
    public override bool DmlEnabled { get; } = dml;
    protected override void WriteRaw(string text) => writer.Write(text);
}

/// <summary>DML escaping and the renderer's own command grammar.</summary>
public static partial class Dml
{
    /// <summary>Escapes the characters DML gives meaning to: &amp;, &lt;, &gt; and the quote.</summary>
    public static string Escape(string text)
    {
        if (text.AsSpan().IndexOfAny("&<>\"") < 0) return text;
        var sb = new StringBuilder(text.Length + 16);
        foreach (var ch in text)
            sb.Append(ch switch { '&' => "&amp;", '<' => "&lt;", '>' => "&gt;", '"' => "&quot;", _ => ch.ToString() });
        return sb.ToString();
    }

    // The only commands that may become links: `!fcgi -v`, `lmv m <engine module name>`,
    // `.dump /ma /u <drive>:\<plain path>.dmp`, `!analyze -v` and `!pe`. Arguments are limited to characters that
    // cannot end the command (no ';', quotes, spaces or '$'), so nothing can be chained after them.
    [GeneratedRegex(@"^(?:!fcgi -v|!analyze -v|!pe|lmv m [A-Za-z0-9_]{1,100}|\.dump /ma /u [A-Za-z]:\\[A-Za-z0-9_\\.\-]{1,200}\.dmp)$")]
    private static partial Regex RendererCommand();

    public static bool IsRendererCommand(string command) => RendererCommand().IsMatch(command);
}
