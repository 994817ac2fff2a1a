using System.Diagnostics;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace FcgiExt.Tests.Extension;

/// <summary>The NativeAOT builds export exactly the extension's entry points (plus the runtime's own
/// DotNetRuntimeDebugHeader, which every NativeAOT image exports for debuggers).</summary>
[Category("Integration")]
public class ExportTableTests
{
    static readonly string[] Expected =
        ["DebugExtensionInitialize", "DebugExtensionNotify", "DebugExtensionUninitialize", "DotNetRuntimeDebugHeader", "fcgi", "fcgirules",
            "fcgisym", "help"];

    internal static string Root()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "FcgiExt.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root not found");
    }

    static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, $"{file} {string.Join(' ', args)}: {error}");
        return output;
    }

    [Test]
    public void Linux_x64_nativeaot_build_exports_exactly_the_entry_points()
    {
        string so = Run(Path.Combine(Root(), "scripts", "build-extension.sh"), "linux-x64").Trim();
        var names = Run("nm", "-D", "--defined-only", so).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ').Last()).Select(n => n.Split('@')[0])
            .Where(n => n.Length > 0 && n != "V1.0").Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.That(names, Is.EqualTo(Expected.Order(StringComparer.Ordinal).ToList()));
    }

    /// <summary>The Windows DLL's export table, read from the PE file itself (no objdump: the release workflow runs this on
    /// Windows against its own DLLs through FCGIEXT_RELEASE_DLL, x64 or arm64 alike).</summary>
    [Test]
    public void Windows_dll_exports_exactly_the_entry_points()
    {
        string dll = Environment.GetEnvironmentVariable("FCGIEXT_RELEASE_DLL") is { Length: > 0 } release ? release
            : Path.Combine(Root(), "artifacts", "win-x64", "fcgiext.dll");
        if (!File.Exists(dll)) dll = Run(Path.Combine(Root(), "scripts", "build-extension.sh"), "win-x64").Trim();
        var names = PeExports(dll).Order(StringComparer.Ordinal).ToList();
        Assert.That(names, Is.EqualTo(Expected.Order(StringComparer.Ordinal).ToList()));
    }

    /// <summary>Names in a PE image's export directory (PE32+ and PE32).</summary>
    internal static List<string> PeExports(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        int pe = BitConverter.ToInt32(b, 0x3c);
        Assert.That(BitConverter.ToUInt32(b, pe), Is.EqualTo(0x4550u), $"{path}: not a PE image");
        int optional = pe + 24;
        bool pe32Plus = BitConverter.ToUInt16(b, optional) == 0x20b;
        int directories = optional + (pe32Plus ? 112 : 96);
        uint exportRva = BitConverter.ToUInt32(b, directories);
        int sections = optional + BitConverter.ToUInt16(b, pe + 20);
        int count = BitConverter.ToUInt16(b, pe + 6);
        int Offset(uint rva)
        {
            for (int i = 0; i < count; i++)
            {
                int h = sections + i * 40;
                uint va = BitConverter.ToUInt32(b, h + 12),
                    size = Math.Max(BitConverter.ToUInt32(b, h + 8), BitConverter.ToUInt32(b, h + 16));
                if (rva >= va && rva < va + size) return (int)(rva - va + BitConverter.ToUInt32(b, h + 20));
            }
            throw new AssertionException($"{path}: RVA 0x{rva:x} is in no section");
        }
        if (exportRva == 0) return [];
        int dir = Offset(exportRva);
        int nameCount = BitConverter.ToInt32(b, dir + 24);
        int namePointers = Offset(BitConverter.ToUInt32(b, dir + 32));
        var names = new List<string>();
        for (int i = 0; i < nameCount; i++)
        {
            int at = Offset(BitConverter.ToUInt32(b, namePointers + i * 4));
            int end = Array.IndexOf(b, (byte)0, at);
            names.Add(System.Text.Encoding.ASCII.GetString(b, at, end - at));
        }
        return names;
    }
}

/// <summary>The test-grade CRT shim never reaches a build that does not say it is a test build (issue 14).</summary>
public class CrtShimGuardTests
{
    [Test]
    [Category("Integration")]
    public void A_cross_link_without_the_test_build_marker_is_refused()
    {
        string root = ExportTableTests.Root();
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
            ArgumentList = { "msbuild", Path.Combine(root, "FcgiExt", "Extension", "FcgiExt.Extension.csproj"), "-t:CrossWinTestBuildOnly",
                             "-p:RuntimeIdentifier=win-x64", "-nologo", "-v:q" },
        };
        psi.Environment.Remove("FCGIEXT_TEST_BUILD");
        using var p = System.Diagnostics.Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Not.Zero, output);
        Assert.That(output, Does.Contain("TEST-GRADE CRT shim"));
    }

    [Test]
    public void The_shim_carries_the_marker_the_release_workflow_looks_for()
    {
        string root = ExportTableTests.Root();
        Assert.That(File.ReadAllText(Path.Combine(root, "build", "crosswin", "test_crt_shim.c")),
            Does.Contain("FCGIEXT-TEST-GRADE-CRT-SHIM"));
        Assert.That(File.ReadAllText(Path.Combine(root, ".github", "workflows", "release.yml")),
            Does.Contain("FCGIEXT-TEST-GRADE-CRT-SHIM"));
    }
}

/// <summary>What the release zip carries beside the DLL for WinDbg's extension gallery (issue 14).</summary>
public class GalleryManifestTests
{
    [Test]
    public void The_gallery_manifest_loads_fcgiext_for_a_FastCGI_worker_and_has_the_workflows_tokens()
    {
        string root = ExportTableTests.Root();
        var manifest = System.Xml.Linq.XDocument.Load(Path.Combine(root, "gallery", "Manifest.1.xml"));
        var file = manifest.Descendants("File").Single();
        Assert.That(file.Attribute("Module")!.Value, Does.EndWith("fcgiext.dll"));
        Assert.That(file.Attribute("Architecture")!.Value, Is.EqualTo("ARCH"), "the release workflow fills in amd64 or arm64");
        Assert.That(manifest.Descendants("ModuleTrigger").Select(t => t.Attribute("Name")!.Value), Has.Member("php-cgi.exe"));
        var config = System.Xml.Linq.XDocument.Load(Path.Combine(root, "gallery", "config.xml"));
        Assert.That(config.Descendants("Setting").Select(s => s.Attribute("Name")!.Value), Has.Member("LocalCacheRootFolder"));
        string workflow = File.ReadAllText(Path.Combine(root, ".github", "workflows", "release.yml"));
        Assert.That(workflow, Does.Contain("gallery/Manifest.1.xml").And.Contain("Replace('ARCH'"));
    }

    [Test]
    public void The_windows_launcher_builds_the_cli_and_runs_it()
    {
        string cmd = File.ReadAllText(Path.Combine(ExportTableTests.Root(), "fcgi.cmd"));
        Assert.That(cmd, Does.Contain(@"dotnet build ""%ROOT%Cli\Cli.csproj"" -c Release"));
        Assert.That(cmd, Does.Contain(@"Cli\bin\Release\net10.0\fcgi.exe"));
        Assert.That(cmd, Does.Contain("\r\n"), "a .cmd file has CRLF line ends");
    }
}
