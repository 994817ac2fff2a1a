using System.Globalization;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>
/// The worker's exit code as web servers log it: Apache's "child process 3280 exited with status 3221225477" or
/// "exit status 3221225477", IIS's FastCGI error page "Error Number: -1073741819 (0xc0000005)" / "Error Code
/// 0xc0000005" under "The FastCGI process exited unexpectedly", and failed request tracing's
/// ErrorCode="3221225477 (0xC0000005)" (or, in its table view, "ErrorCode 3221225477 ( 0xC0000005)"), and the worker process
/// events of IIS (W3SVC 1009, WAS 5009): "A process serving application pool 'DefaultAppPool' terminated unexpectedly. The
/// process ID was '2928'. The process exit code was '0xc0000005'." Only the code is recorded (<see cref="ProcessInfo.ExitCode"/>): what it
/// means is triage's business. Per-line string tests, no regular expressions.
/// </summary>
internal sealed class ExitCodeLineReader : IBlockReader
{
    // Where the code follows; checked in this order on each line.
    static readonly string[] Markers =
        ["exited with status", "exit status", "exited with code", "exit code was", "exit code", "Error Number:", "Error Code:",
         "Error Code", "ErrorCode"];

    public int TryRead(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder, ReadState state)
    {
        var line = lines[start];
        if (line.Command is not null) return 0;
        var text = line.Trimmed;
        // Visual Studio's Output window: "The thread 0x6f54 has exited with code 0 (0x0)." is one thread, not the process.
        if (text.StartsWith("The thread ", StringComparison.Ordinal)) return 0;
        bool fastCgiPage = IgnoreCase.Contains(text, "FastCGI process exited unexpectedly");
        uint? code = null;
        foreach (var marker in Markers)
        {
            int at = IgnoreCase.IndexOf(text, marker);
            if (at >= 0 && CodeAfter(text, at + marker.Length) is { } c) { code = c; break; }
        }
        if (code is null && !fastCgiPage) return 0;
        builder.AddKind("server-log");
        if (code is { } value) builder.ExitCode ??= value;
        // "C:\PHP\php-cgi.exe - The FastCGI process exited unexpectedly": the page names the worker.
        if (ExeOn(text) is { } exe) builder.ProcessName ??= exe;
        // IIS's "A process serving application pool '…' terminated unexpectedly": only w3wp.exe serves application pools.
        else if (IgnoreCase.Contains(text, "serving application pool")) builder.ProcessName ??= "w3wp.exe";
        else if (IgnoreCase.Contains(text, "child process") && text.Contains("AH0", StringComparison.Ordinal))
            builder.ProcessName ??= "httpd.exe";   // Apache's own children (mpm_winnt) are httpd.exe
        return 1;
    }

    /// <summary>
    /// The code after a marker: "3221225477", "-1073741819 (0xc0000005)" (the hex form wins), "0xc0000005",
    /// "3221225477 (0xC0000005)". Null when no number follows.
    /// </summary>
    internal static uint? CodeAfter(string text, int i)
    {
        while (i < text.Length && (text[i] is ' ' or '"' or '\'' or ':' or '=')) i++;
        int end = i;
        if (end < text.Length && text[end] == '-') end++;
        bool hex = end + 1 < text.Length && text[end] == '0' && (text[end + 1] is 'x' or 'X');
        if (hex) end += 2;
        int digits = end;
        while (end < text.Length && (hex ? Uri.IsHexDigit(text[end]) : char.IsAsciiDigit(text[end]))) end++;
        if (end == digits) return null;
        if (end < text.Length && char.IsAsciiLetterOrDigit(text[end])) return null;   // "status 3a" or a word: not a code
        var token = text[i..end];
        // "-1073741819 (0xc0000005)": the parenthesised hex is the same code, written unambiguously.
        // Only right after the number: looking further scanned the rest of a long line for each marker.
        int open = IgnoreCase.IndexOf(text.AsSpan(end, Math.Min(text.Length - end, 5)), "(0x");
        if (!hex && open >= 0 && CodeAfter(text, end + open + 1) is { } inner) return inner;
        if (hex) return Hex.Parse(token[2..]) is { } h && (h <= uint.MaxValue || h >> 32 == 0xFFFFFFFF) ? (uint)h : null;
        if (token.StartsWith('-'))
            return long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= int.MinValue
                ? unchecked((uint)(int)n) : null;
        return uint.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var u) ? u : null;
    }

    static string? ExeOn(string text)
    {
        int exe = IgnoreCase.IndexOf(text, ".exe");
        if (exe < 0) return null;
        int s = exe;
        while (s > 0 && !char.IsWhiteSpace(text[s - 1]) && text[s - 1] is not ('"' or '\'' or '(' or '\\' or '/')) s--;
        var name = text[s..(exe + 4)];
        return name.Length > 4 ? name : null;
    }
}
