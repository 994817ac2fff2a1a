namespace FcgiExt.RulesEngine.Readers;

/// <summary>
/// One format. The dispatcher offers every line to every reader in turn; a reader that recognizes the
/// start of its block (or a single line it owns) reads it and says how many lines it used. Lines inside its
/// block it cannot use go to SkippedLines; lines it does not recognize at all are not its business.
/// </summary>
internal interface IBlockReader
{
    /// <returns>Number of lines consumed from <paramref name="start"/>; 0 when the line is not this reader's.</returns>
    int TryRead(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder, ReadState state);
}

/// <summary>What the dispatcher knows about the session so far (the last debugger command typed).</summary>
internal sealed class ReadState
{
    public string? LastCommand;
    /// <summary>True once `.ecxr` (or `.cxr`) was typed: a later k shows the faulting context.</summary>
    public bool InExceptionContext;
}
