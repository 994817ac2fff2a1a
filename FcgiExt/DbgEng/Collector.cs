using Architecture = FcgiExt.RulesEngine.Model.Architecture;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.DbgEng;

public sealed record CollectorOptions
{
    /// <summary>Load every module's symbols first (`.reload /f`), so each module gets its real status instead of
    /// "deferred". The extension may turn this off when the symbol path points at a slow server.</summary>
    public bool LoadAllSymbols { get; init; } = true;
    public int MaxFrames { get; init; } = 256;
    /// <summary>Checked with the engine's Ctrl+Break flag in every loop.</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>Asks the engine what it knows about the current target and fills the crash model. It decides nothing
/// (no owner, no class): RulesEngine does that from the model. Honours Ctrl+Break (GetInterrupt) in its loops.</summary>
public sealed unsafe class Collector(EngineInterfaces engine, CollectorOptions? options = null)
{
    readonly CollectorOptions _options = options ?? new CollectorOptions();
    readonly List<string> _notes = [];
    bool _contextUnusable;

    public CrashReport Collect(string? dumpPath = null)
    {
        _notes.Clear();
        var control = engine.Control;
        if (_options.LoadAllSymbols)
        {
            int hr = engine.Symbols.ReloadWide("/f");
            if (hr < 0) _notes.Add($".reload /f failed: {Hresult.Describe(hr)}");
            CheckInterrupt();
        }
        Analysis.FcgiProcedure.Trace("collect: event");
        var arch = ProcessorArchitecture();
        var exception = StoredEvent(out uint eventThread, out byte[]? context);
        if (exception is { Address: { } at } && exception.Code == AccessViolationCode)
            exception = exception with { Instruction = Instruction(at, context, arch) };
        Analysis.FcgiProcedure.Trace("collect: stack");
        _contextUnusable = false;
        var thread = FaultingThread(eventThread, context);
        // A dump's exception stream whose context is missing or outside the file: the stack is the reporter's.
        if (exception is not null && IsDump() && (context is null || _contextUnusable))
            exception = exception with { ContextAvailable = false };
        else if (exception is not null) exception = exception with { ContextAvailable = true };
        Analysis.FcgiProcedure.Trace("collect: modules");
        var modules = Modules();
        Analysis.FcgiProcedure.Trace("collect: process");
        DateTimeOffset? time = null;
        if (control.GetCurrentTimeDate(out uint seconds) >= 0 && seconds != 0)
            time = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return new CrashReport
        {
            Process = Process(arch),
            Exception = exception,
            FaultingThread = thread,
            Modules = modules,
            Time = time,
            Source = new DataSource { Kind = "dbgeng", Path = dumpPath, Notes = [.. _notes], Live = !IsDump() },
        };
    }

    bool IsDump() => engine.Control.GetDebuggeeType(out _, out uint qualifier) >= 0 && qualifier >= DbgEng.DEBUG_DUMP_SMALL;

    void CheckInterrupt()
    {
        if (_options.Cancellation.IsCancellationRequested || engine.InterruptRequested())
            throw new DbgEngInterruptedException();
    }

    Architecture ProcessorArchitecture()
    {
        if (engine.Control.GetEffectiveProcessorType(out uint machine) < 0 &&
            engine.Control.GetActualProcessorType(out machine) < 0)
            return Architecture.Unknown;
        return machine switch
        {
            DbgEng.IMAGE_FILE_MACHINE_AMD64 => Architecture.X64,
            DbgEng.IMAGE_FILE_MACHINE_I386 => Architecture.X86,
            DbgEng.IMAGE_FILE_MACHINE_ARM64 => Architecture.Arm64,
            _ => Architecture.Unknown,
        };
    }

    ProcessInfo Process(Architecture arch)
    {
        var so = engine.SystemObjects;
        uint? pid = so.GetCurrentProcessSystemId(out uint sysId) >= 0 ? sysId : null;
        string? exe = Utf16.Read((b, n, needed) => so.GetCurrentProcessExecutableNameWide(b, n, needed));
        return new ProcessInfo
        {
            Name = string.IsNullOrEmpty(exe) ? null : ModuleNames.FileName(exe),
            Architecture = arch,
            ProcessId = pid,
            CommandLine = CommandLine(arch),
        };
    }

