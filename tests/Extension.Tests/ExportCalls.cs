using System.Runtime.InteropServices;
using FcgiExt.DbgEng;
using FcgiExt.Extension;
using NUnit.Framework;

namespace FcgiExt.Tests.Extension;

/// <summary>The export functions called the way dbgeng calls them: an IDebugClient pointer (here a fake engine's
/// COM vtable) and an ANSI argument string. Every call checks that the command released what it took.</summary>
static unsafe class ExportCalls
{
    static int Call(delegate* unmanaged<nint, byte*, int> export, object engine, string args)
    {
        nint client = EngineInterfaces.ComPointerFor(engine);
        nint text = Marshal.StringToHGlobalAnsi(args);
        try
        {
            Marshal.AddRef(client);
            int before = Marshal.Release(client);
            int hr = export(client, (byte*)text);
            Marshal.AddRef(client);
            int after = Marshal.Release(client);
            Assert.That(after, Is.EqualTo(before), "the command must release every interface it took");
            return hr;
        }
        finally
        {
            Marshal.FreeHGlobal(text);
            Marshal.Release(client);
        }
    }

    public static int Fcgi(object e, string args) => Call(&Exports.Fcgi, e, args);
    public static int FcgiSym(object e, string args) => Call(&Exports.FcgiSym, e, args);
    public static int FcgiRules(object e, string args) => Call(&Exports.FcgiRules, e, args);
    public static int Help(object e, string args) => Call(&Exports.Help, e, args);

    public static void Notify(uint notify)
    {
        delegate* unmanaged<uint, ulong, void> export = &Exports.DebugExtensionNotify;
        export(notify, 0);
    }
}
