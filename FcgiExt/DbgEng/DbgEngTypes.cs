using System.Runtime.InteropServices;

namespace FcgiExt.DbgEng;

// Structures and constants of dbgeng.h / dbghelp.h that the interop layer passes by pointer.
// Sizes are asserted by DbgEngLayoutTests (values measured with offsetof on the package's headers).

/// <summary>DEBUG_STACK_FRAME, 128 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct DEBUG_STACK_FRAME
{
    public ulong InstructionOffset, ReturnOffset, FrameOffset, StackOffset, FuncTableEntry;
    public fixed ulong Params[4];
    public fixed ulong Reserved[6];
    public int Virtual;
    public uint FrameNumber;
}

/// <summary>DEBUG_STACK_FRAME_EX, 136 bytes: DEBUG_STACK_FRAME plus the inline frame context.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct DEBUG_STACK_FRAME_EX
{
    public ulong InstructionOffset, ReturnOffset, FrameOffset, StackOffset, FuncTableEntry;
    public fixed ulong Params[4];
    public fixed ulong Reserved[6];
    public int Virtual;
    public uint FrameNumber;
    public uint InlineFrameContext;
    public uint FrameMachine;

    /// <summary>INLINE_FRAME_CONTEXT is { BYTE FrameId; BYTE FrameType; WORD FrameSignature }: the type is byte 1, and its
    /// STACK_FRAME_TYPE_RA bit only says whether the address is a return address. 0xFFFFFFFF (IGNORE) is no context.</summary>
    public readonly byte InlineFrameType => (byte)(InlineFrameContext >> 8);

    /// <summary>A frame the compiler inlined into the frame below it (STACK_FRAME_TYPE_INLINE).</summary>
    public readonly bool IsInline => InlineFrameContext != DbgEng.INLINE_FRAME_CONTEXT_IGNORE
        && (InlineFrameType & ~DbgEng.STACK_FRAME_TYPE_RA) == DbgEng.STACK_FRAME_TYPE_INLINE;

    /// <summary>True when the frame carries an inline context the inline-aware symbol calls understand (a physical frame
    /// that holds inline frames has one too: its name and line are then the call site's, as `kn` prints them).</summary>
    public readonly bool HasInlineContext => InlineFrameContext != DbgEng.INLINE_FRAME_CONTEXT_IGNORE
        && InlineFrameContext != DbgEng.INLINE_FRAME_CONTEXT_INIT;
}

/// <summary>DEBUG_MODULE_PARAMETERS, 64 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct DEBUG_MODULE_PARAMETERS
{
    public ulong Base;
    public uint Size, TimeDateStamp, Checksum, Flags, SymbolType;
    public uint ImageNameSize, ModuleNameSize, LoadedImageNameSize, SymbolFileNameSize, MappedImageNameSize;
    public fixed ulong Reserved[2];
}

/// <summary>DEBUG_MODULE_AND_ID.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct DEBUG_MODULE_AND_ID
{
    public ulong ModuleBase, Id;
}

/// <summary>EXCEPTION_RECORD64, 152 bytes: the extra information of a DEBUG_EVENT_EXCEPTION is DEBUG_LAST_EVENT_INFO_EXCEPTION,
/// i.e. this record followed by a ULONG FirstChance.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct EXCEPTION_RECORD64
{
    public uint ExceptionCode, ExceptionFlags;
    public ulong ExceptionRecord, ExceptionAddress;
    public uint NumberParameters, __unusedAlignment;
    public fixed ulong ExceptionInformation[15];
}

/// <summary>DEBUG_LAST_EVENT_INFO_EXCEPTION, 160 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct DEBUG_LAST_EVENT_INFO_EXCEPTION
{
    public EXCEPTION_RECORD64 ExceptionRecord;
    public uint FirstChance;
}

