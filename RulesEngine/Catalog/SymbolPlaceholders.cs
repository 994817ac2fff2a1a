using System.Globalization;
using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Catalog;

/// <summary>
/// Expands the placeholders of an owner's `symbols:` (and `advice:`) text for one module of one crash. The knowledge
/// (which zip, which URL) stays in the catalog YAML; this fills in the facts of the crash and spells the official
/// file names of windows.php.net exactly:
/// {module} image file name · {engine_name} · {file_version} · {version} (x.y.z of the file version) ·
/// {php_version} (x.y.z of the crash's PHP DLL) · {php_minor} (x.y) · {ts} TS/NTS · {nts} "nts-" or "" ·
/// {compiler} vc11…vs17 · {arch} x64/x86 · {debug_pack} the PHP debug pack's file name · {ext} / {ext_version} /
/// {pecl_zip} a PECL extension's name, version and Windows zip · {pdb} / {pdb_guid} / {pdb_age} /
/// {pdb_store_path} / {pdb_identity} the module's CodeView identity and where a symbol store keeps its PDB.
/// A fact the crash does not hold becomes a short &lt;…&gt; token, and one sentence at the end says how to read it.
/// </summary>
public static partial class SymbolPlaceholders
{
    [GeneratedRegex(@"^php(?<major>[5-8])(?<ts>ts)?$", RegexOptions.IgnoreCase)]
    private static partial Regex PhpCoreName();

    [GeneratedRegex(@"\{(?<name>[a-z_]+)\}")]
    private static partial Regex Placeholder();

    // php_xdebug-3.3.1-8.3-vs16-x86_64 → PHP 8.3, vs16; php_pdo_sqlsrv_83_ts_x64 → PHP 8.3, ts, x64. Every place a
    // PHP version could be (lookarounds: two can share a separator), for PhpVersionFromName to choose among.
    [GeneratedRegex(@"(?<=[-_])(?<major>[5-8])[._]?(?<minor>\d)(?=[-_]|$)")]
    private static partial Regex PhpVersionInName();

    // What follows a PHP version in a build's name: thread safety or the compiler (…_7_3_vc15_x86_64, …_83_ts_x64).
    [GeneratedRegex(@"\G[-_](?:ts|nts|zts|vc\d|vs\d)", RegexOptions.IgnoreCase)]
    private static partial Regex BuildTagAfter();

    // A versioned extension file name as xdebug.org ships them: php_xdebug-3.3.1-8.3-vs16-x86_64.dll (TS),
    // php_xdebug-3.3.1-8.3-vs16-nts-x86_64.dll (NTS); the PECL zip's DLL is plain php_xdebug.dll.
    [GeneratedRegex(@"^php_(?<ext>[a-z0-9_]+?)-(?<ver>\d+\.\d+[0-9a-z.]*)-(?<php>[5-8]\.\d+)-(?<rest>.+)$", RegexOptions.IgnoreCase)]
    private static partial Regex VersionedExtensionName();

    [GeneratedRegex(@"^php_(?<ext>[a-z0-9_]+)$", RegexOptions.IgnoreCase)]
    private static partial Regex PlainExtensionName();

    /// <summary>Every placeholder name Expand fills in (a catalog text's other {…} stay as written).</summary>
    public static readonly IReadOnlySet<string> Names = new HashSet<string>(StringComparer.Ordinal)
    {
        "module", "engine_name", "file_version", "version", "php_version", "php_minor", "ts", "nts", "compiler", "arch",
        "debug_pack", "ext", "ext_version", "pecl_zip", "pdb", "pdb_guid", "pdb_age", "pdb_store_path", "pdb_identity",
    };

