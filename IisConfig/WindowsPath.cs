namespace FcgiExt.IisConfig;

/// <summary>Path text as IIS and PHP see it (backslashes, drive letters, case-insensitive), whatever OS this runs on:
/// System.IO.Path on Linux would not split `C:\PHP\php-cgi.exe`.</summary>
public static class WindowsPath
{
    static readonly char[] Separators = ['\\', '/'];

    public static string? DirectoryOf(string path)
    {
        int i = path.TrimEnd(Separators).LastIndexOfAny(Separators);
        return i < 0 ? null : path[..(i == 0 ? 1 : i)];
    }

    public static string FileName(string path)
    {
        int i = path.LastIndexOfAny(Separators);
        return i < 0 ? path : path[(i + 1)..];
    }

    /// <summary>Joins with the separator the directory already uses, so a Linux test path stays a Linux path.</summary>
    public static string Join(string directory, string name)
    {
        char sep = directory.Contains('/') && !directory.Contains('\\') ? '/' : '\\';
        return directory.TrimEnd(Separators) + sep + name;
    }

    static string Normal(string path) => path.Trim().Trim('"').Replace('/', '\\').TrimEnd('\\');

    /// <summary>Same file for Windows: separators and case do not count.</summary>
    public static bool Same(string a, string b) => string.Equals(Normal(a), Normal(b), StringComparison.OrdinalIgnoreCase);
}
