using System.Globalization;
using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>
/// `lm`, `lml`, `lmv`, `lmvm x` output. Starts at the "start end module name" header (or, headerless, at a
/// module line with a symbol status in parentheses); lmv's indented detail lines (Image path, Image name,
/// Timestamp, File version, Symbol file…) belong to the module line above them. "Unloaded modules:" lines
/// are read too (file name only) because a crash can land in a module that is gone. `!lmi` blocks ("Loaded Module
/// Info:") give the CodeView identity: the PDB name, GUID and age of the image's RSDS record.
/// </summary>
internal sealed partial class ModuleListReader : IBlockReader
{
    public int TryRead(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder, ReadState state)
    {
        var first = lines[start];
        if (first.Command is not null) return 0;
        if (LmiHeader().IsMatch(first.Trimmed)) return ReadLmi(lines, start, builder);
        var modLoad = ModLoad().Match(first.Trimmed);
        if (modLoad.Success)
        {
            // "ModLoad: 00007ffa`5d5c0000 00007ffa`5de56000   S:\_\php7ts.dll" (the debugger's load events).
            var path = modLoad.Groups["path"].Value.Trim();
            var file = ModuleNames.FileName(path);
            var b = Hex.Parse(modLoad.Groups["start"].Value);
            var e = Hex.Parse(modLoad.Groups["end"].Value);
            builder.AddModule(new ModuleInfo
            {
                FileName = file, Name = ModuleNames.EngineName(file), Path = path.Contains('\\') || path.Contains('/') ? path : null,
                Base = b, Size = b is not null && e > b ? e - b : null,
            });
            builder.AddKind("windbg-text");
            return 1;
        }
        bool header = Header().IsMatch(first.Trimmed);
        bool unloadedHeader = first.Trimmed.StartsWith("Unloaded modules:", StringComparison.OrdinalIgnoreCase);
        if (!header && !unloadedHeader && ParseModuleLine(first.Trimmed) is not { HasStatus: true }) return 0;

        int i = header || unloadedHeader ? start + 1 : start;
        ModuleInfo? current = null;
        bool unloaded = unloadedHeader, any = false;
        void Flush() { if (current is not null) { builder.AddModule(current); any = true; current = null; } }
        while (i < lines.Count)
        {
            var line = lines[i];
            if (line.Command is not null) break;
            var text = line.Trimmed;
            if (text.Length == 0)
            {
                // lmv separates nothing with blank lines, but "Unloaded modules:" often follows one.
                if (i + 1 < lines.Count && lines[i + 1].Trimmed.StartsWith("Unloaded modules", StringComparison.OrdinalIgnoreCase)) { i++; continue; }
                break;
            }
            if (text.StartsWith("Unloaded modules", StringComparison.OrdinalIgnoreCase)) { Flush(); unloaded = true; i++; continue; }
            if (SymbolWarnings.TryHandle(text, builder)) { i++; continue; }
            if (ParseModuleLine(line.Trimmed) is { } ml)
            {
                Flush();
                current = ml.Module;
                if (unloaded) current = current with { FileName = current.FileName ?? current.Name, Name = ModuleNames.EngineName(current.Name) };
                i++;
                continue;
            }
            if (current is not null && Detail().Match(text) is { Success: true } d)
            {
                current = ApplyDetail(current, d.Groups["key"].Value, d.Groups["value"].Value.Trim());
                i++;
                continue;
            }
            if (current is not null && IgnoredDetail().IsMatch(text)) { i++; continue; }
            // An unusable line: skipped when more modules follow, else the end of the list.
            if (i + 1 < lines.Count && ParseModuleLine(lines[i + 1].Trimmed) is not null) { builder.Skip(line); i++; continue; }
            break;
        }
        Flush();
        if (any) builder.AddKind("windbg-text");
        return Math.Max(1, i - start);
    }

    internal sealed record ModuleLine(ModuleInfo Module, bool HasStatus);