    /// <summary>PEB → ProcessParameters → CommandLine. Minidumps rarely hold that memory: null then.</summary>
    string? CommandLine(Architecture arch)
    {
        if (arch is not (Architecture.X64 or Architecture.X86)) return null;
        if (engine.SystemObjects.GetCurrentProcessPeb(out ulong peb) < 0 || peb == 0) return null;
        bool x64 = arch == Architecture.X64;
        ulong parameters = ReadPointer(peb + (x64 ? 0x20u : 0x10u), x64);
        if (parameters == 0) return null;
        ulong unicodeString = parameters + (x64 ? 0x70u : 0x40u);
        ushort length = 0;
        if (engine.DataSpaces.ReadVirtual(unicodeString, &length, 2, null) < 0 || length == 0 || length > 65534) return null;
        ulong buffer = ReadPointer(unicodeString + (x64 ? 8u : 4u), x64);
        if (buffer == 0) return null;
        char[] chars = new char[length / 2];
        uint read = 0;
        fixed (char* p = chars)
            if (engine.DataSpaces.ReadVirtual(buffer, p, length, &read) < 0 || read != length) return null;
        return new string(chars);
    }

    ulong ReadPointer(ulong address, bool x64)
    {
        ulong value = 0;
        uint read = 0;
        return engine.DataSpaces.ReadVirtual(address, &value, x64 ? 8u : 4u, &read) >= 0 && read == (x64 ? 8u : 4u) ? value : 0;
    }

    /// <summary>The stored exception event (a dump's exception stream) with its context; in a live session, the last
    /// event when it is an exception. Null when the target did not stop on an exception.</summary>
    ExceptionInfo? StoredEvent(out uint eventThread, out byte[]? context)
    {
        var control = engine.Control;
        context = null;
        eventThread = DbgEng.DEBUG_ANY_ID;
        var extra = new DEBUG_LAST_EVENT_INFO_EXCEPTION();
        byte[] contextBuffer = new byte[DbgEng.CONTEXT_BUFFER_SIZE];
        uint contextUsed = 0, extraUsed = 0, type, pid, tid;
        int hr;
        fixed (byte* c = contextBuffer)
            hr = control.GetStoredEventInformation(out type, out pid, out tid, c, (uint)contextBuffer.Length, &contextUsed,
                &extra, (uint)sizeof(DEBUG_LAST_EVENT_INFO_EXCEPTION), &extraUsed);
        bool stored = hr >= 0 && type == DbgEng.DEBUG_EVENT_EXCEPTION;
        // A dump without an exception stream still gets a synthesized "break instruction" last event: only a live
        // target's last event is a real exception. A dump never records first or second chance either.
        bool isDump = IsDump();
        if (stored)
        {
            context = contextBuffer.AsSpan(0, (int)Math.Min(contextUsed, (uint)contextBuffer.Length)).ToArray();
            if (context.Length == 0) context = null;
        }
        else if (isDump)
        {
            _notes.Add(hr >= 0 ? $"stored event is not an exception (type 0x{type:x})" : $"no stored event ({Hresult.Describe(hr)})");
        }
        // A live target has no stored event (.ecxr answers E_UNEXPECTED): the last event is the exception, and the
        // current thread's context is its context. Not an error, so no note.

        // The last event says first/second chance; in a live session it is the only source.
        var last = new DEBUG_LAST_EVENT_INFO_EXCEPTION();
        uint lastUsed = 0;
        int lhr = control.GetLastEventInformationWide(out uint lastType, out _, out uint lastTid, &last,
            (uint)sizeof(DEBUG_LAST_EVENT_INFO_EXCEPTION), &lastUsed, null, 0, null);
        bool lastIsException = !isDump && lhr >= 0 && lastType == DbgEng.DEBUG_EVENT_EXCEPTION && lastUsed >= sizeof(EXCEPTION_RECORD64);
        if (!stored)
        {
            if (!lastIsException)
            {
                if (lhr >= 0) eventThread = lastTid;
                return null;
            }
            extra = last;
            tid = lastTid;
        }
        eventThread = tid;
        if (!stored && context is null) context = LiveContext();
        ref var record = ref extra.ExceptionRecord;
        var parameters = new ulong[Math.Min(record.NumberParameters, 15u)];
        for (int i = 0; i < parameters.Length; i++) parameters[i] = record.ExceptionInformation[i];
        bool? firstChance = lastIsException && last.ExceptionRecord.ExceptionCode == record.ExceptionCode
            && lastUsed >= sizeof(DEBUG_LAST_EVENT_INFO_EXCEPTION) ? last.FirstChance != 0 : null;
        return new ExceptionInfo
        {
            Code = record.ExceptionCode,
            Flags = record.ExceptionFlags,
            Address = record.ExceptionAddress,
            Parameters = parameters,
            FirstChance = firstChance,
            HeapFailureType = record.ExceptionCode == HeapCorruptionCode && parameters.Length >= 1 ? HeapFailureType(parameters[0]) : null,
        };
    }