    /// <summary>
    /// The PHP version a build's name gives, or null when it does not say which of its numbers that is. An extension's
    /// own version comes first in its name (php_tideways_xhprof_5_0_0_master_39806cc8_7_3_vc15_x86_64 is tideways 5.0.0 for
    /// PHP 7.3), and x86_64's "64" is no PHP 6.4. The PHP version is the number a thread-safety or compiler tag follows;
    /// without one, the only number that stands alone (not part of a longer version such as 7_4_8_1).
    /// </summary>
    public static (int Major, int Minor)? PhpVersionFromName(string name)
    {
        Match? tagged = null;
        var alone = new List<Match>();
        foreach (Match m in PhpVersionInName().Matches(name))
        {
            int end = m.Index + m.Length;
            if (m.Index >= 4 && name.AsSpan(m.Index - 4, 3).Equals("x86", StringComparison.OrdinalIgnoreCase)) continue;
            if (BuildTagAfter().IsMatch(name, end)) { tagged ??= m; continue; }
            bool digitAfter = end + 1 < name.Length && char.IsAsciiDigit(name[end + 1]);
            bool digitBefore = m.Index >= 2 && char.IsAsciiDigit(name[m.Index - 2]);
            if (!digitAfter && !digitBefore) alone.Add(m);
        }
        var chosen = tagged ?? (alone.Count == 1 ? alone[0] : null);
        return chosen is null ? null : (Int(chosen.Groups["major"].Value), Int(chosen.Groups["minor"].Value));
    }

    public static string Expand(string text, ModuleInfo module, CrashReport crash)
    {
        var f = new Facts(module, crash);
        var expanded = Placeholder().Replace(text, m => f.Value(m.Groups["name"].Value) ?? m.Value);
        return f.HowToReadMissing() is { } sentence ? expanded.TrimEnd() + " " + sentence : expanded;
    }

    /// <summary>The PHP core DLL (php8ts.dll, php8.dll, php7ts.dll, …) of the crash: the module itself when it is one.</summary>
    public static ModuleInfo? FindPhpCore(ModuleInfo module, CrashReport crash)
    {
        if (IsPhpCore(module)) return module;
        return crash.Modules.FirstOrDefault(IsPhpCore);
    }

    public static bool IsPhpCore(ModuleInfo m) => PhpCoreName().IsMatch(m.Name ?? ModuleNames.EngineName(m.FileName) ?? "");

    /// <summary>Compiler of the official Windows builds by PHP version (https://windows.php.net/download/,
    /// https://wiki.php.net/internals/windows/stepbystepbuild_sdk_2): 5.3/5.4 vc9, 5.5/5.6 vc11, 7.0/7.1 vc14,
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

    /// <summary>The Visual Studio toolset an image's linker version "major.minor" comes from: 9.0 vc9 (VS 2008),
    /// 11.0 vc11 (2012), 14.0 vc14 (2015), 14.1x vc15 (2017), 14.2x vs16 (2019), 14.3x and later vs17 (2022).</summary>
    public static string? CompilerForLinker(string? linkerVersion)
    {
        var m = Regex.Match(linkerVersion ?? "", @"^\s*(\d+)\.(\d+)");
        if (!m.Success) return null;
        return (Int(m.Groups[1].Value), Int(m.Groups[2].Value)) switch
        {
            (9, _) => "vc9",
            (11, _) => "vc11",
            (14, < 10) => "vc14",
            (14, < 20) => "vc15",
            (14, < 30) => "vs16",
            (14, _) or (> 14, _) => "vs17",
            _ => null,
        };
    }

    /// <summary>The debug pack's file name on windows.php.net, e.g. php-debug-pack-8.3.4-nts-Win32-vs16-x64.zip.
    /// The compiler is spelled as the release archive spells it: "VC11"/"VC14"/"VC15" in upper case up to PHP 7.3
    /// (php-debug-pack-5.6.40-nts-Win32-VC11-x64.zip, php-debug-pack-7.3.27-nts-Win32-VC15-x86.zip), lower case from
    /// 7.4 (php-debug-pack-7.4.15-nts-Win32-vc15-x86.zip; the first 7.4 builds were still named VC15) and for vs16/vs17.</summary>
    public static string DebugPackName(string phpVersion, bool threadSafe, string compiler, string arch) =>
        DebugPack(phpVersion, threadSafe ? "" : "nts-", compiler, arch);

