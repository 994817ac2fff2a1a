using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using FcgiExt.Cli.Engine;
using FcgiExt.DbgEng;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.Integration.Tests;

/// <summary>The collector's frames are dbgeng's `kn` frames, one for one: the same count, each inline frame its own frame
/// with `inline: true`, the same module!function and source line. Over every TestDumps scenario; redis-inline-null-read
/// (built with -O2) has two inline frames on top and one between two physical frames.</summary>
[Category("Integration")]
[NonParallelizable]
public partial class CollectorMatchesKnTests
{
    EngineServer? _server;

    [OneTimeTearDown]
    public void StopServer() => _server?.Dispose();

    public static IEnumerable<TestCaseData> Scenarios() => ScenarioTests.Scenarios();

    sealed record KnFrame(int Index, bool Inline, string Symbol, int? Line);

    // "02 00000000`0011f830 00000001`8f0013f7     php_redis!redis_sock_read+0x19 [TestDumps\src\php\ext\redis.c @ 37]"
    // "00 (Inline Function) --------`--------     php_redis!php_stream_read_line [TestDumps\src\php\ext\redis.c @ 20]"
    [GeneratedRegex(@"^(?<n>[0-9a-f]{2,}) (?:(?<inline>\(Inline Function\) --------`--------)|[0-9a-f`]{17} [0-9a-f`]{17})\s+" +
                    @"(?<symbol>\S+?)(?:\+0x[0-9a-f`]+)?(?:\s+\[(?<file>[^\]]*) @ (?<line>\d+)\])?\s*$")]
    private static partial Regex KnLine();

    static List<KnFrame> ReadKn(string text)
    {
        var frames = new List<KnFrame>();
        bool inStack = false;
        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            if (raw.StartsWith(" # Child-SP", StringComparison.Ordinal)) { inStack = true; continue; }
            if (!inStack) continue;
            var m = KnLine().Match(raw);
            if (!m.Success)
            {
                if (raw.StartsWith("***", StringComparison.Ordinal)) continue;   // engine notes between frames
                if (frames.Count > 0) break;
                continue;
            }
            frames.Add(new KnFrame(int.Parse(m.Groups["n"].Value, NumberStyles.HexNumber), m.Groups["inline"].Success,
                m.Groups["symbol"].Value, m.Groups["line"].Success ? int.Parse(m.Groups["line"].Value) : null));
        }
        return frames;
    }

    [TestCaseSource(nameof(Scenarios))]
    public void Collector_frames_are_the_kn_frames(Scenario? scenario)
    {
        Assert.That(scenario, Is.Not.Null, $"no TestDumps/scenarios/*/expected.yaml under {TestPaths.Scenarios}");
        _server ??= TestPaths.Wine.StartServer();
        var response = ScenarioTests.Collect(_server, scenario!, ".ecxr; kn 100");
        var kn = ReadKn(response.Output ?? "");
        var frames = response.Report!.Frames;
        Assert.That(kn, Is.Not.Empty, response.Output);
        string Show(StackFrame f) => $"{f.Index:x2} {(f.Inline ? "inline " : "")}{Symbol(f)} @ {f.SourceLine}";
        string context = "kn:\n" + string.Join("\n", kn) + "\ncollector:\n" + string.Join("\n", frames.Take(kn.Count).Select(Show));
        Assert.That(frames.Count, Is.GreaterThanOrEqualTo(kn.Count), context);
        for (int i = 0; i < kn.Count; i++)
        {
            var f = frames[i];
            Assert.That((f.Index, f.Inline, Symbol(f), f.SourceLine), Is.EqualTo((kn[i].Index, kn[i].Inline, kn[i].Symbol, kn[i].Line)),
                $"frame {i}\n{context}");
        }
        if (scenario!.Name == "redis-inline-null-read")
        {
            Assert.That(frames.Take(5).Select(f => f.Inline), Is.EqualTo(new[] { true, true, false, true, false }), context);
            Assert.That(frames[2].Trust, Is.EqualTo(FrameTrust.Context), "the first physical frame is the context's own frame");
        }
    }

    /// <summary>What kn prints for the frame's symbol: module!function, module, or the bare address.</summary>
    static string Symbol(StackFrame f) =>
        f.Module is null ? $"0x{f.InstructionPointer:x}" : f.Function is null ? f.Module : $"{f.Module}!{f.Function}";
}
