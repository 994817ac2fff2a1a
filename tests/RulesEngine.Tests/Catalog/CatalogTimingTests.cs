using System.Diagnostics;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;
using NUnit.Framework;

namespace FcgiExt.Tests.Catalog;

/// <summary>Rough timings of the built-in catalog (the real benchmark is triage's); the bounds are generous
/// so a busy CI machine does not fail them, and the measured numbers are printed.</summary>
public class CatalogTimingTests
{
    [Test]
    public void LoadingAndWalkingAHundredFramesStayCheap()
    {
        var load = Stopwatch.StartNew();
        var catalog = RuleCatalog.LoadBuiltIn();
        load.Stop();
        // 100 frames of a deep PHP stack with a CRT frame and an extension near the bottom, so nearly every frame is evaluated
        var frames = new List<string> { "ntdll!RtlpFreeHeap", "ucrtbase!free" };
        for (int i = 0; i < 48; i++) { frames.Add("php8ts!_efree"); frames.Add("php_xdebug_3_3_1_8_3_vs16_x86_64!xdebug_str_free"); }
        frames[^1] = "php8ts!_efree";
        frames.Add("kernel32!BaseThreadInitThunk"); frames.Add("ntdll!RtlUserThreadStart");
        // distinct functions, so the per-walk frame cache does not hide the matching cost
        var maybeOnly = frames.Where(f => !f.StartsWith("php_xdebug")).Select((f, i) => f == "php8ts!_efree" ? $"php8ts!_efree_{i}" : f)
            .Concat(Enumerable.Range(0, 52).Select(i => $"php8ts!_emalloc_{i}")).Take(100).ToList();
        var (crash, _) = FrameText.Crash(maybeOnly, "0xc0000374", "php-cgi.exe");
        Assert.That(crash.Frames, Has.Count.EqualTo(100));
        for (int i = 0; i < 50; i++) catalog.Walk(crash);
        const int runs = 500;
        var walk = Stopwatch.StartNew();
        StackWalkResult? result = null;
        for (int i = 0; i < runs; i++) result = catalog.Walk(crash);
        walk.Stop();
        double perWalkMs = walk.Elapsed.TotalMilliseconds / runs;
        TestContext.Out.WriteLine($"built-in catalog load: {load.Elapsed.TotalMilliseconds:F1} ms; 100-frame walk: {perWalkMs * 1000:F0} µs");
        Assert.That(result!.Decisions, Has.Count.EqualTo(100));
        Assert.That(result.Strength, Is.EqualTo("maybe"));
        Assert.That(perWalkMs, Is.LessThan(20), "a 100-frame walk should take well under a millisecond on a quiet machine");
        Assert.That(load.Elapsed.TotalSeconds, Is.LessThan(10));
    }
}
