using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;
using System.Text;
using FcgiExt.DbgEng;
using Dbg = FcgiExt.DbgEng.DbgEng;

namespace FcgiExt.Tests.Extension;

public sealed record FakeFrame(ulong Ip, string? Name, ulong Displacement = 0, string? File = null, uint Line = 0);
public sealed record FakeModule(ulong Base, uint Size, string Module, string Image, uint SymbolType = Dbg.DEBUG_SYMTYPE_PDB);

/// <summary>
/// A small scripted engine: one process, one thread, an exception event, a stack and a module list. It plays
/// the calls the collector and the commands make, through the same COM vtables dbgeng would offer, and records
/// every text the extension prints. Anything it does not play returns E_NOTIMPL (FakeEngineBase).
/// </summary>
[GeneratedComClass]
public unsafe partial class FakeEngine : FakeEngineBase
{
    public uint? ExceptionCode { get; set; } = 0xC0000005;
    public ulong[] ExceptionParameters { get; set; } = [1, 0];
    public List<FakeFrame> Frames { get; } = [];
    public List<FakeModule> Modules { get; } = [];
    public string ProcessImage { get; set; } = @"C:\php\php-cgi.exe";
    public bool PreferDml { get; set; }
    public string SymbolPath { get; set; } = "";
    public string ImagePath { get; set; } = "";
    public uint SymbolOptions { get; private set; }
    public bool Interrupt { get; set; }
    /// <summary>When set, every engine call fails with this HRESULT (an engine in a bad state).</summary>
    public int? FailEverything { get; set; }

    public sealed record Printed(uint OutputControl, uint Mask, string Format, string Text);
    public List<Printed> Output { get; } = [];

    public string AllText => string.Concat(Output.Select(o => o.Text));

    public static FakeEngine PhpXdebugCrash()
    {
        var e = new FakeEngine();
        e.Modules.Add(new FakeModule(0x140000000, 0x10000, "php_cgi", @"C:\php\php-cgi.exe"));
        e.Modules.Add(new FakeModule(0x180000000, 0x800000, "php8ts", @"C:\php\php8ts.dll"));
        e.Modules.Add(new FakeModule(0x1c0000000, 0x100000, "php_xdebug_3_3_1_8_3_vs16_x86_64",
            @"C:\php\ext\php_xdebug-3.3.1-8.3-vs16-x86_64.dll", Dbg.DEBUG_SYMTYPE_EXPORT));
        e.Modules.Add(new FakeModule(0x7ff800000000, 0x200000, "ntdll", @"C:\Windows\System32\ntdll.dll", Dbg.DEBUG_SYMTYPE_EXPORT));
        e.Frames.Add(new FakeFrame(0x1c0001234, "php_xdebug_3_3_1_8_3_vs16_x86_64!xdebug_execute_ex", 0x34));
        e.Frames.Add(new FakeFrame(0x180012000, "php8ts!execute_ex", 0x120, @"C:\php-src\Zend\zend_vm_execute.h", 55123));
        e.Frames.Add(new FakeFrame(0x180013000, "php8ts!zend_execute", 0x40, @"C:\php-src\Zend\zend_vm_execute.h", 60001));
        e.Frames.Add(new FakeFrame(0x180014000, "php8ts!php_execute_script", 0x2f0, @"C:\php-src\main\main.c", 2539));
        e.Frames.Add(new FakeFrame(0x140001000, "php_cgi!main", 0x99, @"C:\php-src\sapi\cgi\cgi_main.c", 2580));
        e.Frames.Add(new FakeFrame(0x7ff800001000, "ntdll!RtlUserThreadStart", 0x21));
        return e;
    }

    int? Fail => FailEverything;

    static int CopyString(string s, char* buffer, uint size, uint* needed)
    {
        if (needed != null) *needed = (uint)s.Length + 1;
        if (buffer == null || size == 0) return Dbg.S_FALSE;
        int n = (int)Math.Min((uint)s.Length, size - 1);
        s.AsSpan(0, n).CopyTo(new Span<char>(buffer, n));
        buffer[n] = '\0';
        return n < s.Length ? Dbg.S_FALSE : Dbg.S_OK;
    }

