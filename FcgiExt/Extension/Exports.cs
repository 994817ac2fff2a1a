using System.Runtime.InteropServices;
using FcgiExt.Extension.Commands;
using FcgiExt.Extension.Hosting;

namespace FcgiExt.Extension;

/// <summary>
/// The DLL's exports, as dbgeng calls them. Only dispatch happens here: each command is a class in
/// Commands/, and <see cref="CommandDispatcher"/> guarantees nothing escapes to the engine.
/// </summary>
public static unsafe class Exports
{
    [UnmanagedCallersOnly(EntryPoint = "DebugExtensionInitialize")]
    public static int DebugExtensionInitialize(uint* version, uint* flags) => ExtensionLifetime.Initialize(version, flags);

    [UnmanagedCallersOnly(EntryPoint = "DebugExtensionUninitialize")]
    public static void DebugExtensionUninitialize() => ExtensionLifetime.Uninitialize();

    [UnmanagedCallersOnly(EntryPoint = "DebugExtensionNotify")]
    public static void DebugExtensionNotify(uint notify, ulong argument) => ExtensionLifetime.Notify(notify, argument);

    [UnmanagedCallersOnly(EntryPoint = "fcgi")]
    public static int Fcgi(nint client, byte* args) => CommandDispatcher.Run<FcgiCommand>(client, args);

    [UnmanagedCallersOnly(EntryPoint = "fcgisym")]
    public static int FcgiSym(nint client, byte* args) => CommandDispatcher.Run<FcgiSymCommand>(client, args);

    [UnmanagedCallersOnly(EntryPoint = "fcgirules")]
    public static int FcgiRules(nint client, byte* args) => CommandDispatcher.Run<FcgiRulesCommand>(client, args);

    [UnmanagedCallersOnly(EntryPoint = "help")]
    public static int Help(nint client, byte* args) => CommandDispatcher.Run<HelpCommand>(client, args);
}
