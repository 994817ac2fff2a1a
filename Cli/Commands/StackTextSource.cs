using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;

namespace FcgiExt.Cli.Commands;

/// <summary>A debugger text file that cannot be read; the message is one line naming the file.</summary>
public sealed class StackTextException(string message) : Exception(message);

/// <summary>Reads a debugger text file into the crash model for `fcgi triage --stack-text`.</summary>
public static class StackTextSource
{
    public static CrashReport ReadFile(string path)
    {
        try { return DebuggerText.ReadFile(path); }
        catch (DebuggerTextException e) { throw new StackTextException(e.Message); }
    }
}
