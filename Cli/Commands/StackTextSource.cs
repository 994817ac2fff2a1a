using FcgiExt.RulesEngine.Model;

namespace FcgiExt.Cli.Commands;

/// <summary>A debugger text file that cannot be read; the message is one line naming the file.</summary>
public sealed class StackTextException(string message) : Exception(message);

/// <summary>
/// Reads a debugger text file into the crash model for `fcgi triage --stack-text`.
/// </summary>
/// <remarks>
/// PENDING: the debugger-text readers (RulesEngine/Readers, DebuggerText.ReadFile) are not in main yet. Until
/// they are merged this says so in one line instead of guessing at the text; when they land, the body becomes
/// DebuggerText.ReadFile(path) with its DebuggerTextException mapped to <see cref="StackTextException"/>.
/// </remarks>
public static class StackTextSource
{
    public static CrashReport ReadFile(string path) =>
        throw new StackTextException($"{path}: this build has no debugger-text reader yet (RulesEngine/Readers is not merged)");
}