    static string DebugPack(string phpVersion, string ntsPart, string compiler, string arch)
    {
        var v = phpVersion.Split('.');
        bool upper = compiler.StartsWith("vc", StringComparison.OrdinalIgnoreCase) && v.Length >= 2 &&
            int.TryParse(v[0], out var major) && int.TryParse(v[1], out var minor) && (major < 7 || major == 7 && minor < 4);
        var c = upper ? compiler.ToUpperInvariant() : compiler.StartsWith('<') ? compiler : compiler.ToLowerInvariant();
        return $"php-debug-pack-{phpVersion}-{ntsPart}Win32-{c}-{arch}.zip";
    }

    /// <summary>A PECL extension's Windows zip, as https://windows.php.net/downloads/pecl/releases/&lt;ext&gt;/&lt;version&gt;/
    /// names it: php_apcu-5.1.23-8.3-ts-vs16-x64.zip, php_xdebug-2.5.5-7.1-nts-vc14-x86.zip (compiler in lower case).</summary>
    public static string PeclZipName(string ext, string extVersion, string phpMinor, bool threadSafe, string compiler, string arch) =>
        PeclZip(ext, extVersion, phpMinor, threadSafe ? "ts" : "nts", compiler, arch);

    static string PeclZip(string ext, string extVersion, string phpMinor, string ts, string compiler, string arch) =>
        $"php_{ext}-{extVersion}-{phpMinor}-{ts}-{(compiler.StartsWith('<') ? compiler : compiler.ToLowerInvariant())}-{arch}.zip";

    private static string? ShortVersion(string? fileVersion)
    {
        if (fileVersion is null) return null;
        var m = Regex.Match(fileVersion, @"^\s*(\d+)\.(\d+)(?:\.(\d+))?");
        if (!m.Success) return null;
        var xy = $"{m.Groups[1].Value}.{m.Groups[2].Value}";
        return m.Groups[3].Success ? $"{xy}.{m.Groups[3].Value}" : xy;
    }

    private static int Int(string digits) => int.Parse(digits, CultureInfo.InvariantCulture);

    /// <summary>What one expansion knows, and which facts it had to leave as &lt;…&gt; tokens.</summary>
    private sealed class Facts(ModuleInfo module, CrashReport crash)
    {
        readonly ModuleInfo? php = FindPhpCore(module, crash);
        bool missingPhp, missingModuleVersion, missingIdentity, missingArch, missingGuidAge;

        string Engine(ModuleInfo m) => m.Name ?? ModuleNames.EngineName(m.FileName) ?? "";
        // The PHP core DLL's engine name is its file name without ".dll" (php8ts → php8ts.dll); other names may hide dots.
        string ModuleFile => module.FileName is { } f ? ModuleNames.FileName(f)
            : module.Name is { } n ? (IsPhpCore(module) ? n + ".dll" : n) : "<module>";
        string ModuleCommandName => module.Name ?? ModuleNames.EngineName(module.FileName) ?? ModuleFile;

