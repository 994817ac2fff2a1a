using System.Text;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>
/// Bucket ids in the style of !analyze's FAILURE_BUCKET_ID: <c>CLASS_code_module!function</c>, e.g.
/// <c>NULL_POINTER_WRITE_c0000005_php_xdebug!xdebug_execute_ex</c>.
/// </summary>
/// <remarks>
/// A bucket must be the same for every occurrence of one bug, so it holds no address, offset, timestamp or
/// path: the module is its engine name in lower case (a dump and a k paste of one crash name it alike),
/// and the function is left out when there is none, so crashes in a module without symbols land in one
/// bucket instead of one per offset. Frames kept by "prefix" rules come first, joined with '|'.
/// Without an exception code (EXIT, ABORT, no exception) the code part is left out.
/// </remarks>
public static class BucketId
{
    public const string NoException = "NO_EXCEPTION", UnknownModule = "unknown_module", SignatureSeparator = "|";

    public static string Build(string exceptionClass, uint? code, IEnumerable<string> signature)
    {
        var sb = new StringBuilder(Sanitize(exceptionClass));
        if (code is { } c) sb.Append('_').Append(c.ToString("x8"));
        var parts = signature.Where(s => s.Length > 0).ToList();
        if (parts.Count > 0) sb.Append('_').Append(string.Join(SignatureSeparator, parts));
        return sb.ToString();
    }

    /// <summary>module!function of a frame, without displacement; just the module when there is no function.</summary>
    public static string FrameSignature(StackFrame frame, CrashReport crash)
    {
        var module = ModuleLabel(frame, crash);
        var function = Sanitize(StripDisplacement(frame.Function));
        return function.Length == 0 ? module : $"{module}!{function}";
    }

    /// <summary>The engine name (lower case, <see cref="ModuleNames.BucketName"/>) of a frame's module, else "unknown_module".</summary>
    public static string ModuleLabel(StackFrame frame, CrashReport crash)
    {
        ModuleInfo? module = null;
        try { module = crash.FindModule(frame.Module, frame.InstructionPointer); }
        catch (ArgumentException) { }   // a malformed name in a hand-made report must not stop triage
        string? name = module?.FileName
            ?? (module?.Path is { Length: > 0 } p ? ModuleNames.FileName(p) : null)
            ?? module?.Name ?? frame.Module;
        var label = ModuleNames.BucketName(name);
        return label is null ? UnknownModule : Sanitize(label);
    }

    static string StripDisplacement(string? function)
    {
        if (string.IsNullOrWhiteSpace(function)) return "";
        var f = function.Trim();
        int plus = f.LastIndexOf("+0x", StringComparison.OrdinalIgnoreCase);
        return plus > 0 ? f[..plus] : f;
    }

    /// <summary>No whitespace or control characters in a bucket: they break tables, file names and grep.</summary>
    static string Sanitize(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool lastWasSpace = false;
        foreach (var ch in s.Trim())
        {
            if (char.IsWhiteSpace(ch) || char.IsControl(ch))
            {
                if (!lastWasSpace) sb.Append('_');
                lastWasSpace = true;
                continue;
            }
            lastWasSpace = false;
            sb.Append(ch);
        }
        return sb.ToString();
    }
}
