using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace FcgiExt.DbgEng;

/// <summary>The typed views of one engine client (each cast is a QueryInterface). Used by the host (a client made by
/// DebugCreate) and by the extension (the client pointer dbgeng passes to a command). Dispose releases every
/// interface at once, so no reference outlives a command.</summary>
public sealed class EngineInterfaces : IDisposable
{
    // One ComWrappers per process: the generator's default strategy (QueryInterface-based casts).
    static readonly StrategyBasedComWrappers s_comWrappers = new();

    readonly object _comObject;
    bool _disposed;

    public IDebugClient5 Client { get; }
    public IDebugControl5 Control { get; }
    public IDebugSymbols5 Symbols { get; }
    public IDebugSystemObjects4 SystemObjects { get; }
    public IDebugAdvanced3 Advanced { get; }
    public IDebugDataSpaces4 DataSpaces { get; }

    EngineInterfaces(object comObject)
    {
        _comObject = comObject;
        Client = Cast<IDebugClient5>(comObject);
        Control = Cast<IDebugControl5>(comObject);
        Symbols = Cast<IDebugSymbols5>(comObject);
        SystemObjects = Cast<IDebugSystemObjects4>(comObject);
        Advanced = Cast<IDebugAdvanced3>(comObject);
        DataSpaces = Cast<IDebugDataSpaces4>(comObject);
    }

    static T Cast<T>(object o) where T : class =>
        o as T ?? throw new DbgEngException($"QueryInterface({typeof(T).Name})", DbgEng.E_NOINTERFACE,
            $"the engine does not implement {typeof(T).Name} (dbgeng.dll too old?)");

    /// <summary>Wraps an IDebugClient pointer (AddRefs it; the caller keeps its own reference).</summary>
    public static EngineInterfaces FromClientPointer(nint client)
    {
        if (client == 0) throw new DbgEngException("IDebugClient", DbgEng.E_INVALIDARG, "no debugger client (null pointer)");
        // UniqueInstance: a fresh wrapper, not cached, so FinalRelease in Dispose drops every reference we took.
        object o = s_comWrappers.GetOrCreateObjectForComInstance(client, CreateObjectFlags.UniqueInstance);
        try { return new EngineInterfaces(o); }
        catch { ((ComObject)o).FinalRelease(); throw; }
    }

    /// <summary>A COM interface pointer for a managed object (e.g. an OutputSink), for tests that play the engine.</summary>
    public static nint ComPointerFor(object managed) =>
        s_comWrappers.GetOrCreateComInterfaceForObject(managed, CreateComInterfaceFlags.None);

    /// <summary>True when the user asked to stop (Ctrl+Break): IDebugControl::GetInterrupt returns S_OK then.</summary>
    public bool InterruptRequested() => Control.GetInterrupt() == DbgEng.S_OK;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ((ComObject)_comObject).FinalRelease();
    }
}
