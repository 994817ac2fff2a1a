namespace FcgiExt.RulesEngine.Symbols;

/// <summary>The symbol path !fcgi sets, and why each part is there (printed as step 1).</summary>
public sealed record SymbolPathPlan(string SymbolPath, IReadOnlyList<string> Changes)
{
    public bool Changed => Changes.Count > 0;
}

/// <summary>
/// Step 1 of the WinDbg ritual as a pure function: keep what the user has, add Microsoft's symbol
/// server unless offline or already present, add folders given with -y, and add folders where PHP
/// debug packs are usually unpacked next to php-cgi.exe when they exist.
/// </summary>
public static class SymbolPathPlanner
{
    public const string MicrosoftSymbolServer = "https://msdl.microsoft.com/download/symbols";

    /// <param name="current">The engine's symbol path now (may be empty).</param>
    /// <param name="userFolders">Folders from -y.</param>
    /// <param name="exePath">Full path of the process image (php-cgi.exe, ruby.exe), if known.</param>
    /// <param name="cacheFolder">Per-user downstream store for srv*.</param>
    /// <param name="directoryExists">File-system probe (injected: the planner itself touches nothing).</param>
    public static SymbolPathPlan Plan(string? current, IEnumerable<string> userFolders, string? exePath, bool offline,
        string cacheFolder, Func<string, bool> directoryExists)
    {
        var parts = Split(current);
        var changes = new List<string>();
        void Add(string part, string why)
        {
            if (parts.Any(p => string.Equals(p.TrimEnd('\\', '/'), part.TrimEnd('\\', '/'), StringComparison.OrdinalIgnoreCase))) return;
            parts.Add(part);
            changes.Add($"added {part} ({why})");
        }

        foreach (var folder in userFolders.Where(f => !string.IsNullOrWhiteSpace(f)))
            Add(folder.Trim(), "-y");

        foreach (var hint in DebugPackHints(exePath))
            if (directoryExists(hint)) Add(hint, "PHP debug pack folder next to the executable");

        // Not a drive root ("c:" for c:\test_app.exe) nor a Windows folder: the engine would search all of it.
        if (exePath is not null && DirectoryOf(exePath) is { } exeDir && !IsRootOrSystem(exeDir) && directoryExists(exeDir))
            Add(exeDir, "the executable's folder: extensions' PDBs often sit next to their DLLs");

        if (!offline && !parts.Any(HasMicrosoftServer))
            Add($"srv*{cacheFolder}*{MicrosoftSymbolServer}", "Microsoft symbol server for Windows DLLs");
        else if (offline && !parts.Any(HasMicrosoftServer))
            changes.Add("offline: Microsoft's symbol server not added (-offline)");

        return new SymbolPathPlan(string.Join(';', parts), changes);
    }

    static bool IsRootOrSystem(string dir)
    {
        var d = dir.TrimEnd('\\', '/');
        return d.Length <= 2 || d == "" ||
               d.Contains(@"\Windows", StringComparison.OrdinalIgnoreCase) || d.StartsWith("/usr", StringComparison.Ordinal);
    }

    static List<string> Split(string? path) =>
        (path ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    public static bool HasMicrosoftServer(string part) =>
        part.Contains("msdl.microsoft.com", StringComparison.OrdinalIgnoreCase) ||
        part.Contains("symweb", StringComparison.OrdinalIgnoreCase);

    static string? DirectoryOf(string path)
    {
        int i = Math.Max(path.LastIndexOf('\\'), path.LastIndexOf('/'));
        return i > 0 ? path[..i] : null;
    }

    /// <summary>Where admins unpack php-debug-pack-*.zip: a "debug" or "debug-pack" folder beside php-cgi.exe,
    /// or next to the PHP folder (the pack holds a PDB for php-cgi.exe, phpNts.dll and every bundled ext).</summary>
    public static IEnumerable<string> DebugPackHints(string? exePath)
    {
        if (exePath is null) return [];
        var file = exePath[(Math.Max(exePath.LastIndexOf('\\'), exePath.LastIndexOf('/')) + 1)..];
        if (!file.StartsWith("php", StringComparison.OrdinalIgnoreCase)) return [];
        var dir = DirectoryOf(exePath);
        if (dir is null) return [];
        char sep = exePath.Contains('\\') ? '\\' : '/';
        return [$"{dir}{sep}debug", $"{dir}{sep}debug-pack", $"{dir}{sep}php-debug-pack", $"{dir}{sep}ext{sep}debug"];
    }
}
