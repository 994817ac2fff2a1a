using System.Runtime.InteropServices;

namespace FcgiExt.DbgEng;

/// <summary>What a dump session needs besides the dump: paths of the machine the engine runs on.</summary>
public sealed record SessionOptions
{
    /// <summary>The symbol path; null keeps the engine's default (_NT_SYMBOL_PATH or none).</summary>
    public string? SymbolPath { get; init; }
    /// <summary>The image path; null means "the symbol path": minidumps carry no images and x64 unwinding needs them.</summary>
    public string? ImagePath { get; init; }
}

/// <summary>dbgeng.dll loaded in this process, driven like `cdb -z`: one DebugCreate per process (the engine keeps
/// global state), then any number of dump sessions one after the other (EndSession between them).</summary>
public sealed unsafe class DebugEngine : IDisposable
{
    readonly EngineInterfaces _engine;
    readonly OutputSink _sink;
    readonly DmlOutputSink _dmlSink;
    Action<uint, string>? _output;
    bool _sessionOpen;

    public EngineInterfaces Interfaces => _engine;
    public string? OpenDump { get; private set; }

    DebugEngine(EngineInterfaces engine)
    {
        _engine = engine;
        _sink = new OutputSink((mask, text) => _output?.Invoke(mask, text));
        _dmlSink = new DmlOutputSink((mask, text) => _output?.Invoke(mask, text));
        Hresult.Check(_engine.Client.SetOutputCallbacksWide(_sink), "SetOutputCallbacksWide");
    }

    /// <summary>Loads dbgeng.dll from <paramref name="engineFolder"/> (default: next to this program) and calls DebugCreate.</summary>
    public static DebugEngine Create(string? engineFolder = null)
    {
        string folder = engineFolder ?? AppContext.BaseDirectory;
        string dll = Path.Combine(folder, "dbgeng.dll");
        if (!File.Exists(dll))
            throw new DbgEngException("LoadLibrary", DbgEng.E_FAIL, $"{dll}: no such file (the engine DLLs belong next to the host)");
        nint module;
        try { module = NativeLibrary.Load(dll); }
        catch (Exception e) { throw new DbgEngException("LoadLibrary", DbgEng.E_FAIL, $"{dll}: cannot load ({e.Message})"); }
        var debugCreate = (delegate* unmanaged[Stdcall]<Guid*, nint*, int>)NativeLibrary.GetExport(module, "DebugCreate");
        Guid iid = typeof(IDebugClient5).GUID;
        nint client;
        int hr = debugCreate(&iid, &client);
        // E_NOTIMPL from the first real call under Wine means Wine's builtin dbgeng stub: WINEDLLOVERRIDES is missing.
        Hresult.Check(hr, "DebugCreate");
        try { return new DebugEngine(EngineInterfaces.FromClientPointer(client)); }
        finally { Marshal.Release(client); }   // the wrapper holds its own reference
    }

    /// <summary>True: the output keeps DML markup as WinDbg's window gets it; false: the engine's plain text (cdb).</summary>
    public void SetDmlOutput(bool dml) =>
        Hresult.Check(_engine.Client.SetOutputCallbacksWide(dml ? _dmlSink : _sink), "SetOutputCallbacksWide");

    /// <summary>Where the engine's text goes while the next calls run (null: dropped).</summary>
    public void SetOutput(Action<uint, string>? output) => _output = output;

    /// <summary>Opens a dump and waits for its event, then sets the symbol and image paths and line loading.
    /// Throws DbgEngException with a one-line message naming the file when it is missing or not a dump.</summary>
    public void Open(string dumpPath, SessionOptions options)
    {
        if (_sessionOpen) EndSession();
        if (DumpFile.Problem(dumpPath) is { } problem) throw new DbgEngException("OpenDumpFileWide", DbgEng.E_INVALIDARG, problem);
        var symbols = _engine.Symbols;
        // Before the dump opens, so module loads already look in the right places.
        if (options.SymbolPath is { } sympath) Hresult.Check(symbols.SetSymbolPathWide(sympath), "SetSymbolPathWide");
        if ((options.ImagePath ?? options.SymbolPath) is { } imagePath)
            Hresult.Check(symbols.SetImagePathWide(imagePath), "SetImagePathWide");
        Hresult.Check(symbols.AddSymbolOptions(DbgEng.SYMOPT_LOAD_LINES | DbgEng.SYMOPT_FAIL_CRITICAL_ERRORS | DbgEng.SYMOPT_NO_PROMPTS),
            "AddSymbolOptions");
        int hr = _engine.Client.OpenDumpFileWide(dumpPath, 0);
        if (hr < 0) throw new DbgEngException("OpenDumpFileWide", hr, $"{dumpPath}: the engine cannot open it: {Hresult.Describe(hr)}");
        _sessionOpen = true;
        OpenDump = dumpPath;
        hr = _engine.Control.WaitForEvent(DbgEng.DEBUG_WAIT_DEFAULT, DbgEng.INFINITE);
        if (hr < 0)
        {
            EndSession();
            throw new DbgEngException("WaitForEvent", hr, $"{dumpPath}: the engine could not load it: {Hresult.Describe(hr)}");
        }
    }

