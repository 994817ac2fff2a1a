namespace FcgiExt.RulesEngine.Triage;

/// <summary>Names of the exception and status codes a FastCGI worker dies with, and the __fastfail subcodes.</summary>
/// <remarks>NTSTATUS values from ntstatus.h; FAST_FAIL_* from winnt.h (Windows SDK). The C++ and CLR codes
/// are the ones the MSVC runtime ('msc' = 0xE06D7363) and the CLR ('CCR' = 0xE0434352, older 'COM' = 0xE0434F4D) raise.</remarks>
public static class ExceptionCodes
{
    public const uint AccessViolation = 0xC0000005;
    public const uint InPageError = 0xC0000006;
    public const uint InvalidParameter = 0xC000000D;
    public const uint StackOverflow = 0xC00000FD;
    public const uint HeapCorruption = 0xC0000374;
    public const uint StackBufferOverrun = 0xC0000409;
    public const uint InvalidCRuntimeParameter = 0xC0000417;
    public const uint CppException = 0xE06D7363;
    public const uint ClrException = 0xE0434352;
    public const uint ClrExceptionV1 = 0xE0434F4D;
    public const uint Breakpoint = 0x80000003;
    public const uint Wx86Breakpoint = 0x4000001F;

    /// <summary>Code → (symbolic name, what it means in a sentence).</summary>
    public static readonly IReadOnlyDictionary<uint, (string Name, string Meaning)> Known =
        new Dictionary<uint, (string, string)>
        {
            [0x00000000] = ("STATUS_SUCCESS", "success / normal exit"),
            [0x40010004] = ("DBG_TERMINATE_PROCESS", "the debugger terminated the process"),
            [0x40010005] = ("DBG_CONTROL_C", "Ctrl+C delivered through the debugger"),
            [0x4000001F] = ("STATUS_WX86_BREAKPOINT", "breakpoint in a 32-bit process under WOW64"),
            [0x406D1388] = ("MS_VC_THREAD_NAME", "the MSVC thread-naming exception (harmless)"),
            [0x80000001] = ("STATUS_GUARD_PAGE_VIOLATION", "guard page touched"),
            [0x80000002] = ("STATUS_DATATYPE_MISALIGNMENT", "misaligned data access"),
            [0x80000003] = ("STATUS_BREAKPOINT", "breakpoint (int 3 / DebugBreak)"),
            [0x80000004] = ("STATUS_SINGLE_STEP", "single step"),
            [0xC0000005] = ("STATUS_ACCESS_VIOLATION", "access violation"),
            [0xC0000006] = ("STATUS_IN_PAGE_ERROR", "a page of a mapped file (often an image on a network share) could not be read in"),
            [0xC0000008] = ("STATUS_INVALID_HANDLE", "an invalid handle was used"),
            [0xC000000D] = ("STATUS_INVALID_PARAMETER", "invalid parameter"),
            [0xC0000017] = ("STATUS_NO_MEMORY", "out of memory"),
            [0xC000001D] = ("STATUS_ILLEGAL_INSTRUCTION", "illegal instruction (code built for a newer CPU, or a jump into data)"),
            [0xC0000025] = ("STATUS_NONCONTINUABLE_EXCEPTION", "continued after a non-continuable exception"),
            [0xC0000026] = ("STATUS_INVALID_DISPOSITION", "an exception handler returned an invalid disposition"),
            [0xC000007B] = ("STATUS_INVALID_IMAGE_FORMAT", "a DLL or EXE is for the wrong architecture (32-bit vs 64-bit) or damaged"),
            [0xC000008C] = ("STATUS_ARRAY_BOUNDS_EXCEEDED", "array bounds exceeded"),
            [0xC000008D] = ("STATUS_FLOAT_DENORMAL_OPERAND", "floating-point denormal operand"),
            [0xC000008E] = ("STATUS_FLOAT_DIVIDE_BY_ZERO", "floating-point division by zero"),
            [0xC000008F] = ("STATUS_FLOAT_INEXACT_RESULT", "floating-point inexact result"),
            [0xC0000090] = ("STATUS_FLOAT_INVALID_OPERATION", "floating-point invalid operation"),
            [0xC0000091] = ("STATUS_FLOAT_OVERFLOW", "floating-point overflow"),
            [0xC0000092] = ("STATUS_FLOAT_STACK_CHECK", "floating-point stack check"),
            [0xC0000093] = ("STATUS_FLOAT_UNDERFLOW", "floating-point underflow"),
            [0xC0000094] = ("STATUS_INTEGER_DIVIDE_BY_ZERO", "integer division by zero"),
            [0xC0000095] = ("STATUS_INTEGER_OVERFLOW", "integer overflow"),
            [0xC0000096] = ("STATUS_PRIVILEGED_INSTRUCTION", "privileged instruction"),
            [0xC000009A] = ("STATUS_INSUFFICIENT_RESOURCES", "insufficient system resources"),
            [0xC00000FD] = ("STATUS_STACK_OVERFLOW", "stack overflow"),
            [0xC0000135] = ("STATUS_DLL_NOT_FOUND", "a DLL the program needs was not found when it started"),
            [0xC0000138] = ("STATUS_ORDINAL_NOT_FOUND", "a DLL lacks an ordinal the program imports"),
            [0xC0000139] = ("STATUS_ENTRYPOINT_NOT_FOUND", "a DLL lacks a function the program imports (version mismatch)"),
            [0xC000013A] = ("STATUS_CONTROL_C_EXIT", "ended by Ctrl+C / Ctrl+Break"),
            [0xC0000142] = ("STATUS_DLL_INIT_FAILED", "a DLL's initialisation failed (often the desktop heap is exhausted)"),
            [0xC0000194] = ("STATUS_POSSIBLE_DEADLOCK", "possible deadlock on a critical section"),
            [0xC00002B4] = ("STATUS_FLOAT_MULTIPLE_FAULTS", "multiple floating-point faults"),
            [0xC00002B5] = ("STATUS_FLOAT_MULTIPLE_TRAPS", "multiple floating-point traps"),
            [0xC00002C5] = ("STATUS_DATATYPE_MISALIGNMENT_ERROR", "misaligned data access"),
            [0xC0000374] = ("STATUS_HEAP_CORRUPTION", "the heap manager found its own data corrupted"),
            [0xC0000409] = ("STATUS_STACK_BUFFER_OVERRUN", "fail-fast: a security check or __fastfail stopped the process"),
            [0xC0000417] = ("STATUS_INVALID_CRUNTIME_PARAMETER", "a C runtime function got an invalid parameter"),
            [0xC0000420] = ("STATUS_ASSERTION_FAILURE", "assertion failure"),
            [0xC0000602] = ("STATUS_FAIL_FAST_EXCEPTION", "RaiseFailFastException: the process asked to be stopped at once"),
            [0xE06D7363] = ("CPP_EH_EXCEPTION", "an unhandled C++ exception (throw)"),
            [0xE0434352] = ("CLR_EXCEPTION", "an unhandled .NET exception"),
            [0xE0434F4D] = ("CLR_EXCEPTION_V1", "an unhandled .NET exception (CLR 1.x/2.0 code)"),
        };