    const uint HeapCorruptionCode = 0xC0000374, AccessViolationCode = 0xC0000005;

    /// <summary>The current thread's context in a live session (the last event's thread).</summary>
    byte[]? LiveContext()
    {
        var buffer = new byte[DbgEng.CONTEXT_BUFFER_SIZE];
        fixed (byte* b = buffer)
            return engine.Advanced.GetThreadContext(b, (uint)buffer.Length) >= 0 ? buffer : null;
    }

    /// <summary>The faulting instruction's bytes (from the dump's memory, else the engine reads the mapped image) and the
    /// context's general registers: triage decodes them when Windows hides the real access (x64 #GP).</summary>
    FaultingInstruction? Instruction(ulong address, byte[]? context, Architecture arch)
    {
        var bytes = new byte[15];
        uint read = 0;
        fixed (byte* b = bytes)
        {
            // An instruction may end at the last mapped byte: try shorter reads down to the page end.
            uint want = 15;
            while (want > 0 && (engine.DataSpaces.ReadVirtual(address, b, want, &read) < 0 || read == 0)) want--;
        }
        if (read == 0) return null;
        return new FaultingInstruction
        {
            Address = address,
            Bytes = bytes.AsSpan(0, (int)read).ToArray(),
            Registers = context is null ? new Dictionary<string, ulong>() : ContextRegisters.Read(context, arch),
        };
    }

    /// <summary>STATUS_HEAP_CORRUPTION's one parameter points at ntdll's HEAP_FAILURE_INFORMATION (Version, StructureSize,
    /// FailureType, …): the type tells a double free (heap_failure_block_not_busy) from other damage. Null when the
    /// dump does not hold that memory.</summary>
    uint? HeapFailureType(ulong information)
    {
        if (information == 0) return null;
        uint value = 0, read = 0;
        return engine.DataSpaces.ReadVirtual(information + 8, &value, 4, &read) >= 0 && read == 4 ? value : null;
    }

    ThreadInfo? FaultingThread(uint eventThread, byte[]? context)
    {
        var so = engine.SystemObjects;
        if (eventThread == DbgEng.DEBUG_ANY_ID && so.GetEventThread(out uint t) >= 0) eventThread = t;
        if (eventThread == DbgEng.DEBUG_ANY_ID) { _notes.Add("no event thread"); return null; }
        if (so.GetCurrentThreadId(out uint previous) < 0) previous = DbgEng.DEBUG_ANY_ID;
        try
        {
            if (so.SetCurrentThreadId(eventThread) < 0) { _notes.Add($"cannot select thread {eventThread}"); return null; }
            uint? systemId = so.GetCurrentThreadSystemId(out uint sysId) >= 0 ? sysId : null;
            var raw = Walk(context);
            var frames = new List<StackFrame>(raw.Length);
            for (int i = 0; i < raw.Length; i++)
            {
                CheckInterrupt();
                frames.Add(Frame(raw, i, context is not null));
            }
            return new ThreadInfo { Id = systemId, Index = (int)eventThread, Frames = frames };
        }
        finally
        {
            if (previous != DbgEng.DEBUG_ANY_ID && previous != eventThread) so.SetCurrentThreadId(previous);
        }
    }

