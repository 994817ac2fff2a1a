using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>A debug-heap fill value and what finding it in a pointer means; <paramref name="Freed"/> when the
/// heap writes it into blocks it frees (a pointer read from it is a use after free).</summary>
public sealed record HeapFillPattern(uint Value, string Filler, string Meaning, bool Freed = false);

/// <summary>A fill pattern found in an address: which pattern, in which half, and how far off.</summary>
public sealed record HeapFillMatch(HeapFillPattern Pattern, bool HighDword, long Offset);

/// <summary>
/// Turns an exception record (or its absence) into an exception class, the first word of every bucket.
/// </summary>
/// <remarks>
/// The class scheme (upper case, bucket-safe, one per crash):
/// <list type="bullet">
/// <item>Access violations (c0000005) are <c>&lt;TARGET&gt;_&lt;ACCESS&gt;</c>. TARGET, checked in this order:
///   NULL_POINTER (target below 0x10000: NULL plus a field offset; Windows never maps the first 64 KB),
///   HEAP_FILL_PATTERN (a debug-heap or debug-CRT fill value in the low or high dword, give or take a small
///   offset: the pointer was read from uninitialised or freed memory), NON_CANONICAL_ADDRESS (x64 only: bits
///   63..47 differ, or 0xffffffffffffffff which Windows reports for a general-protection fault because the CPU
///   gives no address), else INVALID_POINTER. ACCESS is READ / WRITE / EXECUTE from ExceptionInformation[0]
///   (0 / 1 / 8); when the record has no parameters (event log, WER) the class is just ACCESS_VIOLATION.</item>
/// <item>STACK_OVERFLOW (c00000fd), HEAP_CORRUPTION (c0000374), INVALID_PARAMETER (c000000d, c0000417),
///   CPP_EXCEPTION (e06d7363), CLR_EXCEPTION (e0434352, e0434f4d), BREAKPOINT (80000003, 4000001f),
///   IN_PAGE_ERROR (c0000006).</item>
/// <item>c0000409: FAIL_FAST_&lt;SUBCODE&gt; with the winnt.h FAST_FAIL_ name of Parameters[0]
///   (FAIL_FAST_STACK_COOKIE_CHECK_FAILURE, FAIL_FAST_INVALID_ARG, …; FAIL_FAST_CODE_&lt;n&gt; for a code not in
///   the table); STACK_BUFFER_OVERRUN when the record carries no subcode (the pre-Windows 8 /GS report).</item>
/// <item>Other known codes: the NTSTATUS name without STATUS_ (INTEGER_DIVIDE_BY_ZERO, ILLEGAL_INSTRUCTION, …);
///   unknown codes: UNKNOWN_EXCEPTION.</item>
/// <item>No exception: EXIT or ABORT, decided by the catalog's `exit` / `abort` rules (<see cref="ClassifyStep"/>).</item>
/// </list>
/// </remarks>
public static class ExceptionClassifier
{
    public const string Exit = "EXIT", Abort = "ABORT", UnknownException = "UNKNOWN_EXCEPTION",
        AccessViolation = "ACCESS_VIOLATION", NullPointer = "NULL_POINTER", HeapFillPattern = "HEAP_FILL_PATTERN",
        NonCanonicalAddress = "NON_CANONICAL_ADDRESS", InvalidPointer = "INVALID_POINTER",
        StackOverflow = "STACK_OVERFLOW", HeapCorruption = "HEAP_CORRUPTION", FailFastPrefix = "FAIL_FAST_",
        StackBufferOverrun = "STACK_BUFFER_OVERRUN", InvalidParameter = "INVALID_PARAMETER",
        CppException = "CPP_EXCEPTION", ClrException = "CLR_EXCEPTION", Breakpoint = "BREAKPOINT",
        InPageError = "IN_PAGE_ERROR";

    /// <summary>Addresses below this are NULL plus an offset: Windows keeps the first 64 KB unmapped.</summary>
    public const ulong NullRegionEnd = 0x10000;

    /// <summary>How far past a fill value a pointer may point and still count (a field of the garbage object).</summary>
    public const long FillOffsetAbove = 0x1000, FillOffsetBelow = 0x100;

    /// <summary>The fill values of the Windows debug heap and of the MSVC debug CRT (values documented by
    /// Microsoft for the debug heap / CRT debug heap; meanings as WinDbg users know them).</summary>
    public static readonly IReadOnlyList<HeapFillPattern> HeapFillPatterns =
    [
        new(0xBAADF00D, "Windows debug heap (HeapAlloc/LocalAlloc)", "uninitialised heap memory used as a pointer"),
        new(0xFEEEFEEE, "Windows debug heap (HeapFree)", "freed heap memory used as a pointer (use after free)", Freed: true),
        new(0xABABABAB, "Windows debug heap guard bytes", "read past the end of a heap block (buffer overrun)"),
        new(0xCDCDCDCD, "MSVC debug CRT (malloc)", "uninitialised malloc memory used as a pointer"),
        new(0xDDDDDDDD, "MSVC debug CRT (free)", "freed malloc memory used as a pointer (use after free)", Freed: true),
        new(0xFDFDFDFD, "MSVC debug CRT no-man's-land", "read past either end of a malloc block (buffer overrun)"),
    ];

