using System.Globalization;
using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>
/// `lm`, `lml`, `lmv`, `lmvm x` output. Starts at the "start end module name" header (or, headerless, at a
/// module line with a symbol status in parentheses); lmv's indented detail lines (Image path, Image name,
/// Timestamp, File version, Symbol file…) belong to the module line above them. "Unloaded modules:" lines
/// are read too (file name only) because a crash can land in a module that is gone.
/// </summary>
internal sealed partial class ModuleListReader : IBlockReader
{
    public int TryRead(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder, ReadState state)
    {
        var first = lines[start];
        if (first.Command is not null) return 0;
        var modLoad = ModLoad().Match(first.Text.Trim());
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
        bool header = Header().IsMatch(first.Text.Trim());
        bool unloadedHeader = first.Text.Trim().StartsWith("Unloaded modules:", StringComparison.OrdinalIgnoreCase);
        if (!header && !unloadedHeader && ParseModuleLine(first.Text) is not { HasStatus: true }) return 0;

        int i = header || unloadedHeader ? start + 1 : start;
        ModuleInfo? current = null;
        bool unloaded = unloadedHeader, any = false;
        void Flush() { if (current is not null) { builder.AddModule(current); any = true; current = null; } }
        while (i < lines.Count)
        {
            var line = lines[i];
            if (line.Command is not null) break;
            var text = line.Text.Trim();
            if (text.Length == 0)
            {
                // lmv separates nothing with blank lines, but "Unloaded modules:" often follows one.
                if (i + 1 < lines.Count && lines[i + 1].Text.Trim().StartsWith("Unloaded modules", StringComparison.OrdinalIgnoreCase)) { i++; continue; }
                break;
            }
            if (text.StartsWith("Unloaded modules", StringComparison.OrdinalIgnoreCase)) { Flush(); unloaded = true; i++; continue; }
            if (SymbolWarnings.TryHandle(text, builder)) { i++; continue; }
            if (ParseModuleLine(line.Text) is { } ml)
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
            if (i + 1 < lines.Count && ParseModuleLine(lines[i + 1].Text) is not null) { builder.Skip(line); i++; continue; }
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
        var info = new ModuleInfo
        {
            Name = name,
            FileName = fileName,
            Path = fileName is not null && (tail.Contains('\\') || tail.Contains('/')) ? tail : null,
            Base = b,
            Size = e - b,
            Symbols = symbols,
            SymbolFile = pdb,
            PdbName = pdb is null ? null : ModuleNames.FileName(pdb),
        };
        return new ModuleLine(info, status is not null);
    }

    static ModuleInfo ApplyDetail(ModuleInfo m, string key, string value)
    {
        switch (key.ToLowerInvariant())
        {
            case "image path": return m with { Path = value };
            case "image name": return m with { FileName = value };
            case "timestamp":
                var ts = Regex.Match(value, @"\(([0-9A-Fa-f]{1,8})\)");
                return ts.Success ? m with { Timestamp = (uint)Hex.Parse(ts.Groups[1].Value)! } : m;
            case "imagesize": return Hex.Parse(value) is { } size ? m with { Size = size } : m;
            case "file version": return m with { FileVersion = value };
            case "symbol file": case "loaded symbol image file":
                if (value.EndsWith(".pdb", StringComparison.OrdinalIgnoreCase))
                    return m with { SymbolFile = value, PdbName = ModuleNames.FileName(value) };
                return m;
            case "pdb name": return m with { PdbName = value };
            case "pdb guid": return Guid.TryParse(value.Trim('{', '}'), out var g) ? m with { PdbGuid = g } : m;
            case "pdb age": return uint.TryParse(value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var age) ? m with { PdbAge = age } : m;
            default: return m;
        }
    }

    [GeneratedRegex(@"^start\s+end\s+module name", RegexOptions.IgnoreCase)] private static partial Regex Header();
    [GeneratedRegex(@"^ModLoad:\s+(?<start>[0-9a-fA-F`]{8,17})\s+(?<end>[0-9a-fA-F`]{8,17})\s+(?<path>\S.*)$", RegexOptions.IgnoreCase)] private static partial Regex ModLoad();
    // "00007ffb`3c1b0000 00007ffb`3c5e0000   php8ts   M (private pdb symbols)  C:\sym\php8ts.pdb"
    [GeneratedRegex(@"^(?<start>[0-9a-fA-F]{8}(?:`?[0-9a-fA-F]{8})?)\s+(?<end>[0-9a-fA-F]{8}(?:`?[0-9a-fA-F]{8})?)\s+(?<name>[^\s()!+]+)(?=\s|$)(?:\s+(?<flags>[MC#T]{1,3}))?(?:\s+\((?<status>[^)]+)\))?(?:\s+(?<tail>.+))?$")]
    private static partial Regex ModuleLineRegex();
    [GeneratedRegex(@"^(?<key>Image path|Image name|Timestamp|ImageSize|File version|Symbol file|Loaded symbol image file|PDB name|PDB GUID|PDB age)\s*:\s*(?<value>.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex Detail();
    [GeneratedRegex(@"^(?:Browse all global symbols|CheckSum|Product version|File flags|File OS|File type|File date|Translations|Information from|CompanyName|ProductName|InternalName|OriginalFilename|ProductVersion|FileVersion|FileDescription|LegalCopyright|LegalTrademarks|Comments|PrivateBuild|SpecialBuild|Mapped memory image file|Image was built with|Machine|Timestamp|Loaded symbol image file|More info|Build)\b", RegexOptions.IgnoreCase)]
    private static partial Regex IgnoredDetail();
}