    /// <summary>The frames from the exception context (what `.ecxr; kn` shows), else the thread's own stack.</summary>
    DEBUG_STACK_FRAME_EX[] Walk(byte[]? context)
    {
        var frames = new DEBUG_STACK_FRAME_EX[_options.MaxFrames];
        uint filled = 0;
        int hr = -1;
        fixed (DEBUG_STACK_FRAME_EX* f = frames)
        {
            if (context is not null)
            {
                fixed (byte* c = context)
                    hr = engine.Control.GetContextStackTraceEx(c, (uint)context.Length, f, (uint)frames.Length, null, 0, 0, &filled);
                if (hr < 0 || filled == 0)
                {
                    _notes.Add($"stack from the exception context failed ({Hresult.Describe(hr)}): the thread's own stack is used");
                    _contextUnusable = true;
                }
            }
            if (hr < 0 || filled == 0)
            {
                filled = 0;
                hr = engine.Control.GetStackTraceEx(0, 0, 0, f, (uint)frames.Length, &filled);
                if (hr < 0) { _notes.Add($"no stack: {Hresult.Describe(hr)}"); filled = 0; }
            }
        }
        return frames.AsSpan(0, (int)filled).ToArray();
    }

    StackFrame Frame(DEBUG_STACK_FRAME_EX[] raw, int i, bool fromContext)
    {
        var f = raw[i];
        ulong ip = f.InstructionOffset;
        bool inline = f.IsInline, inlineAware = f.HasInlineContext;
        var symbols = engine.Symbols;
        var displacementBox = new ulong[1];   // heap cells: the lambdas below cannot take a local's address
        string? name = Utf16.Read((b, n, needed) =>
        {
            fixed (ulong* d = displacementBox)
                return inlineAware ? symbols.GetNameByInlineContextWide(ip, f.InlineFrameContext, b, n, needed, d)
                              : symbols.GetNameByOffsetWide(ip, b, n, needed, d);
        });
        ulong displacement = displacementBox[0];
        string? module = null, function = null;
        if (!string.IsNullOrEmpty(name))
        {
            int bang = name.IndexOf('!');
            if (bang < 0) module = name;
            else { module = name[..bang]; function = name[(bang + 1)..]; }
        }
        else
        {
            module = ModuleNameAt(ip);
            displacement = 0;
        }
        // The line of the frame's own address, as `kn` shows it (for a caller frame that is the return address).
        ulong lineAddress = ip;
        var lineBox = new uint[1];
        string? file = Utf16.Read((b, n, needed) =>
        {
            fixed (uint* l = lineBox)
                return inlineAware ? symbols.GetLineByInlineContextWide(lineAddress, f.InlineFrameContext, l, b, n, needed, null)
                              : symbols.GetLineByOffsetWide(lineAddress, l, b, n, needed, null);
        });
        return new StackFrame
        {
            Index = i,
            InstructionPointer = ip,
            ChildStackPointer = f.StackOffset,
            ReturnAddress = f.ReturnOffset,
            Module = module,
            Function = function,
            Displacement = function is null && module is null ? null : displacement,
            SourceFile = string.IsNullOrEmpty(file) ? null : file,
            SourceLine = string.IsNullOrEmpty(file) ? null : (int)lineBox[0],
            Inline = inline,
            Trust = Trust(raw, i, fromContext),
        };
    }

    /// <summary>How the frame was found. dbgeng does not report the unwinder's method per frame (FuncTableEntry stays 0 in
    /// minidumps), so this reads it from what the frame carries: the exception context itself (frame 0), an inline
    /// record, an address inside a known module (x64: unwound with the module's unwind data; x86: the frame-pointer
    /// chain), or an address in no module, which only a stack scan produces.</summary>
    FrameTrust Trust(DEBUG_STACK_FRAME_EX[] raw, int i, bool fromContext)
    {
        var f = raw[i];
        if (f.IsInline) return FrameTrust.Inline;
        // The context's own frame is the first physical one: inline frames above it share its address.
        if (raw.Take(i).All(r => r.IsInline)) return fromContext ? FrameTrust.Context : FrameTrust.Unknown;
        uint index = 0;
        ulong moduleBase = 0;
        if (engine.Symbols.GetModuleByOffset(f.InstructionOffset, 0, &index, &moduleBase) < 0) return FrameTrust.Scan;
        if (f.FuncTableEntry != 0) return FrameTrust.UnwindInfo;
        return f.FrameMachine == DbgEng.IMAGE_FILE_MACHINE_I386 ? FrameTrust.FramePointer : FrameTrust.UnwindInfo;
    }

