using System.Diagnostics;
using System.Text.Json;
using FcgiExt.Cli.Engine;
using FcgiExt.DbgEng;

namespace FcgiExt.Integration.Tests;

/// <summary>The cross-linked win-x64 fcgiext.dll in real engine sessions under Wine (through `fcgihost serve`, the
/// engine session `fcgi engine` uses): builds the DLL when a source is newer, runs commands on a dump and hands back
/// each command's output between `.echo` markers.</summary>
public sealed class ExtensionSession : IDisposable
{
    public static string Dll => Path.Combine(TestPaths.RepoRoot, "artifacts", "win-x64", "fcgiext.dll");
    public static string WineDll => WineRunner.ToWinePath(Dll);

    EngineServer? _server;
    bool _allowOpenErrors;

    /// <summary>The engine's one-line error when it would not open the last dump (with <see cref="AllowOpenErrors"/>).</summary>
    public string? LastOpenError { get; private set; }

    /// <summary>A dump the engine will not open gives an empty answer and <see cref="LastOpenError"/>, not a failure
    /// (the fuzz test skips such damage: it is the dump check's and the engine's, not the extension's).</summary>
    public ExtensionSession AllowOpenErrors() { _allowOpenErrors = true; return this; }

    public static void BuildDllIfStale()
    {
        if (File.Exists(Dll) && File.GetLastWriteTimeUtc(Dll) >= NewestSource()) return;
        var psi = new ProcessStartInfo(Path.Combine(TestPaths.RepoRoot, "scripts", "build-extension.sh"), "win-x64")
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        stdout.GetAwaiter().GetResult();
        Assert.That(p.ExitCode, Is.Zero, $"scripts/build-extension.sh failed: {err}");
    }

    static DateTime NewestSource() =>
        new[] { "FcgiExt/Extension", "FcgiExt/DbgEng", "RulesEngine" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, d), "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/bin/") && !f.Contains("/obj/"))
            .Max(File.GetLastWriteTimeUtc);

    /// <summary>Runs commands in a fresh session on the dump; returns the text between the .echo markers.</summary>
    public Dictionary<string, string> Run(string dump, string symbolPath, params (string Marker, string Command)[] steps) =>
        Run(dump, symbolPath, dml: false, steps);

    /// <param name="dml">The host's output callbacks take DML as it is (IDebugOutputCallbacks2), as WinDbg's window
    /// does: links show as &lt;exec&gt; tags instead of the engine's plain-text rendering.</param>
    public Dictionary<string, string> Run(string dump, string symbolPath, bool dml, params (string Marker, string Command)[] steps)
    {
        _server ??= TestPaths.Wine.StartServer();
        string commands = string.Join("; ", steps.Select(s => $".echo ==={s.Marker}===; {s.Command}")) + "; .echo ===END===";
        var request = new ServeRequest
        {
            Dump = WineRunner.ToWinePath(dump),
            SymbolPath = WineRunner.ToWinePathList(symbolPath),
            Commands = commands,
            Collect = false,
            Dml = dml,
        };
        string answer = _server.Request(JsonSerializer.Serialize(request, HostJson.Default.ServeRequest), TimeSpan.FromMinutes(3));
        var response = JsonSerializer.Deserialize(answer, HostJson.Default.ServeResponse)!;
        if (response.Error is not null && _allowOpenErrors) { LastOpenError = response.Error; return new Dictionary<string, string>(); }
        Assert.That(response.Error, Is.Null, answer);
        string text = response.Output ?? "";
        var parts = new Dictionary<string, string>();
        var markers = steps.Select(s => s.Marker).Append("END").ToList();
        // Markers count only on a line of their own: the echoed command line holds them too.
        int Find(string marker, int from) => text.IndexOf($"\n==={marker}===\n", from, StringComparison.Ordinal);
        int start = Find(markers[0], 0);
        for (int i = 0; i < steps.Length; i++)
        {
            Assert.That(start, Is.GreaterThanOrEqualTo(0), $"no output of step {markers[i]}:\n{text}");
            int end = Find(markers[i + 1], start + 1);
            Assert.That(end, Is.GreaterThan(start), $"step {markers[i]} did not finish:\n{text}");
            parts[markers[i]] = text[(start + markers[i].Length + 8)..(end + 1)];
            start = end;
        }
        return parts;
    }

    public void Dispose() => _server?.Dispose();
}
