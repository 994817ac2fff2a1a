using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using FcgiExt.DbgEng;

namespace FcgiExt.Integration.Tests;

/// <summary>The generated interfaces against the package's dbgeng.h (no Wine needed): every declared member sits in the
/// slot dbgeng.h gives its method, and the structures have the sizes the C headers give them.</summary>
public class DbgEngLayoutTests
{
    static readonly string Header = Path.Combine(NuGetRoot(), "microsoft.debugging.platform.dbgeng", "20260109.1235.0",
        "build", "native", "inc", "dbgeng.h");

    static string NuGetRoot() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    static readonly Type[] Interfaces =
    [
        typeof(IDebugClient5), typeof(IDebugControl5), typeof(IDebugSymbols5), typeof(IDebugSystemObjects4),
        typeof(IDebugAdvanced3), typeof(IDebugDataSpaces4), typeof(IDebugOutputCallbacksWide),
    ];

    /// <summary>Method names of one DECLARE_INTERFACE_ block, in vtable order (IUnknown's three first).</summary>
    static List<string> HeaderSlots(string iface)
    {
        string h = File.ReadAllText(Header);
        var block = Regex.Match(h, @"DECLARE_INTERFACE_\(" + iface + @",\s*IUnknown\)\s*\{(.*?)\n\};", RegexOptions.Singleline);
        Assert.That(block.Success, Is.True, $"{iface} not in dbgeng.h");
        string body = Regex.Replace(block.Groups[1].Value, @"//[^\n]*", "");
        return Regex.Matches(body, @"STDMETHODV?(?:_\([^,]+,\s*(\w+)\)|\((\w+)\))")
            .Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToList();
    }

    [TestCaseSource(nameof(Interfaces))]
    public void Every_member_sits_in_its_dbgeng_h_slot(Type iface)
    {
        Assume.That(File.Exists(Header), Is.True, $"{Header} missing: restore FcgiExt/DbgEng first");
        var slots = HeaderSlots(iface.Name);
        int count = (int)typeof(DbgEngSlotCounts).GetField(iface.Name)!.GetRawConstantValue()!;
        Assert.That(slots, Has.Count.EqualTo(count), "method count in dbgeng.h");
        Assert.That(slots.Take(3), Is.EqualTo(new[] { "QueryInterface", "AddRef", "Release" }));
        // Declaration order = metadata order = the order [GeneratedComInterface] lays out the vtable after IUnknown.
        var members = iface.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly)
            .OrderBy(m => m.MetadataToken).Select(m => m.Name.TrimStart('_')).ToList();
        Assert.That(members, Is.Not.Empty);
        Assert.That(members, Is.EqualTo(slots.Skip(3).Take(members.Count).ToList()), $"{iface.Name} slot order");
    }

    [Test]
    public void Interface_ids_are_the_ones_in_dbgeng_h()
    {
        Assume.That(File.Exists(Header), Is.True);
        string h = File.ReadAllText(Header);
        foreach (var iface in Interfaces)
        {
            var m = Regex.Match(h, @"DEFINE_GUID\(IID_" + iface.Name + @",\s*0x(\w+),\s*0x(\w+),\s*0x(\w+),\s*" +
                string.Join(@",\s*", Enumerable.Repeat(@"0x(\w+)", 8)) + @"\)");
            Assert.That(m.Success, Is.True, iface.Name);
            var bytes = Enumerable.Range(4, 8).Select(i => Convert.ToByte(m.Groups[i].Value, 16)).ToArray();
            var expected = new Guid(Convert.ToUInt32(m.Groups[1].Value, 16), Convert.ToUInt16(m.Groups[2].Value, 16),
                Convert.ToUInt16(m.Groups[3].Value, 16), bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]);
            Assert.That(iface.GUID, Is.EqualTo(expected), iface.Name);
        }
    }

    [Test]
    public unsafe void Structures_have_the_C_sizes()
    {
        // Measured with offsetof/sizeof on the package's headers (mingw-w64, x64).
        Assert.That(sizeof(DEBUG_STACK_FRAME), Is.EqualTo(128));
        Assert.That(sizeof(DEBUG_STACK_FRAME_EX), Is.EqualTo(136));
        Assert.That(sizeof(DEBUG_MODULE_PARAMETERS), Is.EqualTo(64));
        Assert.That(sizeof(EXCEPTION_RECORD64), Is.EqualTo(152));
        Assert.That(sizeof(DEBUG_LAST_EVENT_INFO_EXCEPTION), Is.EqualTo(160));
        Assert.That(sizeof(IMAGEHLP_MODULEW64), Is.EqualTo(3264));
        Assert.That(Marshal.OffsetOf<IMAGEHLP_MODULEW64>(nameof(IMAGEHLP_MODULEW64.LoadedPdbName)), Is.EqualTo((nint)1124));
        Assert.That(Marshal.OffsetOf<IMAGEHLP_MODULEW64>(nameof(IMAGEHLP_MODULEW64.CVData)), Is.EqualTo((nint)1640));
        Assert.That(Marshal.OffsetOf<IMAGEHLP_MODULEW64>(nameof(IMAGEHLP_MODULEW64.PdbSig70)), Is.EqualTo((nint)3204));
        Assert.That(Marshal.OffsetOf<IMAGEHLP_MODULEW64>(nameof(IMAGEHLP_MODULEW64.PdbUnmatched)), Is.EqualTo((nint)3224));
        Assert.That(Marshal.OffsetOf<IMAGEHLP_MODULEW64>(nameof(IMAGEHLP_MODULEW64.LineNumbers)), Is.EqualTo((nint)3232));
    }

    [Test]
    public void Committed_interfaces_match_the_generator()
    {
        Assume.That(File.Exists(Header), Is.True);
        string script = Path.Combine(TestPaths.RepoRoot, "FcgiExt/DbgEng/gen/gen_interfaces.py");
        var psi = new System.Diagnostics.ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add("--check");
        psi.ArgumentList.Add(Header);
        psi.ArgumentList.Add(Path.Combine(TestPaths.RepoRoot, "FcgiExt/DbgEng/DbgEngInterfaces.g.cs"));
        System.Diagnostics.Process p;
        try { p = System.Diagnostics.Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception) { Assert.Ignore("python3 not installed"); return; }
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.EqualTo(0), output);
    }
}
