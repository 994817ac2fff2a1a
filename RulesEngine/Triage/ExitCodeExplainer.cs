using System.Globalization;
using System.Text.RegularExpressions;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>What an exit or exception code means, for `fcgi explain`.</summary>
public sealed record CodeExplanation
{
    public required string Input { get; init; }
    public required uint Code { get; init; }
    /// <summary>How the input was read ("hexadecimal", "decimal", …): 8-digit numbers are ambiguous, so say it.</summary>
    public required string Reading { get; init; }
    /// <summary>"exception" (an NTSTATUS or exception code), "hresult" (0x8007xxxx Win32 error) or "exit-code".</summary>
    public required string Kind { get; init; }
    public string? SymbolicName { get; init; }
    public required string Class { get; init; }
    public required string Name { get; init; }
    public string? Detail { get; init; }
    public IReadOnlyList<NextStep> NextSteps { get; init; } = [];
}

/// <summary>
/// Decodes a code as IIS shows it on its FastCGI 500 page ("Error Code 0xc0000005"), as a signed or unsigned
/// decimal (-1073741819, 3221225477), or as a plain exit code (255 / 0xff, which php-cgi uses for fatal errors).
/// </summary>
/// <remarks>Classes: exception codes get the exception class of <see cref="ExceptionClassifier"/>; exit code 0 is
/// EXIT, 3 is ABORT (the MSVC runtime's abort()), other small exit codes are EXIT_CODE_&lt;n&gt;; HRESULTs of
/// Win32 errors (0x8007xxxx) are their ERROR_ name.</remarks>
public static partial class ExitCodeExplainer
{
    [GeneratedRegex(@"(?<![0-9a-z_])(?:0x[0-9a-f]+|0n[0-9]+|-?[0-9a-f]+)(?=[\s\)\].,;:]*$)", RegexOptions.IgnoreCase)]
    private static partial Regex LastNumber();

    /// <summary>Win32 errors IIS's FastCGI module reports as HRESULTs (0x8007xxxx) — from winerror.h.</summary>
    static readonly Dictionary<uint, (string Name, string Meaning)> Win32Errors = new()
    {
        [2] = ("ERROR_FILE_NOT_FOUND", "a file was not found: check the fastCgi application's fullPath and the script path"),
        [3] = ("ERROR_PATH_NOT_FOUND", "a path was not found: check the fastCgi application's fullPath"),
        [5] = ("ERROR_ACCESS_DENIED", "access denied: the application pool identity cannot read php-cgi.exe, its folder or the script"),
        [13] = ("ERROR_INVALID_DATA", "invalid data: usually malformed configuration (web.config or applicationHost.config)"),
        [109] = ("ERROR_BROKEN_PIPE", "the pipe to the FastCGI process broke: the worker exited or crashed while serving the request"),
        [126] = ("ERROR_MOD_NOT_FOUND", "a DLL was not found when the process started"),
        [183] = ("ERROR_ALREADY_EXISTS", "a configuration entry is defined twice"),
        [193] = ("ERROR_BAD_EXE_FORMAT", "not a valid program for this Windows (wrong architecture or a damaged php-cgi.exe)"),
        [233] = ("ERROR_PIPE_NOT_CONNECTED", "no process is at the other end of the pipe: the FastCGI worker exited or crashed"),
        [258] = ("WAIT_TIMEOUT", "the request ran longer than fastCgi/application@activityTimeout or requestTimeout"),
    };

