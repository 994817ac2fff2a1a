namespace FcgiExt.RulesEngine.Catalog;

public enum DiagnosticSeverity { Error, Warning }

/// <summary>One problem found in a catalog file, located the way compilers do it so editors can jump to it.</summary>
public sealed record CatalogDiagnostic(string File, int Line, int Column, string Message,
    DiagnosticSeverity Severity = DiagnosticSeverity.Error)
{
    /// <summary>`file:line:col: message` (warnings say so after the position).</summary>
    public override string ToString() =>
        Severity == DiagnosticSeverity.Warning
            ? $"{File}:{Line}:{Column}: warning: {Message}"
            : $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>Thrown when a catalog cannot be used at all. Its text is the diagnostics, never a stack trace.</summary>
public sealed class CatalogException : Exception
{
    public IReadOnlyList<CatalogDiagnostic> Diagnostics { get; }

    public CatalogException(IReadOnlyList<CatalogDiagnostic> diagnostics)
        : base(string.Join(Environment.NewLine, diagnostics.Select(d => d.ToString())))
        => Diagnostics = diagnostics;

    // Exception.ToString() appends the stack trace; users of the catalog only ever need the positions.
    public override string ToString() => Message;
}