        public string? Value(string name)
        {
            switch (name)
            {
                case "module": return ModuleFile;
                case "engine_name": return module.Name ?? ModuleNames.EngineName(module.FileName) ?? "<module>";
                case "file_version": return module.FileVersion ?? ModuleVersionToken();
                case "version": return ShortVersion(module.FileVersion ?? module.ProductVersion) ?? ModuleVersionToken();
                case "php_version": return PhpVersion ?? PhpToken("<PHP version>");
                case "php_minor": return PhpMinor is { } pm ? $"{pm.Major}.{pm.Minor}" : PhpToken("<PHP x.y>");
                case "ts": return ThreadSafe switch { true => "TS", false => "NTS", _ => PhpToken("<TS|NTS>") };
                case "nts": return ThreadSafe switch { true => "", false => "nts-", _ => PhpToken("<nts->") };
                case "compiler": return Compiler ?? PhpToken("<compiler>");
                case "arch": return Arch ?? ArchToken();
                case "debug_pack":
                    return DebugPack(Value("php_version")!, Value("nts")!, Value("compiler")!, Value("arch")!);
                case "ext": return Extension ?? "<extension>";
                case "ext_version": return ExtensionVersion ?? ModuleVersionToken();
                case "pecl_zip":
                    return PeclZip(Extension ?? "<extension>", Value("ext_version")!, Value("php_minor")!,
                        ThreadSafe switch { true => "ts", false => "nts", _ => PhpToken("<ts|nts>") }, Value("compiler")!, Value("arch")!);
                case "pdb": return module.PdbName ?? IdentityToken("<PDB name>");
                case "pdb_guid": return module.PdbGuid is { } g ? g.ToString("B").ToUpperInvariant() : IdentityToken("<GUID>");
                case "pdb_age": return module.PdbAge is { } a ? a.ToString(CultureInfo.InvariantCulture) : IdentityToken("<age>");
                case "pdb_store_path": return StorePath ?? IdentityToken("<pdb>/<GUID><age>/<pdb>");
                case "pdb_identity":
                    if (StorePath is { } path)
                        return $"{module.PdbName} (GUID {module.PdbGuid!.Value.ToString("B").ToUpperInvariant()}, age {module.PdbAge}; " +
                               $"symbol store path {path})";
                    if (module.PdbName is null) return IdentityToken("<PDB name>") + " with its GUID and age";
                    missingGuidAge = true;
                    return module.PdbName + " with its GUID and age";
                default: return null;
            }
        }

        string? StorePath =>
            module.PdbName is { } n && module.PdbGuid is { } g && module.PdbAge is { } a ? SymbolStore.PdbPath(n, g, a) : null;

        string PhpToken(string token) { missingPhp = true; return token; }
        string ModuleVersionToken() { missingModuleVersion = true; return "<version>"; }
        string IdentityToken(string token) { missingIdentity = true; return token; }
        string ArchToken() { missingArch = true; return "<x64|x86>"; }

        string? PhpVersion =>
            php is not null && ShortVersion(php.FileVersion ?? php.ProductVersion) is { } v && v.Count(c => c == '.') == 2 ? v : null;

        (int Major, int Minor)? PhpMinor
        {
            get
            {
                if (php is not null && ShortVersion(php.FileVersion ?? php.ProductVersion) is { } v)
                {
                    var parts = v.Split('.');
                    return (Int(parts[0]), Int(parts[1]));
                }
                if (Versioned is { } vn)
                {
                    var parts = vn.Groups["php"].Value.Split('.');
                    return (Int(parts[0]), Int(parts[1]));
                }
                return PhpVersionFromName(Engine(module));
            }
        }

        /// <summary>The versioned file name split up, when the module has one (php_xdebug-3.3.1-8.3-vs16-x86_64.dll).</summary>
        Match? Versioned => Stem is { } stem && VersionedExtensionName().Match(stem) is { Success: true } m ? m : null;

        /// <summary>The image file name without ".dll"; without a file name, the PDB's name when the engine name is made
        /// from it (lml shows php_xdebug-3.3.1-8.3-vs16-x86_64.pdb for module php_xdebug_3_3_1_8_3_vs16_x86_64).</summary>
        string? Stem
        {
            get
            {
                if (module.FileName is { } f)
                    return ModuleNames.FileName(f) is var n && n.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? n[..^4] : n;
                if (module.PdbName is { } pdb && module.Name is { } engine && ModuleNames.Same(ModuleNames.EngineName(pdb), engine))
                    return ModuleNames.FileName(pdb)[..^4];
                return null;
            }
        }

        /// <summary>The extension's name: php_apcu.dll → apcu, php_xdebug-3.3.1-8.3-vs16-x86_64.dll → xdebug.</summary>
        string? Extension
        {
            get
            {
                if (Stem is { } stem && stem.Contains('-'))
                    return stem.StartsWith("php_", StringComparison.OrdinalIgnoreCase)
                        ? stem[4..stem.IndexOf('-')].ToLowerInvariant() : null;
                // Without a file name an engine name with digits may hide a version (php_xdebug_3_3_1_…): no guess.
                var candidate = Stem ?? (Regex.IsMatch(Engine(module), @"_\d") ? null : Engine(module));
                var m = PlainExtensionName().Match(candidate ?? "");
                return m.Success ? m.Groups["ext"].Value.ToLowerInvariant() : null;
            }
        }

