namespace FcgiExt.IisConfig;

/// <summary>A configuration file that cannot be read as what it claims to be: one `file:line:col: message`.</summary>
public sealed class ConfigFileException(string file, int line, int column, string problem)
    : Exception($"{file}:{line}:{column}: {OneLine(problem)}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public int Column { get; } = column;
    public string Problem { get; } = OneLine(problem);

    /// <summary>XmlException quotes the character it stumbled on, a line break included: shown as \n, the error stays
    /// one line (found by the fuzz suite).</summary>
    static string OneLine(string text) =>
        text.Replace("\r", "\\r").Replace("\n", "\\n").Replace("\t", "\\t");
}

/// <summary>Where a setting was read: the finding points the user there.</summary>
public sealed record SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}