    // ---- output and options ----
    public override int GetEngineOptions(out uint options)
    {
        options = PreferDml ? 0x00040000u : 0;
        return Fail ?? Dbg.S_OK;
    }
    public override int ControlledOutputWide(uint outputControl, uint mask, string format, string text)
    {
        Output.Add(new Printed(outputControl, mask, format, text));
        return Dbg.S_OK;   // printing still works when the engine "fails", so errors reach the user
    }
    public override int OutputWide(uint mask, string format, string text)
    {
        Output.Add(new Printed(Dbg.DEBUG_OUTCTL_AMBIENT_TEXT, mask, format, text));
        return Dbg.S_OK;
    }
    public override int GetInterrupt() => Interrupt ? Dbg.S_OK : Dbg.S_FALSE;

    // ---- symbols and paths ----
    public override int GetSymbolPathWide(char* buffer, uint bufferSize, uint* pathSize)
        => Fail ?? CopyString(SymbolPath, buffer, bufferSize, pathSize);
    public override int SetSymbolPathWide(string path) { if (Fail is { } f) return f; SymbolPath = path; return Dbg.S_OK; }
    public override int GetImagePathWide(char* buffer, uint bufferSize, uint* pathSize)
        => Fail ?? CopyString(ImagePath, buffer, bufferSize, pathSize);
    public override int SetImagePathWide(string path) { if (Fail is { } f) return f; ImagePath = path; return Dbg.S_OK; }
    public override int AddSymbolOptions(uint options) { if (Fail is { } f) return f; SymbolOptions |= options; return Dbg.S_OK; }
    public override int GetSymbolOptions(out uint options) { options = SymbolOptions; return Fail ?? Dbg.S_OK; }
    public override int ReloadWide(string module) => Fail ?? Dbg.S_OK;

    // ---- symbol loading, as dbgeng does it: deferred until loaded; `.reload` defers everything again ----
    /// <summary>Bases of the modules whose symbols are not loaded yet (dbgeng's "deferred").</summary>
    public HashSet<ulong> Deferred { get; } = [];
    public void DeferAll() { foreach (var m in Modules) Deferred.Add(m.Base); }
    public sealed record Executed(uint OutputControl, string Command, uint MaskWhileRunning);
    public List<Executed> Commands { get; } = [];
    /// <summary>Every piece of text the engine tried to print on its own while running a command.</summary>
    public List<string> Chatter { get; } = [];
    public uint OutputMask { get; set; } = 0x3ff;

    public override int GetOutputMask(out uint mask) { mask = OutputMask; return Fail ?? Dbg.S_OK; }
    public override int SetOutputMask(uint mask) { if (Fail is { } f) return f; OutputMask = mask; return Dbg.S_OK; }

    public override int ExecuteWide(uint outputControl, string command, uint flags)
    {
        if (Fail is { } f) return f;
        Commands.Add(new Executed(outputControl, command, OutputMask));
        if (command.StartsWith(".sympath ", StringComparison.Ordinal)) SymbolPath = command[".sympath ".Length..].Trim();
        else if (command.StartsWith(".exepath ", StringComparison.Ordinal)) ImagePath = command[".exepath ".Length..].Trim();
        else if (command == ".reload") DeferAll();
        else if (command.StartsWith(".reload /f ", StringComparison.Ordinal))
        {
            var image = command[".reload /f ".Length..];
            var m = Modules.FirstOrDefault(x =>
                Path.GetFileName(x.Image.Replace('\\', '/')).Equals(image, StringComparison.OrdinalIgnoreCase));
            if (m is null) return Dbg.E_FAIL;
            Deferred.Remove(m.Base);
        }
        // What dbgeng prints around symbol loads: warnings, and the summary with the SYMBOLS mask.
        Say(outputControl, Dbg.DEBUG_OUTPUT_WARNING, "*** WARNING: Unable to verify checksum for php_cgi.exe\n");
        Say(outputControl, Dbg.DEBUG_OUTPUT_SYMBOLS, "\n************* Symbol Loading Error Summary **************\n");
        return Dbg.S_OK;
    }

    void Say(uint outputControl, uint mask, string text)
    {
        Chatter.Add(text);
        if ((outputControl & 7) != Dbg.DEBUG_OUTCTL_IGNORE && (OutputMask & mask) != 0)
            Output.Add(new Printed(outputControl, mask, "%s", text));
    }

