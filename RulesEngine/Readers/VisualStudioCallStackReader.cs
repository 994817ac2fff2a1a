using System.Globalization;
using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>
/// Visual Studio's Call Stack window copied as text (what bugs.php.net's Windows backtrace page asks for):
/// "&gt;	php_ice.dll!zif_IcePHP_defineClass(_zend_execute_data * execute_data=0x…) Line 3750	C++", with
/// "[External Code]" and "module.dll!00007ffb12345678()" lines for frames without symbols. Two such lines in
/// a row start a block; "&gt;" marks the current frame, which need not be the first.
/// </summary>
internal sealed partial class VisualStudioCallStackReader : IBlockReader
{
    public int TryRead(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder, ReadState state)
    {
        if (lines[start].Command is not null || Parse(lines[start].Trimmed) is null) return 0;
        int next = start + 1;
        if (next < lines.Count && SourceOf(lines[next].Trimmed) is not null) next++;
        if (next >= lines.Count || Parse(lines[next].Trimmed) is null) return 0;
        var frames = new List<StackFrame>();
        int i = start;
        while (i < lines.Count && lines[i].Command is null)
        {
            var t = lines[i].Trimmed;
            if (t.Equals("[External Code]", StringComparison.OrdinalIgnoreCase) || t.StartsWith("[Frames below may be incorrect", StringComparison.OrdinalIgnoreCase))
            {
                builder.Note("Visual Studio call stack: \"" + t + "\" hides frames between the ones shown.");
                i++;
                continue;
            }
            // Newer Visual Studio copies put the source under each frame: "\tat C:\php-src\ext\soap\soap.c(456)".
            if (SourceOf(lines[i].Trimmed) is { } source && frames.Count > 0)
            {
                frames[^1] = frames[^1] with { SourceFile = source.File, SourceLine = frames[^1].SourceLine ?? source.Line };
                i++;
                continue;
            }
            var f = Parse(lines[i].Trimmed);
            if (f is null) break;
            if (f.Value.Module is { } file)
                builder.AddModule(new ModuleInfo { FileName = file, Name = ModuleNames.EngineName(file) });
            frames.Add(new StackFrame
            {
                Index = frames.Count,
                Module = f.Value.Module is null ? null : ModuleNames.EngineName(f.Value.Module),
                Function = f.Value.Function,
                InstructionPointer = f.Value.Address,
                Displacement = f.Value.Displacement,
                SourceLine = f.Value.Line,
                Trust = f.Value.Inline ? FrameTrust.Inline : frames.Count == 0 ? FrameTrust.Context : FrameTrust.Unknown,
                Inline = f.Value.Inline,
            });
            i++;
        }
        if (frames.Count < 2) return 0;
        builder.AddKind("visual-studio-call-stack");
        // The outermost .exe frame is the process (php.exe!main, php-cgi.exe!main).
        for (int k = i - 1; k >= start; k--)
            if (Parse(lines[k].Trimmed)?.Module is { } exe && exe.EndsWith(".exe", StringComparison.OrdinalIgnoreCase))
            {
                builder.ProcessName ??= exe;
                break;
            }
        builder.AddStack(new CrashReportBuilder.StackCandidate("visual-studio-call-stack", CrashReportBuilder.PriorityK, frames, null, null));
        return i - start;
    }

    /// <summary>"at C:\sdk\php-src\ext\soap\soap.c(456)": the source line Visual Studio 2022 prints under a frame.</summary>
    internal static (string File, int Line)? SourceOf(string text)
    {
        var t = text.Trim();
        if (!t.StartsWith("at ", StringComparison.Ordinal) || !t.EndsWith(')')) return null;
        int open = t.LastIndexOf('(');
        return open > 3 && int.TryParse(t.AsSpan(open + 1, t.Length - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out int line)
            ? (t[3..open].Trim(), line) : null;
    }

    internal static (string? Module, string? Function, ulong? Address, ulong? Displacement, int? Line, bool Inline)? Parse(string text)
    {
        var t = text.Trim().TrimStart('>').Trim();
        const string InlineMark = "[Inline Frame]";
        bool inline = t.StartsWith(InlineMark, StringComparison.OrdinalIgnoreCase);
        if (inline) t = t[InlineMark.Length..].Trim();
        var m = Frame().Match(t);
        if (!m.Success) return null;
        var module = m.Groups["module"].Value;
        var function = m.Groups["function"].Value.Trim();
        ulong? address = null;
        if (Regex.IsMatch(function, "^[0-9a-fA-F]{8,16}$")) { address = Hex.Parse(function); function = ""; }
        int? line = m.Groups["line"].Success ? int.Parse(m.Groups["line"].Value, CultureInfo.InvariantCulture) : null;
        // Visual Studio 2005-2010 print the displacement in hex ("Line 53 + 0x3 bytes"), later ones in decimal.
        ulong? disp = !m.Groups["bytes"].Success ? null
            : m.Groups["bytes"].Value.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? Hex.Parse(m.Groups["bytes"].Value)
            : ulong.Parse(m.Groups["bytes"].Value, CultureInfo.InvariantCulture);
        return (module, function.Length > 0 ? function : null, address, disp, line, inline);
    }

    // "php7ts_debug.dll!execute_ex(_zend_execute_data * ex=0x000002cb52013030) Line 432	C"
    // "php_ice.dll!00007ffa8d703f08()	Unknown", "php5ts.dll!zend_hash_find(...) Line 286 + 3 bytes	C",
    // "php5ts_debug.dll!zend_register_constant(...)  Line 442 + 0x5e bytes	C" (Visual Studio 2010)
    // A localized Visual Studio translates the language column's "Unknown" and the word "Line":
    // "MacType64.Core.dll!00007ffa4c3067d4()	未知" (Chinese, https://github.com/snowie2000/mactype/issues/433).
    private const string FramePattern =
        @"^(?<module>[^\s!()]+\.(?:dll|exe|so|pyd))!(?<function>[^\s(]+(?:<[^>]*>)?[^\s(]*)"
        + @"\((?>[^()]+|\((?<d>)|\)(?<-d>))*(?(d)(?!))\)"
        + @"(?:\s+(?:Line|Zeile|Ligne|Línea|Riga|Linha|строка|行)\s*(?<line>\d+)(?:\s*\+\s*(?<bytes>0x[0-9a-fA-F]+|\d+)\s+bytes)?)?"
        + @"(?:\s+(?:C\+\+|C|Asm|C#"
        + @"|Unknown|未知|不明|Unbekannt|Inconnu|Desconocido|Sconosciuto|Desconhecido|Неизвестно))?\s*$";

    [GeneratedRegex(FramePattern, RegexOptions.IgnoreCase)]
    private static partial Regex Frame();
}
