using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>
/// The next steps for each exception class, shared by triage and `fcgi explain`. Every command here is built
/// from fixed templates and from names that pass a strict character check: catalog text never becomes a command.
/// </summary>
public static partial class NextSteps
{
    public const string DefaultProcess = "php-cgi.exe";
    const string AppCmd = @"%windir%\system32\inetsrv\appcmd.exe";
    const string PlaceholderPhpPath = @"C:\PHP\php-cgi.exe";

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]{1,100}\.exe$")]
    private static partial Regex SafeImageName();

    [GeneratedRegex(@"^[A-Za-z]:\\[A-Za-z0-9_ .\\()\-]{1,240}\.exe$")]
    private static partial Regex SafeImagePath();

    [GeneratedRegex(@"^[A-Za-z0-9_]{1,100}$")]
    private static partial Regex SafeEngineName();

    /// <summary>Steps for an exception class (everything that does not depend on the owner or the symbols).</summary>
    public static List<NextStep> ForClass(string? exceptionClass, string processName, string? processPath)
    {
        var steps = new List<NextStep>();
        var cls = exceptionClass ?? "";
        bool isPhp = processName.Contains("php", StringComparison.OrdinalIgnoreCase);

        if (cls == ExceptionClassifier.Exit)
        {
            steps.AddRange(isPhp ? PhpRecycleSteps(processPath) : GenericExitSteps(processName));
            return steps;
        }
        if (IsHeapClass(cls))
            steps.AddRange(PageHeapSteps(processName));

        if (cls == ExceptionClassifier.StackOverflow)
            steps.Add(new() { Kind = "class", Text = "A stack overflow is almost always unbounded recursion: the function that repeats " +
                "on the stack is the one to look at. " +
                (isPhp ? "In PHP it is usually the script recursing (Xdebug's xdebug.max_nesting_level turns it into a catchable error " +
                    "while you debug)."
                       : "Look for a script or library recursing without end.") });
        else if (cls.StartsWith(ExceptionClassifier.FailFastPrefix, StringComparison.Ordinal) ||
            cls == ExceptionClassifier.StackBufferOverrun)
        {
            if (cls is "FAIL_FAST_STACK_COOKIE_CHECK_FAILURE" or "FAIL_FAST_LEGACY_GS_VIOLATION" or ExceptionClassifier.StackBufferOverrun)
                steps.Add(new() { Kind = "class", Text = "A /GS stack cookie was overwritten: a buffer on the stack of the function that " +
                    "was returning overflowed. The owner's frame is the culprit; send the full dump." });
            else if (cls == "FAIL_FAST_INVALID_ARG")
                steps.Add(new() { Kind = "class", Text = "The C runtime's invalid parameter handler stopped the process: the owner's " +
                    "frame passed a bad argument (a NULL string, a closed file descriptor, a bad format) to a CRT function." });
            else if (cls == "FAIL_FAST_FATAL_APP_EXIT")
                steps.Add(new() { Kind = "class", Text = "The program aborted itself (abort() or a fatal error routine): look in the " +
                    "application's error log (PHP error_log, Ruby's stderr) for the message written just before." });
            else if (cls is "FAIL_FAST_GUARD_ICALL_CHECK_FAILURE" or "FAIL_FAST_GUARD_ICALL_CHECK_FAILURE_XFG")
                steps.Add(new() { Kind = "class", Text = "Control Flow Guard stopped a call through a corrupted or freed function " +
                    "pointer: treat it like a use after free in the owner." });
        }
        else if (cls == ExceptionClassifier.InvalidParameter)
            steps.Add(new() { Kind = "class", Text = "A function got an invalid argument and stopped the process: the owner's frame is " +
                "the caller to fix." });
        else if (cls == ExceptionClassifier.CppException)
            steps.Add(new() { Kind = "class", Text = "An unhandled C++ exception: the thrown type and message say what failed.",
                Runs = NextStep.InDebugger, Command = "!analyze -v" });
        else if (cls == ExceptionClassifier.ClrException)
            steps.Add(new() { Kind = "class", Text = "An unhandled .NET exception: load SOS (.loadby sos clr, or .load sos for .NET " +
                "Core) and print it.", Runs = NextStep.InDebugger, Command = "!pe" });
        else if (cls == ExceptionClassifier.Breakpoint)
            steps.Add(new() { Kind = "class", Text = "A breakpoint: either a hard-coded DebugBreak/assertion (a debug build of a module, " +
                "or a failed assertion) or the debugger breaking in when it attached — in that case this is not a crash; let the " +
                "process run (g) until the real exception." });
        else if (cls == ExceptionClassifier.Abort)
            steps.Add(new() { Kind = "class", Text = "The program called abort(): look in the application's error log (PHP error_log, " +
                "Ruby's stderr) for the fatal message written just before." });
        else if (cls == "DLL_NOT_FOUND" || cls == "ENTRYPOINT_NOT_FOUND" || cls == "ORDINAL_NOT_FOUND")
            steps.Add(new() { Kind = "class", Text = isPhp
                ? "php-cgi.exe could not load a DLL it needs: usually the Visual C++ Redistributable that matches the PHP build (vs16 " +
                    "→ VC++ 2015-2019, vs17 → 2015-2022, same architecture) is missing, or an extension DLL is for another PHP " +
                    "version. Run php-cgi.exe -v in the PHP folder from a command prompt to see which."
                : "The process could not load a DLL it needs (missing Visual C++ Redistributable or a DLL of the wrong version): start " +
                    "it by hand from a command prompt to see which." });
        else if (cls == "INVALID_IMAGE_FORMAT")
            steps.Add(new() { Kind = "class", Text = "A DLL is for the other architecture (a 32-bit extension in 64-bit PHP or the " +
                "reverse) or damaged: check the extension DLLs against the PHP build." });
        else if (cls == "DLL_INIT_FAILED")
            steps.Add(new() { Kind = "class", Text = "A DLL's initialisation failed; with many FastCGI processes this is often the " +
                "non-interactive desktop heap running out (SharedSection in the Windows registry key of the Windows subsystem)." });
        else if (cls == ExceptionClassifier.InPageError)
            steps.Add(new() { Kind = "class", Text = "Windows could not read a page of an image or mapped file: if PHP or its extensions " +
                "run from a network share, copy them to a local disk." });
        return steps;
    }

    /// <summary>Classes where the damage was done earlier by someone else, so page heap is the tool.</summary>
    public static bool IsHeapClass(string cls) =>
        cls == ExceptionClassifier.HeapCorruption
        || cls.StartsWith(ExceptionClassifier.HeapFillPattern, StringComparison.Ordinal)
        || cls is "FAIL_FAST_CORRUPT_LIST_ENTRY" or "FAIL_FAST_HEAP_METADATA_CORRUPTION" or "FAIL_FAST_UNEXPECTED_HEAP_EXCEPTION";

    /// <summary>Full page heap on, reproduce, off, check: gflags from Debugging Tools for Windows.</summary>
    public static IEnumerable<NextStep> PageHeapSteps(string processName)
    {
        var image = SafeProcessName(processName);
        yield return new() { Kind = "page-heap",
            Text = $"Turn on full page heap for {image} (gflags comes with Debugging Tools for Windows; run as administrator), then " +
                "recycle the application pool so new workers start with it:",
            Runs = NextStep.AtPrompt, Command = $"gflags /p /enable {image} /full" };
        yield return new() { Kind = "page-heap",
            Text = "Reproduce the crash and take the dump again: with page heap the process stops at the first bad write or use after " +
                "free, so the stack then shows the real culprit." };
        yield return new() { Kind = "page-heap", Text = $"Turn page heap off again (it costs a lot of memory):", Runs = NextStep.AtPrompt,
            Command = $"gflags /p /disable {image}" };
        yield return new() { Kind = "page-heap", Text = $"Check that it is off: {image} must no longer be listed:",
            Runs = NextStep.AtPrompt, Command = "gflags /p" };
    }

    /// <summary>php-cgi left on its own after PHP_FCGI_MAX_REQUESTS: IIS must recycle it first.</summary>
    public static IEnumerable<NextStep> PhpRecycleSteps(string? phpCgiPath)
    {
        bool pathKnown = phpCgiPath is not null && SafeImagePath().IsMatch(phpCgiPath);
        string path = pathKnown ? phpCgiPath! : PlaceholderPhpPath;
        string pathNote = pathKnown ? "" : $" (use the fullPath of your php-cgi.exe as the list shows it instead of {PlaceholderPhpPath})";
        yield return new() { Kind = "exit-config",
            Text = "This is not a crash: php-cgi.exe ends itself after PHP_FCGI_MAX_REQUESTS requests (PHP's default is 500). IIS must " +
                "recycle the process first, so fastCgi/application@instanceMaxRequests must be less than or equal to " +
                "PHP_FCGI_MAX_REQUESTS. Compare the two:",
            Runs = NextStep.AtPrompt, Command = $"{AppCmd} list config -section:system.webServer/fastCgi" };
        yield return new() { Kind = "exit-config", Text = "Set IIS's limit" + pathNote + ":",
            Runs = NextStep.AtPrompt, Command = $"{AppCmd} set config -section:system.webServer/fastCgi " +
                $"/[fullPath='{path}'].instanceMaxRequests:10000" };
        yield return new() { Kind = "exit-config",
            Text = "Set PHP's limit to the same value or higher (if the variable exists already, set " +
                ".environmentVariables.[name='PHP_FCGI_MAX_REQUESTS'].value instead):",
            Runs = NextStep.AtPrompt, Command = $"{AppCmd} set config -section:system.webServer/fastCgi " +
                $"/+\"[fullPath='{path}'].environmentVariables.[name='PHP_FCGI_MAX_REQUESTS',value='10000']\"" };
    }

    static IEnumerable<NextStep> GenericExitSteps(string processName)
    {
        yield return new() { Kind = "exit-config",
            Text = $"This is not a crash: {processName} ended itself. If the application has its own request limit, IIS's " +
                "fastCgi/application@instanceMaxRequests must be lower so IIS recycles the process first; otherwise look in the " +
                "application's log for why it exited.",
            Runs = NextStep.AtPrompt, Command = $"{AppCmd} list config -section:system.webServer/fastCgi" };
    }

    /// <summary>The dump name's stand-in for a process the input does not name: the user fills it in.</summary>
    public const string UnknownProcess = "<process>";

    /// <summary>
    /// The process part of a suggested dump name: the image the input names without ".exe" ("ruby", "httpd"), or
    /// <see cref="UnknownProcess"/> — never a guess, a dump called php-cgi_… of a Ruby worker misleads whoever gets it.
    /// </summary>
    public static string DumpStem(string? processName)
    {
        if (string.IsNullOrWhiteSpace(processName)) return UnknownProcess;
        var file = ModuleNames.FileName(processName.Trim());
        if (file.EndsWith(".exe", StringComparison.OrdinalIgnoreCase)) file = file[..^4];
        return SafeStem().IsMatch(file) ? file : UnknownProcess;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]{1,100}$")]
    private static partial Regex SafeStem();

    /// <summary>The `.dump /ma` step: a full dump the owner can debug, with a name that says what it holds.</summary>
    /// <param name="processName">The process the input names; null when it names none.</param>
    /// <param name="live">The process is stopped in the debugger now: the dump is one command away, before it goes.</param>
    public static NextStep DumpStep(string? processName, string exceptionClass, string? ownerName, string? reportUrl, bool live = false)
    {
        var stem = DumpStem(processName);
        var cls = new string(exceptionClass.Where(c => char.IsAsciiLetterOrDigit(c) || c == '_').ToArray());
        if (cls.Length == 0) cls = "crash";
        var who = ownerName is null or "unknown" ? "the owner" : ownerName;
        string share = $"with {who}" + (reportUrl is null ? "." : $": {reportUrl}");
        return new() { Kind = "dump",
            Text = live
                ? $"Write the full dump now, while the process is stopped here (create c:\\dumps first), and share it with this report's " +
                  $"bucket and JSON, {share}"
                : $"Save a full dump at the crash (in the debugger; create c:\\dumps first) and share it, with this report's bucket and " +
                  $"JSON, {share}",
            Runs = NextStep.InDebugger, Command = $@".dump /ma /u c:\dumps\{stem}_{cls}.dmp", Url = reportUrl };
    }

    /// <summary>lmv m for a module, by its engine name: version and timestamp the owner will ask for.</summary>
    public static NextStep? ModuleInfoStep(string? engineName, string ownerName)
    {
        if (engineName is null || !SafeEngineName().IsMatch(engineName)) return null;
        return new() { Kind = "report", Text = $"Include the version of {engineName} in the report to {ownerName}:",
            Runs = NextStep.InDebugger,
            Command = $"lmv m {engineName}",
            Outside = new() { Kind = "report", Text = $"Include the version and path of {engineName} (the deciding module's line of this " +
                "report) " +
                $"in the report to {ownerName}." } };
    }

    /// <summary>The process image name when it is a plain file name; php-cgi.exe otherwise.</summary>
    public static string SafeProcessName(string? name)
    {
        if (name is null) return DefaultProcess;
        var file = ModuleNames.FileName(name.Trim());
        return SafeImageName().IsMatch(file) ? file : DefaultProcess;
    }
}