    /// <summary>The class of an exception record.</summary>
    public static ExceptionClassification Classify(ExceptionInfo ex, Architecture architecture = Architecture.Unknown)
    {
        switch (ex.Code)
        {
            case ExceptionCodes.AccessViolation:
                return ClassifyAccessViolation(ex, architecture);
            case ExceptionCodes.InPageError:
                return new() { Class = InPageError, Name = "In-page I/O error",
                    Detail = ex.Parameters.Count >= 3
                        ? $"the I/O failed with status 0x{ex.Parameters[2]:x8}{NameSuffix((uint)ex.Parameters[2])}; an image or mapped " +
                            "file could not be read (network share, disk)"
                        : "an image or mapped file could not be read (network share, disk)" };
            case ExceptionCodes.StackOverflow:
                return new() { Class = StackOverflow, Name = "Stack overflow",
                    Detail = "the thread used up its stack, usually through unbounded recursion" };
            case ExceptionCodes.HeapCorruption:
                return new() { Class = HeapCorruption, Name = "Heap corruption",
                    Detail = "the heap manager found its block headers overwritten; whoever wrote there is usually not on this stack" };
            case ExceptionCodes.StackBufferOverrun:
                return ClassifyFailFast(ex);
            case ExceptionCodes.InvalidParameter:
            case ExceptionCodes.InvalidCRuntimeParameter:
                return new() { Class = InvalidParameter, Name = "Invalid parameter",
                    Detail = $"{ExceptionCodes.NameOf(ex.Code)}: a function (often the C runtime) got an invalid argument and stopped " +
                        "the process" };
            case ExceptionCodes.CppException:
                return new() { Class = CppException, Name = "Unhandled C++ exception",
                    Detail = "a C++ throw nobody caught; `!analyze -v` or `.exr -1` name the thrown type" };
            case ExceptionCodes.ClrException:
            case ExceptionCodes.ClrExceptionV1:
                return new() { Class = ClrException, Name = "Unhandled .NET exception",
                    Detail = "load SOS and run !pe to see the managed exception" };
            case ExceptionCodes.Breakpoint:
            case ExceptionCodes.Wx86Breakpoint:
                return new() { Class = Breakpoint, Name = "Breakpoint",
                    Detail = "a hard-coded breakpoint (DebugBreak, __debugbreak, an assertion) or the debugger's own break-in" };
            default:
                return ClassifyCode(ex.Code);
        }
    }

    /// <summary>The class of a bare code (no parameters), as an event log entry or an IIS error page gives it.</summary>
    public static ExceptionClassification ClassifyCode(uint code)
    {
        switch (code)
        {
            case ExceptionCodes.AccessViolation:
                return new() { Class = AccessViolation, Name = "Access violation",
                    Detail = "the code alone does not say which address was touched or how; a dump or `.exr -1` output does" };
            case ExceptionCodes.StackBufferOverrun:
                return new() { Class = StackBufferOverrun, Name = "Stack buffer overrun / fail-fast",
                    Detail = "the code alone does not say which check failed (the fail-fast subcode): a dump or `.exr -1` output does" };
            case ExceptionCodes.InPageError:
            case ExceptionCodes.StackOverflow:
            case ExceptionCodes.HeapCorruption:
            case ExceptionCodes.InvalidParameter:
            case ExceptionCodes.InvalidCRuntimeParameter:
            case ExceptionCodes.CppException:
            case ExceptionCodes.ClrException:
            case ExceptionCodes.ClrExceptionV1:
            case ExceptionCodes.Breakpoint:
            case ExceptionCodes.Wx86Breakpoint:
                return Classify(new ExceptionInfo { Code = code });
        }
        if (ExceptionCodes.Known.TryGetValue(code, out var known))
        {
            var cls = known.Name.StartsWith("STATUS_", StringComparison.Ordinal) ? known.Name["STATUS_".Length..] : known.Name;
            return new() { Class = cls, Name = Capitalize(known.Meaning), Detail = known.Name };
        }
        return new() { Class = UnknownException, Name = $"Exception 0x{code:x8}",
            Detail = "a code FcgiExt has no name for; search it in the owner's documentation" };
    }

