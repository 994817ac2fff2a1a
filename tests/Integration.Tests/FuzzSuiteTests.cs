using FcgiExt.Fuzz;

namespace FcgiExt.Integration.Tests;

/// <summary>The CI-sized pass of the fuzz suite (tests/Fuzz; `bench/fuzz.sh N` runs it large): fixed seeds, so a
/// failure replays; nothing may hang, crash or be lost.</summary>
public class FuzzSuiteTests
{
    const int Seed = 20261203;

    static void Clean(Tally t)
    {
        TestContext.Out.Write(Tally.Table([t]));
        Assert.That(t.Cases, Is.GreaterThan(0));
        Assert.That(t.Clean, Is.True, Tally.Table([t]));
    }

    [Test]
    // 400: case 328 of this seed (a 133 KB function name among other frames) took the call-site pattern quadratic.
    public void Damaged_debugger_texts() => Clean(Fuzzers.Texts(TestPaths.RepoRoot, 400, Seed));

    [Test]
    public void Damaged_rule_catalogs() => Clean(Fuzzers.Catalogs(TestPaths.RepoRoot, 300, Seed));

    [Test]
    public void Damaged_iis_configuration_and_php_ini() => Clean(Fuzzers.Iis(TestPaths.RepoRoot, 300, Seed));

    [Test]
    public void Damaged_fastcgi_answers_from_a_fake_worker() => Clean(FastCgiFuzzer.Run(300, Seed));

    [Test]
    [Category("Integration")]
    public async Task Damaged_dumps_through_the_batch_and_the_real_engine()
    {
        string work = TestPaths.TempDir();
        try { Clean(await DumpFuzzer.Run(TestPaths.RepoRoot, 60, Seed, work)); }
        finally { try { Directory.Delete(work, true); } catch (IOException) { } }
    }
}

/// <summary>The extension never takes the debugger down (issue 15): 50 dumps damaged inside (the engine opens them)
/// through `!fcgi` in the real engine, and the session still answers a command after each.</summary>
[Category("Integration")]
public class ExtensionSurvivesDamagedDumpsTests
{
    [Test]
    public void Fifty_damaged_dumps_and_the_engine_still_answers()
    {
        ExtensionSession.BuildDllIfStale();
        var sources = Directory.EnumerateFiles(TestPaths.Scenarios, "minidump.dmp", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).ToList();
        string dir = TestPaths.TempDir();
        using var session = new ExtensionSession().AllowOpenErrors();
        int bangFcgiAnswered = 0, refused = 0;
        try
        {
            for (int i = 0, attempt = 0; i < 50 && attempt < 500; attempt++)
            {
                var rng = new Random(Fuzzers.Mix(20261203, attempt, 5));
                var source = sources[i % sources.Count];
                string dump = Path.Combine(dir, $"damaged-{i:d2}.dmp");
                // Damage the dump check lets through (the others are refused before any engine sees them).
                int tries = 0;
                do File.WriteAllBytes(dump, DumpFuzzer.DamagedInside(rng, File.ReadAllBytes(source)));
                while (FcgiExt.DbgEng.DumpFile.Problem(dump) is not null && ++tries < 200);
                if (FcgiExt.DbgEng.DumpFile.Problem(dump) is not null) continue;
                var parts = session.Run(dump, Path.GetDirectoryName(source)!,
                    ("load", $".load {ExtensionSession.WineDll}"), ("fcgi", "!fcgi -offline"), ("alive", ".echo alive"));
                if (parts.Count == 0) { refused++; continue; }   // the engine itself would not open it
                i++;
                Assert.That(parts["alive"], Does.Contain("alive"),
                    $"case {i} ({source}): the session stopped answering after !fcgi:\n{parts["fcgi"]}");
                if (parts["fcgi"].Contains("Bucket:") || parts["fcgi"].Contains("fcgi:")) bangFcgiAnswered++;
            }
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
        TestContext.Out.WriteLine($"{bangFcgiAnswered} damaged dumps through !fcgi; {refused} more the engine would not open");
        Assert.That(bangFcgiAnswered, Is.EqualTo(50), "every !fcgi printed a verdict or its one-line error");
    }
}