    /// <summary>__fastfail codes (winnt.h FAST_FAIL_*), without the FAST_FAIL_ prefix.</summary>
    public static readonly IReadOnlyDictionary<ulong, string> FastFail = new Dictionary<ulong, string>
    {
        [0] = "LEGACY_GS_VIOLATION", [1] = "VTGUARD_CHECK_FAILURE", [2] = "STACK_COOKIE_CHECK_FAILURE",
        [3] = "CORRUPT_LIST_ENTRY", [4] = "INCORRECT_STACK", [5] = "INVALID_ARG", [6] = "GS_COOKIE_INIT",
        [7] = "FATAL_APP_EXIT", [8] = "RANGE_CHECK_FAILURE", [9] = "UNSAFE_REGISTRY_ACCESS",
        [10] = "GUARD_ICALL_CHECK_FAILURE", [11] = "GUARD_WRITE_CHECK_FAILURE", [12] = "INVALID_FIBER_SWITCH",
        [13] = "INVALID_SET_OF_CONTEXT", [14] = "INVALID_REFERENCE_COUNT", [18] = "INVALID_JUMP_BUFFER",
        [19] = "MRDATA_MODIFIED", [20] = "CERTIFICATION_FAILURE", [21] = "INVALID_EXCEPTION_CHAIN",
        [22] = "CRYPTO_LIBRARY", [23] = "INVALID_CALL_IN_DLL_CALLOUT", [24] = "INVALID_IMAGE_BASE",
        [25] = "DLOAD_PROTECTION_FAILURE", [26] = "UNSAFE_EXTENSION_CALL", [27] = "DEPRECATED_SERVICE_INVOKED",
        [28] = "INVALID_BUFFER_ACCESS", [29] = "INVALID_BALANCED_TREE", [30] = "INVALID_NEXT_THREAD",
        [31] = "GUARD_ICALL_CHECK_SUPPRESSED", [32] = "APCS_DISABLED", [33] = "INVALID_IDLE_STATE",
        [34] = "MRDATA_PROTECTION_FAILURE", [35] = "UNEXPECTED_HEAP_EXCEPTION", [36] = "INVALID_LOCK_STATE",
        [37] = "GUARD_JUMPTABLE", [38] = "INVALID_LONGJUMP_TARGET", [39] = "INVALID_DISPATCH_CONTEXT",
        [40] = "INVALID_THREAD", [41] = "INVALID_SYSCALL_NUMBER", [42] = "INVALID_FILE_OPERATION",
        [43] = "LPAC_ACCESS_DENIED", [44] = "GUARD_SS_FAILURE", [45] = "LOADER_CONTINUITY_FAILURE",
        [46] = "GUARD_EXPORT_SUPPRESSION_FAILURE", [47] = "INVALID_CONTROL_STACK", [48] = "SET_CONTEXT_DENIED",
        [49] = "INVALID_IAT", [50] = "HEAP_METADATA_CORRUPTION", [51] = "PAYLOAD_RESTRICTION_VIOLATION",
        [52] = "LOW_LABEL_ACCESS_DENIED", [53] = "ENCLAVE_CALL_FAILURE", [54] = "UNHANDLED_LSS_EXCEPTON",
        [55] = "ADMINLESS_ACCESS_DENIED", [56] = "UNEXPECTED_CALL", [57] = "CONTROL_INVALID_RETURN_ADDRESS",
        [58] = "UNEXPECTED_HOST_BEHAVIOR", [59] = "FLAGS_CORRUPTION", [60] = "VEH_CORRUPTION",
        [61] = "ETW_CORRUPTION", [62] = "RIO_ABORT", [63] = "INVALID_PFN", [64] = "GUARD_ICALL_CHECK_FAILURE_XFG",
        [65] = "CAST_GUARD", [66] = "HOST_VISIBILITY_CHANGE", [67] = "KERNEL_CET_SHADOW_STACK_ASSIST",
        [68] = "PATCH_CALLBACK_FAILED", [69] = "NTDLL_PATCH_FAILED", [70] = "INVALID_FLS_DATA",
    };

    /// <summary>The symbolic name of a code, or null.</summary>
    public static string? NameOf(uint code) => Known.TryGetValue(code, out var k) ? k.Name : null;

    /// <summary>"0xc0000005": how the JSON contract and buckets spell a code.</summary>
    public static string Hex(uint code) => $"0x{code:x8}";
}