/// <summary>dbghelp.h IMAGEHLP_MODULEW64 (3264 bytes on x64), from IDebugAdvanced3::GetSymbolInformationWide
/// (DEBUG_SYMINFO_IMAGEHLP_MODULEW64): the one place that says whether a PDB has line numbers and types
/// (private) or only publics, and whether it matched the image.</summary>
[StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
public unsafe struct IMAGEHLP_MODULEW64
{
    public uint SizeOfStruct;
    public ulong BaseOfImage;
    public uint ImageSize, TimeDateStamp, CheckSum, NumSyms;
    public uint SymType;                       // SYM_TYPE
    public fixed char ModuleName[32];
    public fixed char ImageName[256];
    public fixed char LoadedImageName[256];
    public fixed char LoadedPdbName[256];
    public uint CVSig;
    public fixed char CVData[260 * 3];
    public uint PdbSig;
    public Guid PdbSig70;
    public uint PdbAge;
    public int PdbUnmatched, DbgUnmatched, LineNumbers, GlobalSymbols, TypeInfo, SourceIndexed, Publics;
    public uint MachineType, Reserved;
}

/// <summary>The dbgeng.h / dbghelp.h constants the project uses.</summary>
public static class DbgEng
{
    public const int S_OK = 0, S_FALSE = 1;
    public const int E_FAIL = unchecked((int)0x80004005), E_NOTIMPL = unchecked((int)0x80004001),
        E_NOINTERFACE = unchecked((int)0x80004002), E_INVALIDARG = unchecked((int)0x80070057),
        E_UNEXPECTED = unchecked((int)0x8000FFFF), E_PENDING = unchecked((int)0x8000000A);
    /// <summary>HRESULT_FROM_WIN32(ERROR_CANCELLED): what we return when the user pressed Ctrl+Break.</summary>
    public const int HRESULT_CANCELLED = unchecked((int)0x800704C7);

    public const uint INFINITE = 0xFFFFFFFF;

    // output
    public const uint DEBUG_OUTPUT_NORMAL = 0x1, DEBUG_OUTPUT_ERROR = 0x2, DEBUG_OUTPUT_WARNING = 0x4,
        DEBUG_OUTPUT_VERBOSE = 0x8, DEBUG_OUTPUT_PROMPT = 0x10, DEBUG_OUTPUT_SYMBOLS = 0x200;
    public const uint DEBUG_OUTCTL_THIS_CLIENT = 0, DEBUG_OUTCTL_ALL_CLIENTS = 1, DEBUG_OUTCTL_IGNORE = 3,
        DEBUG_OUTCTL_NOT_LOGGED = 8, DEBUG_OUTCTL_DML = 0x20, DEBUG_OUTCTL_AMBIENT_DML = 0xfffffffe,
        DEBUG_OUTCTL_AMBIENT_TEXT = 0xffffffff;
    public const uint DEBUG_EXECUTE_DEFAULT = 0, DEBUG_EXECUTE_ECHO = 1, DEBUG_EXECUTE_NOT_LOGGED = 2, DEBUG_EXECUTE_NO_REPEAT = 4;

    // session
    public const uint DEBUG_END_PASSIVE = 0, DEBUG_END_ACTIVE_TERMINATE = 1, DEBUG_END_ACTIVE_DETACH = 2;
    public const uint DEBUG_STATUS_NO_CHANGE = 0, DEBUG_STATUS_GO = 1, DEBUG_STATUS_BREAK = 6, DEBUG_STATUS_NO_DEBUGGEE = 7;
    public const uint DEBUG_WAIT_DEFAULT = 0;
    public const uint DEBUG_STATUS_GO_HANDLED = 2, DEBUG_STATUS_GO_NOT_HANDLED = 3;
    /// <summary>CreateProcess flags (winbase.h): follow children, or only the process itself.</summary>
    public const uint DEBUG_PROCESS = 0x1, DEBUG_ONLY_THIS_PROCESS = 0x2;
    public const uint DEBUG_ATTACH_DEFAULT = 0;
    /// <summary>GetDebuggeeType qualifiers from DEBUG_DUMP_SMALL (1024) up are dump files.</summary>
    public const uint DEBUG_CLASS_USER_WINDOWS = 2, DEBUG_DUMP_SMALL = 1024, DEBUG_DUMP_DEFAULT = 1025, DEBUG_DUMP_FULL = 1026;
    public const uint DEBUG_ENGOPT_INITIAL_BREAK = 0x20, DEBUG_ENGOPT_FINAL_BREAK = 0x80;
    public const uint DEBUG_INTERRUPT_ACTIVE = 0, DEBUG_INTERRUPT_PASSIVE = 1, DEBUG_INTERRUPT_EXIT = 2;

    // events
    public const uint DEBUG_EVENT_BREAKPOINT = 0x1, DEBUG_EVENT_EXCEPTION = 0x2, DEBUG_EVENT_CREATE_THREAD = 0x4,
        DEBUG_EVENT_EXIT_THREAD = 0x8, DEBUG_EVENT_CREATE_PROCESS = 0x10, DEBUG_EVENT_EXIT_PROCESS = 0x20,
        DEBUG_EVENT_LOAD_MODULE = 0x40, DEBUG_EVENT_UNLOAD_MODULE = 0x80, DEBUG_EVENT_SYSTEM_ERROR = 0x100;
    public const uint DEBUG_ANY_ID = 0xffffffff;

    // processors (IMAGE_FILE_MACHINE_*)
    public const uint IMAGE_FILE_MACHINE_I386 = 0x014c, IMAGE_FILE_MACHINE_AMD64 = 0x8664, IMAGE_FILE_MACHINE_ARM64 = 0xAA64;

    // symbols
    public const uint SYMOPT_CASE_INSENSITIVE = 0x1, SYMOPT_UNDNAME = 0x2, SYMOPT_DEFERRED_LOADS = 0x4,
        SYMOPT_LOAD_LINES = 0x10, SYMOPT_FAIL_CRITICAL_ERRORS = 0x200, SYMOPT_NO_PROMPTS = 0x80000;
    public const uint DEBUG_SYMTYPE_NONE = 0, DEBUG_SYMTYPE_COFF = 1, DEBUG_SYMTYPE_CODEVIEW = 2, DEBUG_SYMTYPE_PDB = 3,
        DEBUG_SYMTYPE_EXPORT = 4, DEBUG_SYMTYPE_DEFERRED = 5, DEBUG_SYMTYPE_SYM = 6, DEBUG_SYMTYPE_DIA = 7;
    public const uint DEBUG_MODNAME_IMAGE = 0, DEBUG_MODNAME_MODULE = 1, DEBUG_MODNAME_LOADED_IMAGE = 2,
        DEBUG_MODNAME_SYMBOL_FILE = 3, DEBUG_MODNAME_MAPPED_IMAGE = 4;
    public const uint DEBUG_MODULE_LOADED = 0, DEBUG_MODULE_UNLOADED = 1;
    public const uint DEBUG_INVALID_OFFSET = 0xffffffff;
    public const uint DEBUG_SYMINFO_IMAGEHLP_MODULEW64 = 1;

    // stacks
    public const uint STACK_FRAME_TYPE_INLINE = 0x02;
    public const uint STACK_FRAME_TYPE_RA = 0x80;
    public const uint INLINE_FRAME_CONTEXT_INIT = 0;
    public const uint INLINE_FRAME_CONTEXT_IGNORE = 0xFFFFFFFF;
    /// <summary>sizeof(CONTEXT) on x64; the largest context the engine hands back for the machines we support.</summary>
    public const int CONTEXT_SIZE_AMD64 = 1232;
    /// <summary>Room for any machine's CONTEXT (ARM64 1 KB, x86 716 B, x64 1232 B) plus extended state the engine may append.</summary>
    public const int CONTEXT_BUFFER_SIZE = 4096;
}