    string? ModuleNameAt(ulong address)
    {
        uint index = 0;
        ulong moduleBase = 0;
        if (engine.Symbols.GetModuleByOffset(address, 0, &index, &moduleBase) < 0) return null;
        return ModuleName(DbgEng.DEBUG_MODNAME_MODULE, moduleBase);
    }

    string? ModuleName(uint which, ulong moduleBase)
    {
        var symbols = engine.Symbols;
        string? s = Utf16.Read((b, n, needed) => symbols.GetModuleNameStringWide(which, DbgEng.DEBUG_ANY_ID, moduleBase, b, n, needed));
        return string.IsNullOrEmpty(s) ? null : s;
    }

    IReadOnlyList<ModuleInfo> Modules()
    {
        var symbols = engine.Symbols;
        if (symbols.GetNumberModules(out uint loaded, out _) < 0) { _notes.Add("no module list"); return []; }
        var result = new List<ModuleInfo>((int)loaded);
        for (uint i = 0; i < loaded; i++)
        {
            CheckInterrupt();
            if (symbols.GetModuleByIndex(i, out ulong moduleBase) < 0) continue;
            var p = new DEBUG_MODULE_PARAMETERS();
            if (symbols.GetModuleParameters(1, &moduleBase, 0, &p) < 0) continue;
            string? image = ModuleName(DbgEng.DEBUG_MODNAME_IMAGE, moduleBase);
            string? loadedImage = ModuleName(DbgEng.DEBUG_MODNAME_LOADED_IMAGE, moduleBase);
            string? symbolFile = ModuleName(DbgEng.DEBUG_MODNAME_SYMBOL_FILE, moduleBase);
            var info = ImagehlpModule(moduleBase);
            var version = Versions(moduleBase);
            string path = image ?? loadedImage ?? "";
            result.Add(new ModuleInfo
            {
                FileName = path.Length > 0 ? ModuleNames.FileName(path) : null,
                Name = ModuleName(DbgEng.DEBUG_MODNAME_MODULE, moduleBase),
                Path = path.Length > 0 ? path : null,
                Base = moduleBase,
                Size = p.Size,
                Timestamp = p.TimeDateStamp == 0 || p.TimeDateStamp == 0xFFFFFFFF ? null : p.TimeDateStamp,
                FileVersion = version?.File,
                ProductVersion = version?.Product,
                LinkerVersion = LinkerVersion(moduleBase),
                PdbName = info is { } m1 && Fixed(m1, 2) is { Length: > 0 } cv ? ModuleNames.FileName(cv) : null,
                PdbGuid = info is { } m2 && m2.PdbSig70 != Guid.Empty ? m2.PdbSig70 : null,
                PdbAge = info is { } m3 && m3.PdbSig70 != Guid.Empty ? m3.PdbAge : null,
                Symbols = Status(p.SymbolType, info),
                SymbolFile = info is { } m4 && Fixed(m4, 1) is { Length: > 0 } pdb ? pdb
                    : p.SymbolType is DbgEng.DEBUG_SYMTYPE_NONE or DbgEng.DEBUG_SYMTYPE_DEFERRED ? null : symbolFile,
            });
        }
        return result;
    }

    /// <summary>dbghelp's record of the module: PDB name and signature from the image's CodeView record, the PDB that
    /// was loaded, and what it holds (line numbers and types = private symbols; publics only = stripped).</summary>
    IMAGEHLP_MODULEW64? ImagehlpModule(ulong moduleBase)
    {
        var info = new IMAGEHLP_MODULEW64 { SizeOfStruct = (uint)sizeof(IMAGEHLP_MODULEW64) };
        uint size = 0;
        int hr = engine.Advanced.GetSymbolInformationWide(DbgEng.DEBUG_SYMINFO_IMAGEHLP_MODULEW64, moduleBase, 0,
            &info, (uint)sizeof(IMAGEHLP_MODULEW64), &size, null, 0, null);
        return hr >= 0 ? info : null;
    }