    internal static ModuleLine? ParseModuleLine(string text)
    {
        var m = ModuleLineRegex().Match(text.Trim());
        if (!m.Success) return null;
        var b = Hex.Parse(m.Groups["start"].Value);
        var e = Hex.Parse(m.Groups["end"].Value);
        if (b is null || e is null || e < b) return null;
        var name = m.Groups["name"].Value;
        var status = m.Groups["status"].Success ? m.Groups["status"].Value.Trim().ToLowerInvariant() : null;
        bool mismatchFlag = m.Groups["flags"].Value.Contains('M');
        var symbols = status switch
        {
            null => SymbolStatus.Unknown,
            "private pdb symbols" => SymbolStatus.PrivatePdb,
            "pdb symbols" or "public pdb symbols" => SymbolStatus.PublicPdb,
            "export symbols" => SymbolStatus.ExportOnly,
            "no symbols" => SymbolStatus.None,
            "deferred" => SymbolStatus.Deferred,
            "mismatched" or "mismatched symbols" => SymbolStatus.Mismatched,
            "coff symbols" or "codeview symbols" or "sym symbols" or "symbols" => SymbolStatus.PublicPdb,
            _ => SymbolStatus.Unknown,
        };
        if (mismatchFlag && symbols != SymbolStatus.Deferred) symbols = SymbolStatus.Mismatched;
        var tail = m.Groups["tail"].Success ? m.Groups["tail"].Value.Trim() : "";
        string? pdb = null, fileName = null;
        if (tail.Length > 0)
        {
            if (tail.EndsWith(".pdb", StringComparison.OrdinalIgnoreCase) || tail.EndsWith(".dbg", StringComparison.OrdinalIgnoreCase)) pdb = tail;
            else if (symbols == SymbolStatus.ExportOnly || symbols == SymbolStatus.None || Path.HasExtension(tail)) fileName = ModuleNames.FileName(tail);
        }
        var info = WithStoreIdentity(new ModuleInfo
        {
            Name = name,
            FileName = fileName,
            Path = fileName is not null && (tail.Contains('\\') || tail.Contains('/')) ? tail : null,
            Base = b,
            Size = e - b,
            Symbols = symbols,
            SymbolFile = pdb,
            PdbName = pdb is null ? null : ModuleNames.FileName(pdb),
        }, pdb);
        return new ModuleLine(info, status is not null);
    }

    static ModuleInfo ApplyDetail(ModuleInfo m, string key, string value)
    {
        switch (key.ToLowerInvariant())
        {
            case "image path": return m with { Path = value };
            case "image name": return m with { FileName = value };
            case "timestamp":
                // "Wed Jan 30 13:47:49 2019 (5C51FF65)", or with /Brepro "3C514ED3 (This is a reproducible build file hash…)".
                var ts = Regex.Match(value, @"\(([0-9A-Fa-f]{1,8})\)|^([0-9A-Fa-f]{8})\b");
                if (!ts.Success) return m;
                return m with { Timestamp = (uint)Hex.Parse(ts.Groups[1].Success ? ts.Groups[1].Value : ts.Groups[2].Value)! };
            case "imagesize": return Hex.Parse(value) is { } size ? m with { Size = size } : m;
            case "file version": return value.Length > 0 ? m with { FileVersion = value } : m;
            case "product version": return value.Length > 0 ? m with { ProductVersion = value } : m;
            case "symbol file": case "loaded symbol image file":
                // lmv names the image here unless a PDB was loaded ("Loaded symbol image file: openvr_api.dll").
                if (value.EndsWith(".pdb", StringComparison.OrdinalIgnoreCase))
                    return WithStoreIdentity(m with { SymbolFile = value, PdbName = ModuleNames.FileName(value) }, value);
                return m;
            case "pdb name": return m with { PdbName = value };
            case "pdb guid": return Guid.TryParse(value.Trim('{', '}'), out var g) ? m with { PdbGuid = g } : m;
            case "pdb age": return uint.TryParse(value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var age) ? m with { PdbAge = age } : m;
            default: return m;
        }
    }

    /// <summary>A PDB loaded from a symbol store or cache (…\php8ts.pdb\&lt;GUID&gt;&lt;age&gt;\php8ts.pdb) tells its
    /// GUID and age.</summary>
    static ModuleInfo WithStoreIdentity(ModuleInfo m, string? pdbPath) =>
        SymbolStore.TryParsePdbPath(pdbPath, out var name, out var guid, out var age)
            ? m with { PdbName = m.PdbName ?? name, PdbGuid = m.PdbGuid ?? guid, PdbAge = m.PdbAge ?? age }
            : m;

