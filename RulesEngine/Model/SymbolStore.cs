using System.Globalization;
using System.Text.RegularExpressions;

namespace FcgiExt.RulesEngine.Model;

/// <summary>
/// How a symbol store (symstore, symsrv's downstream cache, msdl) files a PDB: &lt;pdb name&gt;/&lt;key&gt;/&lt;pdb name&gt;,
/// the key being the CodeView GUID as 32 upper-case hex digits without dashes followed by the age in hex.
/// (A real store path: ntkrpamp.pdb\684DA42A30CC450F81C535B4D18944B12\ntkrpamp.pdb for GUID
/// {684DA42A-30CC-450F-81C5-35B4D18944B1} age 2, in the !lmi output of http://jumpdollar.blogspot.com/2014/08/windbg-lmi-command.html.)
/// </summary>
public static partial class SymbolStore
{
    /// <summary>The store key: GUID without dashes, upper case, then the age in upper-case hex.</summary>
    public static string Key(Guid guid, uint age) =>
        guid.ToString("N").ToUpperInvariant() + age.ToString("X", CultureInfo.InvariantCulture);

    /// <summary>"foo.pdb/&lt;key&gt;/foo.pdb" with forward slashes (as in a symbol server URL).</summary>
    public static string PdbPath(string pdbName, Guid guid, uint age)
    {
        var name = ModuleNames.FileName(pdbName);
        return $"{name}/{Key(guid, age)}/{name}";
    }

    [GeneratedRegex(@"(?:^|[\\/])(?<name>[^\\/]+\.pdb)[\\/](?<guid>[0-9A-Fa-f]{32})(?<age>[0-9A-Fa-f]{1,8})[\\/](?<name2>[^\\/]+\.pdb)$",
        RegexOptions.IgnoreCase)]
    private static partial Regex StorePathRegex();

    /// <summary>Reads name, GUID and age back from a path laid out as a store (C:\sym\php8ts.pdb\&lt;key&gt;\php8ts.pdb).</summary>
    public static bool TryParsePdbPath(string? path, out string pdbName, out Guid guid, out uint age)
    {
        pdbName = ""; guid = Guid.Empty; age = 0;
        if (string.IsNullOrEmpty(path)) return false;
        var m = StorePathRegex().Match(path.Trim());
        if (!m.Success || !string.Equals(m.Groups["name"].Value, m.Groups["name2"].Value, StringComparison.OrdinalIgnoreCase)) return false;
        if (!Guid.TryParseExact(m.Groups["guid"].Value, "N", out guid)) return false;
        if (!uint.TryParse(m.Groups["age"].Value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out age)) return false;
        pdbName = m.Groups["name2"].Value;
        return true;
    }
}