    // ---- processes and threads ----
    public override int GetEventProcess(out uint id) { id = 0; return Fail ?? Dbg.S_OK; }
    public override int GetNumberProcesses(out uint number) { number = 1; return Fail ?? Dbg.S_OK; }
    public override int GetProcessIdsByIndex(uint start, uint count, uint* ids, uint* sysIds)
    {
        if (Fail is { } f) return f;
        if (ids != null) ids[0] = 0;
        if (sysIds != null) sysIds[0] = 0x1a2c;
        return Dbg.S_OK;
    }
    public override int GetCurrentProcessId(out uint id) { id = 0; return Fail ?? Dbg.S_OK; }
    public override int SetCurrentProcessId(uint id) => Fail ?? Dbg.S_OK;
    public override int GetCurrentProcessSystemId(out uint sysId) { sysId = 0x1a2c; return Fail ?? Dbg.S_OK; }
    public override int GetCurrentProcessExecutableNameWide(char* buffer, uint bufferSize, uint* exeSize)
        => Fail ?? CopyString(ProcessImage, buffer, bufferSize, exeSize);
    public override int GetEventThread(out uint id) { id = 0; return Fail ?? Dbg.S_OK; }
    public override int GetCurrentThreadId(out uint id) { id = 0; return Fail ?? Dbg.S_OK; }
    public override int SetCurrentThreadId(uint id) => Fail ?? Dbg.S_OK;
    public override int GetCurrentThreadSystemId(out uint sysId) { sysId = 0x1d34; return Fail ?? Dbg.S_OK; }
    public override int GetEffectiveProcessorType(out uint type) { type = Dbg.IMAGE_FILE_MACHINE_AMD64; return Fail ?? Dbg.S_OK; }
    public override int GetActualProcessorType(out uint type) { type = Dbg.IMAGE_FILE_MACHINE_AMD64; return Fail ?? Dbg.S_OK; }
    public override int GetDebuggeeType(out uint @class, out uint qualifier)
    {
        @class = 2; qualifier = Dbg.DEBUG_DUMP_SMALL; return Fail ?? Dbg.S_OK;
    }

    // ---- the event ----
    void FillException(void* extra, uint size, uint* used)
    {
        var info = new DEBUG_LAST_EVENT_INFO_EXCEPTION();
        info.ExceptionRecord.ExceptionCode = ExceptionCode ?? 0;
        info.ExceptionRecord.ExceptionAddress = Frames.Count > 0 ? Frames[0].Ip : 0;
        info.ExceptionRecord.NumberParameters = (uint)ExceptionParameters.Length;
        for (int i = 0; i < ExceptionParameters.Length; i++) info.ExceptionRecord.ExceptionInformation[i] = ExceptionParameters[i];
        if (extra != null && size >= (uint)sizeof(DEBUG_LAST_EVENT_INFO_EXCEPTION)) *(DEBUG_LAST_EVENT_INFO_EXCEPTION*)extra = info;
        if (used != null) *used = (uint)sizeof(DEBUG_LAST_EVENT_INFO_EXCEPTION);
    }

    public override int GetStoredEventInformation(out uint type, out uint processId, out uint threadId, void* context, uint contextSize,
        uint* contextUsed, void* extraInformation, uint extraInformationSize, uint* extraInformationUsed)
    {
        type = ExceptionCode is null ? 0 : Dbg.DEBUG_EVENT_EXCEPTION; processId = 0; threadId = 0;
        if (Fail is { } f) return f;
        if (ExceptionCode is null) return Dbg.E_FAIL;
        // A real dump's exception stream carries the faulting context; HasContext = false plays one without it.
        const uint Amd64ContextSize = 0x4d0;
        if (contextUsed != null) *contextUsed = HasContext && contextSize >= Amd64ContextSize ? Amd64ContextSize : 0;
        if (HasContext && context != null && contextSize >= Amd64ContextSize) new Span<byte>(context, (int)Amd64ContextSize).Clear();
        FillException(extraInformation, extraInformationSize, extraInformationUsed);
        return Dbg.S_OK;
    }

    public override int GetLastEventInformationWide(out uint type, out uint processId, out uint threadId, void* extraInformation,
        uint extraInformationSize, uint* extraInformationUsed, char* description, uint descriptionSize, uint* descriptionUsed)
    {
        type = ExceptionCode is null ? 0 : Dbg.DEBUG_EVENT_EXCEPTION; processId = 0; threadId = 0;
        if (Fail is { } f) return f;
        if (ExceptionCode is not null) FillException(extraInformation, extraInformationSize, extraInformationUsed);
        return Dbg.S_OK;
    }

    // ---- the stack ----
    /// <summary>False plays a dump whose exception stream has no context ("Exception context not present in dump").</summary>
    public bool HasContext { get; set; } = true;