    // ---- !lmi ----
    // Loaded Module Info: [nt]
    //          Module: ntkrpamp
    //    Base Address: 82608000
    //      Image Name: ntkrpamp.exe
    //    Machine Type: 332 (I386)
    //      Time Stamp: 4ce78a09 Sat Nov 20 14:12:49 2010
    //            Size: 412000
    // Debug Data Dirs: Type  Size     VA  Pointer
    //              CODEVIEW    25, 11e03c,  11d83c RSDS - GUID: {684DA42A-30CC-450F-81C5-35B4D18944B1}
    //                Age: 2, Pdb: ntkrpamp.pdb
    //     Symbol Type: PDB      - Symbols loaded successfully from image header.
    //                  C:\…\sym\ntkrpamp.pdb\684DA42A30CC450F81C535B4D18944B12\ntkrpamp.pdb
    // (field layout of http://jumpdollar.blogspot.com/2014/08/windbg-lmi-command.html and the !lmi page of the
    // debugger documentation). The block ends at a blank line, a command, or an unindented line that is no field.

    int ReadLmi(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder)
    {
        var m = new ModuleInfo();
        string? symbolType = null, loadReport = null, lastKey = null, storePath = null;
        uint? cvAge = null;
        int i = start + 1;
        for (; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.Command is not null) break;
            var text = line.Trimmed;
            if (text.Length == 0) break;
            var f = LmiField().Match(text);
            if (f.Success)
            {
                lastKey = f.Groups["key"].Value.ToLowerInvariant();
                var value = f.Groups["value"].Value.Trim();
                switch (lastKey)
                {
                    case "module": m = m with { Name = value.Length > 0 ? value : null }; break;
                    case "base address": m = m with { Base = Hex.Parse(value.Split(' ')[0]) }; break;
                    case "image name":
                        if (value.Length > 0)
                        {
                            bool isPath = value.Contains('\\') || value.Contains('/');
                            m = m with { FileName = ModuleNames.FileName(value), Path = isPath ? value : m.Path };
                        }
                        break;
                    case "time stamp":
                        if (Hex.Parse(value.Split(' ')[0]) is { } ts and <= uint.MaxValue) m = m with { Timestamp = (uint)ts };
                        break;
                    case "size": m = m with { Size = Hex.Parse(value.Split(' ')[0]) }; break;
                    case "machine type":
                        var machine = value.ToUpperInvariant();
                        if (machine.Contains("I386", StringComparison.Ordinal)) builder.SetArchitecture(Architecture.X86);
                        else if (machine.Contains("AMD64", StringComparison.Ordinal) || machine.Contains("X64", StringComparison.Ordinal))
                            builder.SetArchitecture(Architecture.X64);
                        break;
                    case "symbol type": symbolType = value; break;
                    case "load report": loadReport = value; break;
                }
                CodeView(text, ref m, ref cvAge);
                continue;
            }
            // Continuation lines: the CODEVIEW entry, its "Age: 2, Pdb: x.pdb" line, the symbol file path.
            bool indented = line.Text.Length > 0 && char.IsWhiteSpace(line.Text[0]);
            if (!indented && lastKey is null) break;
            if (!indented && !CodeViewGuid().IsMatch(text) && !CodeViewAge().IsMatch(text)) break;
            CodeView(text, ref m, ref cvAge);
            if (lastKey is "symbol type" or "load report" && text.EndsWith(".pdb", StringComparison.OrdinalIgnoreCase))
            {
                storePath ??= text;
                m = m with { SymbolFile = m.SymbolFile ?? text };
            }
        }
        // The store path holds the age in hex for sure; !lmi's own "Age:" digits are read as hex too (they agree
        // for ages below 10, the usual case) but the path wins when both are there.
        if (SymbolStore.TryParsePdbPath(storePath, out var sName, out var sGuid, out var sAge) && (m.PdbGuid is null || m.PdbGuid == sGuid))
            m = m with { PdbName = m.PdbName ?? sName, PdbGuid = sGuid, PdbAge = sAge };
        else if (cvAge is { } a)
            m = m with { PdbAge = a };
        m = m with { Symbols = LmiStatus(symbolType, loadReport) };
        if (m.Name is not null || m.FileName is not null) { builder.AddModule(m); builder.AddKind("windbg-text"); }
        return i - start;
    }

    static void CodeView(string text, ref ModuleInfo m, ref uint? age)
    {
        if (CodeViewGuid().Match(text) is { Success: true } g && Guid.TryParse(g.Groups["guid"].Value, out var guid))
            m = m with { PdbGuid = guid };
        if (CodeViewAge().Match(text) is { Success: true } a)
        {
            if (uint.TryParse(a.Groups["age"].Value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var n)) age = n;
            if (a.Groups["pdb"].Success && a.Groups["pdb"].Value.Trim() is { Length: > 0 } pdb)
                m = m with { PdbName = ModuleNames.FileName(pdb) };
        }
    }

    static SymbolStatus LmiStatus(string? symbolType, string? loadReport)
    {
        var t = (symbolType ?? "").ToUpperInvariant();
        var r = (loadReport ?? "").ToLowerInvariant();
        bool T(string s) => t.StartsWith(s, StringComparison.Ordinal);
        bool R(string s) => r.StartsWith(s, StringComparison.Ordinal);
        if (T("DEFERRED")) return SymbolStatus.Deferred;
        if (T("EXPORT") || R("export")) return SymbolStatus.ExportOnly;
        if (T("NONE") || R("no symbols")) return SymbolStatus.None;
        if (r.Contains("mismatch", StringComparison.Ordinal)) return SymbolStatus.Mismatched;
        if (R("private")) return SymbolStatus.PrivatePdb;
        if (T("PDB") || R("public")) return SymbolStatus.PublicPdb;
        return SymbolStatus.Unknown;
    }

    [GeneratedRegex(@"^Loaded Module Info:", RegexOptions.IgnoreCase)] private static partial Regex LmiHeader();
    [GeneratedRegex(@"^(?<key>Module|Base Address|Image Name|Machine Type|Time Stamp|Size|CheckSum|Characteristics|"
        + @"Debug Data Dirs|Image Type|Symbol Type|Load Report)\s*:\s*(?<value>.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex LmiField();
    // "CODEVIEW 25, 11e03c, 11d83c RSDS - GUID: {684DA42A-…}"; also "CV RSDS guid: {…} age: 2 pdb: x.pdb" on one line.
    [GeneratedRegex(@"\bGUID\s*:\s*\{?(?<guid>[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12})\}?", RegexOptions.IgnoreCase)]
    private static partial Regex CodeViewGuid();
    [GeneratedRegex(@"\bAge\s*:\s*(?<age>[0-9A-Fa-f]{1,8})\b(?:\s*,?\s*Pdb\s*:\s*(?<pdb>.+?))?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex CodeViewAge();

    [GeneratedRegex(@"^start\s+end\s+module name", RegexOptions.IgnoreCase)] private static partial Regex Header();
    [GeneratedRegex(@"^ModLoad:\s+(?<start>[0-9a-fA-F`]{8,17})\s+(?<end>[0-9a-fA-F`]{8,17})\s+(?<path>\S.*)$", RegexOptions.IgnoreCase)] private static partial Regex ModLoad();
    // "00007ffb`3c1b0000 00007ffb`3c5e0000   php8ts   M (private pdb symbols)  C:\sym\php8ts.pdb"
    [GeneratedRegex(@"^(?<start>[0-9a-fA-F]{8}(?:`?[0-9a-fA-F]{8})?)\s+(?<end>[0-9a-fA-F]{8}(?:`?[0-9a-fA-F]{8})?)\s+(?<name>[^\s()!+]+)(?=\s|$)(?:\s+(?<flags>[MC#T]{1,3}))?(?:\s+\((?<status>[^)]+)\))?(?:\s+(?<tail>.+))?$")]
    private static partial Regex ModuleLineRegex();
    [GeneratedRegex(@"^(?<key>Image path|Image name|Timestamp|ImageSize|File version|Product version|Symbol file|"
        + @"Loaded symbol image file|PDB name|PDB GUID|PDB age)\s*:\s*(?<value>.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex Detail();
    [GeneratedRegex(@"^(?:Browse all global symbols|CheckSum|File flags|File OS|File type|File date|Translations|"
        + @"Information from|CompanyName|ProductName|InternalName|OriginalFilename|ProductVersion|FileVersion|"
        + @"FileDescription|LegalCopyright|LegalTrademarks|Comments|PrivateBuild|SpecialBuild|Mapped memory image file|"
        + @"Image was built with|Machine|Timestamp|Loaded symbol image file|More info|Build)\b", RegexOptions.IgnoreCase)]
    private static partial Regex IgnoredDetail();
}
