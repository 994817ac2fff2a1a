using Dbg = FcgiExt.DbgEng.DbgEng;
using System.Reflection;
using System.Runtime.InteropServices;
using FcgiExt.DbgEng;

namespace FcgiExt.Extension.Hosting;

/// <summary>
/// Runs one command for an export. Never harms the debugger: every exception is caught here and becomes an
/// HRESULT with a one-line message; the engine interfaces are released before returning.
/// </summary>
public static unsafe class CommandDispatcher
{
    public static int Run<TCommand>(nint client, byte* args) where TCommand : ExtensionCommand, new()
    {
        EngineInterfaces? engine = null;
        DebuggerOutput? output = null;
        try
        {
            // PCSTR in the engine's ANSI code page; debugger users type ASCII here (paths with other characters
            // come through as the code page maps them, which is what the engine itself would do).
            string text = args == null ? "" : Marshal.PtrToStringAnsi((nint)args) ?? "";
            engine = EngineInterfaces.FromClientPointer(client);
            output = new DebuggerOutput(engine.Control);
            var command = new TCommand();
            var arguments = new ExtensionArguments(text);
            int hr = command.Execute(new CommandContext(engine, output), arguments);
            output.Flush();
            return hr;
        }
        catch (UsageException e)
        {
            return Fail(output, $"{Name<TCommand>()}: {e.Message}. {UsageHint<TCommand>()}", Dbg.E_INVALIDARG);
        }
        catch (OperationCanceledException)
        {
            return Fail(output, $"{Name<TCommand>()}: interrupted (Ctrl+Break)", Dbg.HRESULT_CANCELLED);
        }
        catch (DbgEngException e)
        {
            return Fail(output, $"{Name<TCommand>()}: {e.Message}", e.HResult < 0 ? e.HResult : Dbg.E_FAIL);
        }
        catch (Exception e)
        {
            return Fail(output, $"{Name<TCommand>()}: internal error: {e.GetType().Name}: {OneLine(e.Message)}", e.HResult < 0 ? e.HResult : Dbg.E_FAIL);
        }
        finally
        {
            try { engine?.Dispose(); } catch { /* releasing must not throw into the engine */ }
        }
    }

    static int Fail(DebuggerOutput? output, string message, int hr)
    {
        try
        {
            if (output is not null) output.Error(message);
        }
        catch { /* the engine could not print: the HRESULT still says it failed */ }
        return hr;
    }

    static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();

    public static string Name<TCommand>() => "!" + (typeof(TCommand).GetCustomAttribute<ExtensionCommandAttribute>()?.Name ?? typeof(TCommand).Name);

    static string UsageHint<TCommand>() => $"Usage: {Name<TCommand>()} -?";
}