    /// <summary>Reads a code; false with a one-line reason when the text holds none.</summary>
    public static bool TryParse(string? input, out uint code, out string reading, out string error)
    {
        code = 0; reading = ""; error = "";
        var text = (input ?? "").Trim();
        if (text.Length == 0) { error = "no code given"; return false; }
        var m = LastNumber().Match(text);
        if (!m.Success) { error = $"'{text}' holds no number (examples: 0xc0000005, -1073741819, 3221225477, 255)"; return false; }
        var token = m.Value;
        if (token.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return ParseHex(token[2..], "hexadecimal", out code, out reading, out error);
        if (token.StartsWith("0n", StringComparison.OrdinalIgnoreCase))
            return ParseDecimal(token[2..], out code, out reading, out error);
        if (token.StartsWith('-'))
        {
            if (!long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long negative) ||
                negative < int.MinValue)
            { error = $"'{token}' is not a 32-bit code"; return false; }
            code = unchecked((uint)(int)negative);
            reading = "signed decimal (two's complement)";
            return true;
        }
        bool hasHexLetters = token.Any(c => c is >= 'a' and <= 'f' or >= 'A' and <= 'F');
        if (hasHexLetters || token.Length == 8)
            return ParseHex(token, token.Length == 8 && !hasHexLetters ? "hexadecimal (8 digits, as debuggers print codes)" : "hexadecimal",
                out code, out reading, out error);
        return ParseDecimal(token, out code, out reading, out error);
    }