        /// <summary>The version in a versioned file name (php_tideways_xhprof-5.0.0-master-… → 5.0.0), else the file
        /// version's x.y.z.</summary>
        string? ExtensionVersion
        {
            get
            {
                if (Stem is { } stem && stem.Split('-') is { Length: > 1 } parts && Regex.IsMatch(parts[1], @"^\d+\.\d+")) return parts[1];
                return ShortVersion(module.FileVersion ?? module.ProductVersion);
            }
        }

        bool? ThreadSafe
        {
            get
            {
                if (php is not null)
                    return PhpCoreName().Match(Engine(php)).Groups["ts"].Success;
                var name = Engine(module).ToLowerInvariant();
                if (name.Contains("_nts", StringComparison.Ordinal)) return false;
                if (name.Contains("_ts_", StringComparison.Ordinal) || name.EndsWith("_ts", StringComparison.Ordinal)) return true;
                // xdebug.org's names mark only NTS builds ("-nts-"); without it the build is thread safe.
                if (Versioned is not null) return true;
                return null;
            }
        }

        string? Compiler
        {
            get
            {
                // The official builds of a known PHP version use one compiler; a PECL zip for it uses the same.
                if (php is not null && PhpMinor is { } v && CompilerFor(v.Major, v.Minor) is { } official) return official;
                var inName = Regex.Match(Engine(module).ToLowerInvariant(), @"(?:^|_)(vc\d\d?|vs\d\d)(?:_|$)");
                if (inName.Success) return inName.Groups[1].Value;
                if (PhpMinor is { } n && CompilerFor(n.Major, n.Minor) is { } byName) return byName;
                return CompilerForLinker(php?.LinkerVersion) ?? CompilerForLinker(module.LinkerVersion);
            }
        }

        string? Arch
        {
            get
            {
                switch (crash.Process.Architecture)
                {
                    case Architecture.X64: return "x64";
                    case Architecture.X86: return "x86";
                }
                if (module.Base is > 0xFFFFFFFFUL || php?.Base is > 0xFFFFFFFFUL) return "x64";
                var name = Engine(module).ToLowerInvariant();
                if (name.Contains("x86_64", StringComparison.Ordinal) || name.Contains("x64", StringComparison.Ordinal)) return "x64";
                if (name.Contains("x86", StringComparison.Ordinal)) return "x86";
                return null;
            }
        }

        /// <summary>One sentence naming the debugger commands (or the file's properties) that show the facts left as
        /// &lt;…&gt; tokens; null when nothing is missing.</summary>
        public string? HowToReadMissing()
        {
            var commands = new List<string>();
            if (missingPhp) commands.Add(php is null ? "`lm m php*` (then `lmvm` on the php8ts/php8 DLL)" : $"`lmvm {Engine(php)}`");
            if (missingModuleVersion && !(missingPhp && php is not null && ReferenceEquals(php, module)))
                commands.Add($"`lmvm {ModuleCommandName}`");
            if (missingIdentity) commands.Add($"`!lmi {ModuleCommandName}` (its CodeView GUID, age and PDB name)");
            if (missingArch) commands.Add("`.effmach` (x64 or x86)");
            if (commands.Count == 0)
                return missingGuidAge ? $"`!lmi {ModuleCommandName}` in the debugger shows them (the CodeView GUID and age)." : null;
            var list = commands.Count == 1 ? commands[0] : string.Join(", ", commands.Take(commands.Count - 1)) + " and " + commands[^1];
            var file = missingPhp && php is not null ? ModuleNames.FileName(php.FileName ?? php.Name + ".dll")
                : !missingModuleVersion ? null : module.FileName is not null || IsPhpCore(module) ? ModuleFile : "the file";
            var props = file is null ? "" : $", or check {file}'s properties (Details tab)";
            return $"To fill in the <…> parts, run {list} in the debugger{props}.";
        }
    }
}
