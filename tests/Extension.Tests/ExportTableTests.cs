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
        ["DebugExtensionInitialize", "DebugExtensionNotify", "DebugExtensionUninitialize", "DotNetRuntimeDebugHeader", "fcgi", "fcgirules", "fcgisym", "help"];

    static string Root()
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

    [Test]
    public void Win_x64_dll_exports_exactly_the_entry_points()
    {
        string dll = Path.Combine(Root(), "artifacts", "win-x64", "fcgiext.dll");
        if (!File.Exists(dll)) dll = Run(Path.Combine(Root(), "scripts", "build-extension.sh"), "win-x64").Trim();
        string dump = Run("x86_64-w64-mingw32-objdump", "-p", dll);
        var table = dump[dump.IndexOf("[Ordinal/Name Pointer] Table", StringComparison.Ordinal)..];
        var names = Regex.Matches(table, @"^\s+\[\s*\d+\]\s+(\S+)\s*$", RegexOptions.Multiline).Select(m => m.Groups[1].Value)
            .Order(StringComparer.Ordinal).ToList();
        Assert.That(names, Is.EqualTo(Expected.Order(StringComparer.Ordinal).ToList()));
    }
}