    public override int GetContextStackTraceEx(void* startContext, uint startContextSize, DEBUG_STACK_FRAME_EX* frames, uint framesSize,
        void* frameContexts, uint frameContextsSize, uint frameContextsEntrySize, uint* framesFilled) =>
        GetStackTraceEx(0, 0, 0, frames, framesSize, framesFilled);

    public override int GetStackTraceEx(ulong frameOffset, ulong stackOffset, ulong instructionOffset, DEBUG_STACK_FRAME_EX* frames,
        uint framesSize, uint* framesFilled)
    {
        if (Fail is { } f) return f;
        uint n = Math.Min(framesSize, (uint)Frames.Count);
        for (int i = 0; i < n; i++)
        {
            frames[i] = default;
            frames[i].InstructionOffset = Frames[i].Ip;
            frames[i].FrameNumber = (uint)i;
            frames[i].FuncTableEntry = 1;
            frames[i].FrameMachine = Dbg.IMAGE_FILE_MACHINE_AMD64;
        }
        if (framesFilled != null) *framesFilled = n;
        return Dbg.S_OK;
    }

    FakeFrame? FrameAt(ulong ip) => Frames.FirstOrDefault(f => f.Ip == ip || f.Ip - 1 == ip);

    public override int GetNameByOffsetWide(ulong offset, char* nameBuffer, uint nameBufferSize, uint* nameSize, ulong* displacement)
    {
        if (Fail is { } f) return f;
        var frame = FrameAt(offset);
        if (frame?.Name is null) return Dbg.E_FAIL;
        if (displacement != null) *displacement = frame.Displacement;
        return CopyString(frame.Name, nameBuffer, nameBufferSize, nameSize);
    }

    public override int GetLineByOffsetWide(ulong offset, uint* line, char* fileBuffer, uint fileBufferSize, uint* fileSize,
        ulong* displacement)
    {
        if (Fail is { } f) return f;
        var frame = FrameAt(offset);
        if (frame?.File is null) return Dbg.E_FAIL;
        if (line != null) *line = frame.Line;
        return CopyString(frame.File, fileBuffer, fileBufferSize, fileSize);
    }

    // ---- modules ----
    public override int GetNumberModules(out uint loaded, out uint unloaded)
    {
        loaded = (uint)Modules.Count; unloaded = 0; return Fail ?? Dbg.S_OK;
    }
    public override int GetModuleByIndex(uint index, out ulong @base)
    {
        @base = index < Modules.Count ? Modules[(int)index].Base : 0;
        return Fail ?? (index < Modules.Count ? Dbg.S_OK : Dbg.E_INVALIDARG);
    }
    FakeModule? ModuleAt(ulong address) => Modules.FirstOrDefault(m => address >= m.Base && address < m.Base + m.Size);
    public override int GetModuleByOffset(ulong offset, uint startIndex, uint* index, ulong* @base)
    {
        if (Fail is { } f) return f;
        var m = ModuleAt(offset);
        if (m is null) return Dbg.E_FAIL;
        if (index != null) *index = (uint)Modules.IndexOf(m);
        if (@base != null) *@base = m.Base;
        return Dbg.S_OK;
    }
    public override int GetModuleParameters(uint count, ulong* bases, uint start, DEBUG_MODULE_PARAMETERS* @params)
    {
        if (Fail is { } f) return f;
        var m = ModuleAt(bases[0]);
        if (m is null) return Dbg.E_FAIL;
        @params[0] = default;
        @params[0].Base = m.Base;
        @params[0].Size = m.Size;
        @params[0].SymbolType = Deferred.Contains(m.Base) ? Dbg.DEBUG_SYMTYPE_DEFERRED : m.SymbolType;
        return Dbg.S_OK;
    }
    public override int GetModuleNameStringWide(uint which, uint index, ulong @base, char* buffer, uint bufferSize, uint* nameSize)
    {
        if (Fail is { } f) return f;
        var m = ModuleAt(@base);
        if (m is null) return Dbg.E_FAIL;
        string? s = which switch
        {
            Dbg.DEBUG_MODNAME_MODULE => m.Module,
            Dbg.DEBUG_MODNAME_IMAGE or Dbg.DEBUG_MODNAME_LOADED_IMAGE => m.Image,
            _ => null,
        };
        return s is null ? Dbg.E_FAIL : CopyString(s, buffer, bufferSize, nameSize);
    }
}

/// <summary>An object that is no debugger client at all (QueryInterface for the engine interfaces fails).</summary>
[GeneratedComClass]
public partial class NotAnEngine : IDebugOutputCallbacksWide
{
    public int Output(uint mask, string text) => 0;
}
