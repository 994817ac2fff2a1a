using System.Runtime.InteropServices;
namespace FcgiExt.Extension;
public static unsafe class Exports
{
    [UnmanagedCallersOnly(EntryPoint = "DebugExtensionInitialize")]
    public static int DebugExtensionInitialize(uint* version, uint* flags) { *version = 1u << 16; *flags = 0; return 0; }
    [UnmanagedCallersOnly(EntryPoint = "DebugExtensionUninitialize")]
    public static void DebugExtensionUninitialize() { }
}
