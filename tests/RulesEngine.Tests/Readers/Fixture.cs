using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>Access to the debugger-text fixtures copied next to the test assembly.</summary>
internal static class Fixture
{
    public static string Folder => Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "text");
    public static string PathOf(string name) => Path.Combine(Folder, name);
    public static string Text(string name) => DebuggerText.Decode(File.ReadAllBytes(PathOf(name)));
    public static CrashReport Read(string name) => DebuggerText.ReadFile(PathOf(name));

    /// <summary>The lines from the prompt that typed <paramref name="command"/> up to the next prompt.</summary>
    public static string Command(string name, string command)
    {
        var lines = Text(name).Replace("\r\n", "\n").Split('\n');
        int start = Array.FindIndex(lines, l => l.TrimEnd() == "0:000> " + command);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"no '{command}' in {name}");
        int end = Array.FindIndex(lines, start + 1, l => l.StartsWith("0:000>", StringComparison.Ordinal));
        return string.Join('\n', lines[start..(end < 0 ? lines.Length : end)]);
    }
}
