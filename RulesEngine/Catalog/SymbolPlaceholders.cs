using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Catalog;

/// <summary>
/// Expands the placeholders of an owner's `symbols:` text for one module of one crash. The knowledge
/// (file names, URLs) stays in the catalog YAML; this only fills in the values:
/// {module} image file name · {engine_name} · {file_version} · {version} (x.y.z of the file version) ·
/// {php_version} (x.y.z of the PHP core DLL of the crash) · {ts} TS/NTS · {nts} "nts-" or "" (as in the
/// debug pack name) · {compiler} vc11/vc14/vc15/vs16/vs17 · {arch} x64/x86.
/// A value that cannot be known is written as &lt;…unknown…&gt; so the reader sees what to look up.
/// </summary>
public static partial class SymbolPlaceholders
{
    [GeneratedRegex(@"^php(?<major>[5-8])(?<ts>ts)?$", RegexOptions.IgnoreCase)]
    private static partial Regex PhpCoreName();

    [GeneratedRegex(@"\{(?<name>[a-z_]+)\}")]
    private static partial Regex Placeholder();

    // php_xdebug-3.3.1-8.3-vs16-x86_64 → PHP 8.3, vs16; php_pdo_sqlsrv_83_ts_x64 → PHP 8.3, ts, x64
    [GeneratedRegex(@"[-_](?<major>[5-8])[._]?(?<minor>\d)(?:[-_]|$)")]
    private static partial Regex PhpVersionInName();

    public static string Expand(string text, ModuleInfo module, CrashReport crash)
    {
        var php = FindPhpCore(module, crash);
        return Placeholder().Replace(text, m => m.Groups["name"].Value switch
        {
            "module" => module.FileName is { } f ? ModuleNames.FileName(f) : module.Name ?? "<module>",
            "engine_name" => module.Name ?? ModuleNames.EngineName(module.FileName) ?? "<module>",
            "file_version" => module.FileVersion ?? "<file version unknown: run lmvm " + (module.Name ?? module.FileName) + ">",
            "version" => ShortVersion(module.FileVersion) ?? "<version unknown: run lmvm " + (module.Name ?? module.FileName) + ">",
            "php_version" => PhpVersion(php) ?? "<PHP version unknown: run php -v, or lmvm php8ts / php8>",
            "ts" => ThreadSafe(php, module) switch { true => "TS", false => "NTS", _ => "<TS or NTS unknown>" },
            "nts" => ThreadSafe(php, module) switch { true => "", false => "nts-", _ => "<'nts-' for a non-thread-safe build, nothing for TS>" },
            "compiler" => Compiler(php, module) ?? "<compiler unknown: vs16 for PHP 8.0-8.3, vs17 for 8.4+>",
            "arch" => Arch(module, crash) ?? "<x64 or x86>",
            _ => m.Value,
        });
    }

    /// <summary>The PHP core DLL (php8ts.dll, php8.dll, php7ts.dll, …) of the crash: the module itself when it is one.</summary>
    public static ModuleInfo? FindPhpCore(ModuleInfo module, CrashReport crash)
    {
        if (IsPhpCore(module)) return module;
        return crash.Modules.FirstOrDefault(IsPhpCore);
    }

    public static bool IsPhpCore(ModuleInfo m) => PhpCoreName().IsMatch(m.Name ?? ModuleNames.EngineName(m.FileName) ?? "");

    /// <summary>Compiler of the official Windows builds by PHP version (https://windows.php.net/download/,
    /// https://wiki.php.net/internals/windows/stepbystepbuild_sdk_2): 5.5/5.6 vc11, 7.0/7.1 vc14,
    /// 7.2-7.4 vc15, 8.0-8.3 vs16, 8.4 and later vs17.</summary>
    public static string? CompilerFor(int major, int minor) => (major, minor) switch
    {
        (5, >= 5) => "vc11",
        (5, >= 3) => "vc9",
        (7, <= 1) => "vc14",
        (7, _) => "vc15",
        (8, <= 3) => "vs16",
        (8, _) or (> 8, _) => "vs17",
        _ => null,
    };

    private static string? ShortVersion(string? fileVersion)
    {
        if (fileVersion is null) return null;
        var m = Regex.Match(fileVersion, @"^\s*(\d+)\.(\d+)(?:\.(\d+))?");
        if (!m.Success) return null;
        return m.Groups[3].Success ? $"{m.Groups[1].Value}.{m.Groups[2].Value}.{m.Groups[3].Value}" : $"{m.Groups[1].Value}.{m.Groups[2].Value}";
    }

    private static string? PhpVersion(ModuleInfo? php) => php is null ? null : ShortVersion(php.FileVersion);

    private static (int Major, int Minor)? PhpMajorMinor(ModuleInfo? php, ModuleInfo module)
    {
        if (PhpVersion(php) is { } v)
        {
            var parts = v.Split('.');
            return (int.Parse(parts[0]), int.Parse(parts[1]));
        }
        var name = module.Name ?? ModuleNames.EngineName(module.FileName) ?? "";
        var m = PhpVersionInName().Match(name);
        return m.Success ? (int.Parse(m.Groups["major"].Value), int.Parse(m.Groups["minor"].Value)) : null;
    }

    private static bool? ThreadSafe(ModuleInfo? php, ModuleInfo module)
    {
        if (php is not null)
            return PhpCoreName().Match(php.Name ?? ModuleNames.EngineName(php.FileName) ?? "").Groups["ts"].Success;
        var name = (module.Name ?? ModuleNames.EngineName(module.FileName) ?? "").ToLowerInvariant();
        if (name.Contains("_nts")) return false;
        if (name.Contains("_ts_") || name.EndsWith("_ts", StringComparison.Ordinal)) return true;
        return null;
    }

    private static string? Compiler(ModuleInfo? php, ModuleInfo module)
    {
        var name = (module.Name ?? ModuleNames.EngineName(module.FileName) ?? "").ToLowerInvariant();
        var inName = Regex.Match(name, @"(?:^|_)(vc\d\d|vs\d\d)(?:_|$)");
        if (php is null && inName.Success) return inName.Groups[1].Value;
        return PhpMajorMinor(php, module) is { } v ? CompilerFor(v.Major, v.Minor) : null;
    }

    private static string? Arch(ModuleInfo module, CrashReport crash)
    {
        switch (crash.Process.Architecture)
        {
            case Architecture.X64: return "x64";
            case Architecture.X86: return "x86";
        }
        if (module.Base is > 0xFFFFFFFFUL) return "x64";
        var name = (module.Name ?? ModuleNames.EngineName(module.FileName) ?? "").ToLowerInvariant();
        if (name.Contains("x86_64") || name.Contains("x64")) return "x64";
        if (name.Contains("x86")) return "x86";
        return null;
    }
}
