using System.Globalization;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Catalog.Tools;

/// <summary>The short frame notation of catalog examples and `fcgi rules explain`: `module!function`,
/// `module!function+0x1a`, `module` alone, or an address (`0x00007ff6d1e21000`).</summary>
public static class FrameText
{
    public static StackFrame Parse(string text, int index)
    {
        var t = text.Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) &&
            ulong.TryParse(t[2..].Replace("`", ""), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var address))
            return new StackFrame { Index = index, InstructionPointer = address };
        ulong? displacement = null;
        int plus = t.LastIndexOf("+0x", StringComparison.OrdinalIgnoreCase);
        if (plus > 0 && ulong.TryParse(t[(plus + 3)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var d))
        {
            displacement = d;
            t = t[..plus];
        }
        int bang = t.IndexOf('!');
        string module = bang < 0 ? t : t[..bang];
        string? function = bang < 0 ? null : t[(bang + 1)..];
        return new StackFrame
        {
            Index = index, Module = module.Length == 0 ? null : module,
            Function = string.IsNullOrEmpty(function) ? null : function, Displacement = displacement,
        };
    }

    /// <summary>A crash made of frames in this notation, with an optional exception (code or class) and process.
    /// Returns the exception class separately when one was given by name.</summary>
    public static (CrashReport Crash, string? ExceptionClass) Crash(IEnumerable<string> frames, string? exception, string? process)
    {
        uint? code = null; string? cls = null;
        if (exception is not null)
        {
            var cond = CatalogParser.ParseException(exception, out _);
            if (cond?.Code is { } c) code = c;
            else cls = exception.Trim();
        }
        var crash = new CrashReport
        {
            Process = new ProcessInfo { Name = process },
            Exception = code is { } k ? new ExceptionInfo { Code = k } : null,
            FaultingThread = new ThreadInfo { Frames = frames.Select(Parse).ToList() },
            Source = new DataSource { Kind = "catalog-example" },
        };
        return (crash, cls);
    }
}