    /// <summary>1: LoadedPdbName, 2: CVData (the PDB path recorded in the image).</summary>
    static string Fixed(IMAGEHLP_MODULEW64 m, int which) =>
        which == 1 ? Utf16.FromFixed(m.LoadedPdbName, 256) : Utf16.FromFixed(m.CVData, 260 * 3);

    static SymbolStatus Status(uint symbolType, IMAGEHLP_MODULEW64? info)
    {
        switch (symbolType)
        {
            case DbgEng.DEBUG_SYMTYPE_DEFERRED: return SymbolStatus.Deferred;
            case DbgEng.DEBUG_SYMTYPE_NONE: return SymbolStatus.None;
            case DbgEng.DEBUG_SYMTYPE_EXPORT: return SymbolStatus.ExportOnly;
            case DbgEng.DEBUG_SYMTYPE_PDB or DbgEng.DEBUG_SYMTYPE_DIA:
                if (info is not { } m) return SymbolStatus.PublicPdb;
                if (m.PdbUnmatched != 0 || m.DbgUnmatched != 0) return SymbolStatus.Mismatched;
                return m.LineNumbers != 0 || m.TypeInfo != 0 ? SymbolStatus.PrivatePdb : SymbolStatus.PublicPdb;
            case DbgEng.DEBUG_SYMTYPE_COFF or DbgEng.DEBUG_SYMTYPE_CODEVIEW or DbgEng.DEBUG_SYMTYPE_SYM:
                return SymbolStatus.PublicPdb;
            default: return SymbolStatus.Unknown;
        }
    }

    /// <summary>VS_FIXEDFILEINFO's file and product versions ("8.3.4.0"); null when the dump and the image path hold no
    /// version resource.</summary>
    (string File, string Product)? Versions(ulong moduleBase)
    {
        Span<uint> fixedInfo = stackalloc uint[13];   // sizeof(VS_FIXEDFILEINFO) = 52
        uint size = 0;
        fixed (uint* p = fixedInfo)
            if (engine.Symbols.GetModuleVersionInformationWide(DbgEng.DEBUG_ANY_ID, moduleBase, "\\", p, 52, &size) < 0 || size < 24)
                return null;
        if (fixedInfo[0] != 0xFEEF04BD) return null;  // VS_FFI_SIGNATURE
        static string Of(uint ms, uint ls) => $"{ms >> 16}.{ms & 0xFFFF}.{ls >> 16}.{ls & 0xFFFF}";
        return (Of(fixedInfo[2], fixedInfo[3]), Of(fixedInfo[4], fixedInfo[5]));
    }

    /// <summary>The image's linker version ("14.29": MSVC 2019), from its PE optional header: the symbol advice names the
    /// compiler of a PHP build by it. Null when neither the dump nor the image path has the header.</summary>
    string? LinkerVersion(ulong moduleBase)
    {
        uint lfanew = 0, signature = 0, read = 0;
        if (engine.DataSpaces.ReadVirtual(moduleBase + 0x3C, &lfanew, 4, &read) < 0 || read != 4 || lfanew is 0 or > 0x1000) return null;
        ulong nt = moduleBase + lfanew;
        if (engine.DataSpaces.ReadVirtual(nt, &signature, 4, &read) < 0 || read != 4 || signature != 0x00004550) return null;   // "PE\0\0"
        ushort magic = 0;
        byte major = 0, minor = 0;
        ulong optional = nt + 24;   // after the signature and IMAGE_FILE_HEADER
        if (engine.DataSpaces.ReadVirtual(optional, &magic, 2, &read) < 0 || read != 2 || magic is not (0x10B or 0x20B)) return null;
        if (engine.DataSpaces.ReadVirtual(optional + 2, &major, 1, &read) < 0 || read != 1) return null;
        if (engine.DataSpaces.ReadVirtual(optional + 3, &minor, 1, &read) < 0 || read != 1) return null;
        return $"{major}.{minor}";
    }
}