    /// <summary>Starts a process under the debugger (`cdb cmdline`); with <paramref name="children"/> every process it
    /// creates is debugged too (DEBUG_PROCESS: the only way to follow children under Wine). The environment and
    /// working folder are this process's (the host sets them before).</summary>
    public unsafe void CreateProcess(string commandLine, bool children)
    {
        if (_sessionOpen) EndSession();
        Hresult.Check(_engine.Symbols.AddSymbolOptions(
            DbgEng.SYMOPT_LOAD_LINES | DbgEng.SYMOPT_FAIL_CRITICAL_ERRORS | DbgEng.SYMOPT_NO_PROMPTS), "AddSymbolOptions");
        int hr;
        fixed (char* cmd = commandLine)
            hr = _engine.Client.CreateProcessWide(0, cmd, children ? DbgEng.DEBUG_PROCESS : DbgEng.DEBUG_ONLY_THIS_PROCESS);
        if (hr < 0)
            throw new DbgEngException("CreateProcessWide", hr, $"{commandLine}: the engine cannot start it: {Hresult.Describe(hr)}");
        _sessionOpen = true;
    }

    /// <summary>Attaches to a running process (`cdb -p pid`).</summary>
    public void Attach(uint processId)
    {
        if (_sessionOpen) EndSession();
        Hresult.Check(_engine.Symbols.AddSymbolOptions(
            DbgEng.SYMOPT_LOAD_LINES | DbgEng.SYMOPT_FAIL_CRITICAL_ERRORS | DbgEng.SYMOPT_NO_PROMPTS), "AddSymbolOptions");
        int hr = _engine.Client.AttachProcess(0, processId, DbgEng.DEBUG_ATTACH_DEFAULT);
        if (hr < 0)
            throw new DbgEngException("AttachProcess", hr, $"process {processId}: the engine cannot attach: {Hresult.Describe(hr)}");
        _sessionOpen = true;
    }

    /// <summary>A session was started by a direct engine call (a further AttachProcess): EndSession must end it.</summary>
    public void MarkSessionOpen() => _sessionOpen = true;

    /// <summary>Runs a command line as typed at the cdb prompt (the engine splits on ';' itself). Output goes to the
    /// current output target. Returns the HRESULT (a failed command is not an exception: cdb goes on too).</summary>
    public int Execute(string commands, bool echo = false) =>
        _engine.Control.ExecuteWide(DbgEng.DEBUG_OUTCTL_ALL_CLIENTS, commands,
            (echo ? DbgEng.DEBUG_EXECUTE_ECHO : DbgEng.DEBUG_EXECUTE_DEFAULT) | DbgEng.DEBUG_EXECUTE_NOT_LOGGED |
            DbgEng.DEBUG_EXECUTE_NO_REPEAT);

    /// <summary>Ends the dump session; the engine object stays usable for the next dump.</summary>
    public void EndSession()
    {
        if (!_sessionOpen) return;
        _sessionOpen = false;
        OpenDump = null;
        _engine.Client.EndSession(DbgEng.DEBUG_END_ACTIVE_TERMINATE);
    }

    public void Dispose()
    {
        try { EndSession(); } catch { /* best effort on the way out */ }
        _engine.Client.SetOutputCallbacksWide(null);
        _engine.Dispose();
        GC.KeepAlive(_sink);
        GC.KeepAlive(_dmlSink);
    }
}
