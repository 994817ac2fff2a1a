namespace FcgiExt.IisConfig;

public enum Severity { Info, Warning, Error }

/// <summary>A check: its id (the heading of its section in docs/iis-check.md) and the source it rests on.</summary>
public sealed record IisRule(string Id, string Title, string Source);

/// <summary>One thing the check found: what happens, in words a user acts on, and the command or ini line that fixes it.</summary>
public sealed record Finding
{
    public required IisRule Rule { get; init; }
    public required Severity Severity { get; init; }
    public required string Message { get; init; }
    /// <summary>appcmd commands or php.ini lines, each complete; more than one when there are two ways out.</summary>
    public IReadOnlyList<string> Fix { get; init; } = [];
    public required SourceLocation Location { get; init; }
    /// <summary>The pool's `fullPath|arguments`; null for a finding about a handler or the files.</summary>
    public string? Application { get; init; }

    public string Id => Rule.Id;
    public string Source => Rule.Source;
}