    static bool ParseHex(string digits, string how, out uint code, out string reading, out string error)
    {
        code = 0; reading = how; error = "";
        if (!ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value))
        { error = $"'{digits}' is not a hexadecimal number that fits 64 bits"; return false; }
        // A sign-extended 64-bit form (0xffffffffc0000005) is the same 32-bit code.
        if (value > uint.MaxValue && (value >> 32) != 0xFFFFFFFF)
        { error = $"0x{value:x} does not fit in 32 bits: exit and exception codes are 32-bit"; return false; }
        code = (uint)value;
        return true;
    }

    static bool ParseDecimal(string digits, out uint code, out string reading, out string error)
    {
        code = 0; reading = "decimal"; error = "";
        if (!uint.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out code))
        { error = $"'{digits}' is not a 32-bit unsigned decimal number"; return false; }
        return true;
    }

    /// <summary>Explains a code; throws FormatException with a one-line message when the input holds none.</summary>
    public static CodeExplanation Explain(string input, string processName = NextSteps.DefaultProcess)
    {
        if (!TryParse(input, out uint code, out string reading, out string error))
            throw new FormatException(error);
        return Explain(code, input, reading, processName);
    }

    public static CodeExplanation Explain(uint code, string input, string reading, string processName = NextSteps.DefaultProcess)
    {
        var process = NextSteps.SafeProcessName(processName);
        bool isPhp = process.Contains("php", StringComparison.OrdinalIgnoreCase);

        if (code >> 16 == 0x8007)
        {
            uint win32 = code & 0xFFFF;
            var (name, meaning) = Win32Errors.TryGetValue(win32, out var w) ? w : ($"WIN32_ERROR_{win32}", $"Windows error {win32}");
            var steps = new List<NextStep>();
            if (win32 is 109 or 233)
                steps.AddRange(DumpCaptureSteps(process));
            else if (win32 == 258)
                steps.Add(new NextStep { Kind = "class",
                    Text = "Raise the timeouts if the script is legitimately slow, or find why it hangs:",
                    Runs = NextStep.AtPrompt, Command = @"%windir%\system32\inetsrv\appcmd.exe list config " +
                        @"-section:system.webServer/fastCgi" });
            return new CodeExplanation { Input = input, Code = code, Reading = reading, Kind = "hresult", SymbolicName = name,
                Class = name, Name = $"HRESULT of Windows error {win32} ({name})", Detail = meaning, NextSteps = steps };
        }

        // Small negative numbers (0xffffxxxx) are exit(-n), not exception codes.
        bool isException = code >> 16 != 0xFFFF && (code >= 0x80000000 || code != 0 && ExceptionCodes.Known.ContainsKey(code));
        if (isException)
        {
            var cls = ExceptionClassifier.ClassifyCode(code);
            var steps = NextSteps.ForClass(cls.Class, process, null);
            if (cls.Class is not ("DLL_NOT_FOUND" or "ENTRYPOINT_NOT_FOUND" or "ORDINAL_NOT_FOUND" or "INVALID_IMAGE_FORMAT"
                or "DLL_INIT_FAILED"))
                steps.AddRange(DumpCaptureSteps(process));
            return new CodeExplanation { Input = input, Code = code, Reading = reading, Kind = "exception",
                SymbolicName = ExceptionCodes.NameOf(code), Class = cls.Class, Name = cls.Name, Detail = cls.Detail, NextSteps = steps };
        }

        // A plain exit code: what the process passed to exit().
        int exitCode = unchecked((int)code);
        switch (exitCode)
        {
            case 0:
                return new CodeExplanation { Input = input, Code = code, Reading = reading, Kind = "exit-code",
                    Class = ExceptionClassifier.Exit,
                    Name = "Normal exit (0)", Detail = $"{process} ended itself normally; under IIS that is usually the worker's own " +
                        "request limit",
                    NextSteps = NextSteps.ForClass(ExceptionClassifier.Exit, process, null) };
            case 3:
                return new CodeExplanation { Input = input, Code = code, Reading = reading, Kind = "exit-code",
                    Class = ExceptionClassifier.Abort,
                    Name = "Exit code 3: abort()", Detail = "the Microsoft C runtime's abort() ends the process with 3",
                    NextSteps = [.. NextSteps.ForClass(ExceptionClassifier.Abort, process, null), .. DumpCaptureSteps(process)] };
            case 255 when isPhp:
                return new CodeExplanation { Input = input, Code = code, Reading = reading, Kind = "exit-code", Class = "EXIT_CODE_255",
                    Name = "Exit code 255: PHP fatal error",
                    Detail = "PHP exits with 255 on a fatal error; a FastCGI worker doing so is usually failing at startup (a bad " +
                        "php.ini setting, an extension that does not load or initialise, a missing DLL) or hit a fatal error outside " +
                        "a request",
                    NextSteps =
                    [
                        new NextStep { Kind = "class", Text = "Run php-cgi.exe by hand in the PHP folder, with the same php.ini, to see " +
                            "the startup error:", Runs = NextStep.AtPrompt, Command = "php-cgi.exe -v" },
                        new NextStep { Kind = "class", Text = "Look at PHP's error log (the error_log setting in php.ini; set " +
                            "log_errors=On) for the fatal error at the time of the 500." },
                    ] };
            case 1:
                return new CodeExplanation { Input = input, Code = code, Reading = reading, Kind = "exit-code", Class = "EXIT_CODE_1",
                    Name = "Exit code 1: generic failure",
                    Detail = "many programs exit with 1 on any error (Ruby does on an uncaught exception); it is not a crash",
                    NextSteps = [new NextStep { Kind = "class",
                        Text = $"Look at the application's own log and its stderr output for the error {process} reported before " +
                            "exiting." }] };
            default:
                return new CodeExplanation { Input = input, Code = code, Reading = reading, Kind = "exit-code",
                    Class = $"EXIT_CODE_{exitCode}".Replace('-', 'M'),
                    Name = $"Exit code {exitCode}",
                    Detail = $"{process} called exit({exitCode}) or was terminated with that code; it is not an exception code",
                    NextSteps = [new NextStep { Kind = "class",
                        Text = $"Look at the application's own log for why {process} exited; to catch the moment, take a dump at exit " +
                            "(procdump -t) and run !fcgi on it." }] };
        }
    }

    /// <summary>How to get a dump of the next crash, for codes that are crashes.</summary>
    static IEnumerable<NextStep> DumpCaptureSteps(string process)
    {
        yield return new NextStep { Kind = "dump",
            Text = $"Have Windows write a full dump when {process} crashes next (WER LocalDumps; run as administrator, create C:\\dumps " +
                "and let the application pool identity write there), then run `!fcgi` or `fcgi triage` on it:",
            Runs = NextStep.AtPrompt, Command = "reg add \"HKLM\\SOFTWARE\\Microsoft\\Windows\\Windows Error " +
                $"Reporting\\LocalDumps\\{process}\" /v DumpType /t REG_DWORD /d 2 /f" };
        yield return new NextStep { Kind = "dump", Text = "… and the folder it writes to:",
            Runs = NextStep.AtPrompt, Command = "reg add \"HKLM\\SOFTWARE\\Microsoft\\Windows\\Windows Error " +
                $"Reporting\\LocalDumps\\{process}\" /v DumpFolder /t REG_EXPAND_SZ /d C:\\dumps /f" };
    }
}