    static ExceptionClassification ClassifyAccessViolation(ExceptionInfo ex, Architecture architecture)
    {
        var access = ex.Access;
        string suffix = access switch
        {
            AccessKind.Read => "_READ", AccessKind.Write => "_WRITE", AccessKind.Execute => "_EXECUTE", _ => "",
        };
        string verb = access switch
        {
            AccessKind.Read => "read from", AccessKind.Write => "write to", AccessKind.Execute => "execute at", _ => "access to",
        };
        if (ex.TargetAddress is not { } target)
            return ClassifyCode(ExceptionCodes.AccessViolation) with { Class = AccessViolation + suffix };

        string where = $"0x{target:x}";
        if (target < NullRegionEnd)
            return new() { Class = NullPointer + suffix,
                Name = $"Access violation: {verb} NULL" + (target == 0 ? "" : $" + 0x{target:x}"),
                Detail = target == 0 ? "a NULL pointer was dereferenced"
                    : $"target {where} is below 0x10000: a field at offset 0x{target:x} of a NULL pointer" };

        if (MatchHeapFill(target) is { } fill)
            return new() { Class = HeapFillPattern + suffix,
                Name = $"Access violation: {verb} heap fill pattern 0x{fill.Pattern.Value:X8}",
                Detail = $"target {where} holds 0x{fill.Pattern.Value:X8} ({fill.Pattern.Filler})"
                    + (fill.HighDword ? " in its high dword" : "")
                    + (fill.Offset == 0 ? "" : fill.Offset > 0 ? $" + 0x{fill.Offset:x}" : $" - 0x{-fill.Offset:x}")
                    + $": {fill.Pattern.Meaning}" };

        if (IsSixtyFourBit(architecture, target) && IsNonCanonical(target))
            return new() { Class = NonCanonicalAddress + suffix,
                Name = $"Access violation: {verb} a non-canonical address",
                Detail = target == ulong.MaxValue
                    ? "target 0xffffffffffffffff: a general-protection fault, the pointer was not a valid x64 address (the CPU does not " +
                        "report which)"
                    : $"target {where} is not a canonical x64 address: the pointer is garbage" + AsciiNote(target) };

        return new() { Class = InvalidPointer + suffix,
            Name = $"Access violation: {verb} {where}",
            Detail = access == AccessKind.Execute && ex.Address == target
                ? "the instruction pointer itself points to memory that is not executable code (a bad function pointer or a smashed " +
                    "return address)"
                : $"target {where} is not mapped or not accessible" };
    }

    static ExceptionClassification ClassifyFailFast(ExceptionInfo ex)
    {
        if (ex.Parameters.Count < 1)
            return ClassifyCode(ExceptionCodes.StackBufferOverrun) with
            {
                Name = "Stack buffer overrun",
                Detail = "STATUS_STACK_BUFFER_OVERRUN without a subcode: a /GS stack cookie check failed (pre-Windows 8 report)",
            };
        ulong sub = ex.Parameters[0];
        string name = ExceptionCodes.FastFail.TryGetValue(sub, out var n) ? n : $"CODE_{sub}";
        string detail = sub switch
        {
            2 => "a /GS stack cookie was overwritten: a stack buffer overrun in the function that returned",
            5 => "invalid argument to a C runtime function (the CRT's invalid parameter handler)",
            7 => "the program called abort() or a fatal-error routine",
            3 or 50 or 35 => "the heap's or a list's internal links were found corrupted",
            10 or 64 => "Control Flow Guard stopped an indirect call to an invalid target",
            13 => "a thread context was set to an invalid one (corrupt exception or longjmp data)",
            _ => $"__fastfail({sub})",
        };
        return new() { Class = FailFastPrefix + name, Name = $"Fail-fast: FAST_FAIL_{name}",
            Detail = $"STATUS_STACK_BUFFER_OVERRUN subcode {sub} (FAST_FAIL_{name}): {detail}" };
    }

    /// <summary>A fill value in the low or high dword of an address, give or take a small offset.</summary>
    public static HeapFillMatch? MatchHeapFill(ulong address)
    {
        uint low = (uint)address, high = (uint)(address >> 32);
        foreach (var p in HeapFillPatterns)
        {
            long lowOffset = (long)low - p.Value;
            if (lowOffset >= -FillOffsetBelow && lowOffset <= FillOffsetAbove)
                return new(p, false, lowOffset);
        }
        if (high == 0) return null;
        foreach (var p in HeapFillPatterns)
        {
            long highOffset = (long)high - p.Value;
            if (highOffset >= -FillOffsetBelow && highOffset <= FillOffsetAbove)
                return new(p, true, highOffset);
        }
        return null;
    }

    /// <summary>A pointer whose eight bytes are printable text was overwritten by a string: say which.</summary>
    static string AsciiNote(ulong value)
    {
        var bytes = BitConverter.GetBytes(value);   // little-endian: memory order
        if (!bytes.All(b => b is >= 0x20 and < 0x7f)) return "";
        return $" (its bytes are the text \"{System.Text.Encoding.ASCII.GetString(bytes)}\": a string was written over the pointer)";
    }

    /// <summary>x64 canonical form: bits 63..47 all equal. 0xffffffffffffffff is what Windows reports for a #GP.</summary>
    public static bool IsNonCanonical(ulong address)
    {
        if (address == ulong.MaxValue) return true;
        ulong top = address >> 47;
        return top != 0 && top != 0x1FFFF;
    }

    static bool IsSixtyFourBit(Architecture architecture, ulong target) =>
        architecture == Architecture.X64 || (architecture == Architecture.Unknown && target > uint.MaxValue);

    static string NameSuffix(uint code) => ExceptionCodes.NameOf(code) is { } n ? $" ({n})" : "";

    static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
