using FcgiExt.Cli.Batch;
using FcgiExt.Cli.Engine;

namespace FcgiExt.Fuzz;

/// <summary>
/// Damaged minidumps through the real batch (`fcgi triage` over a folder, the real engine under Wine): truncation at
/// stream boundaries, bit flips, stream-directory lies, huge counts, zeroed ranges, sparse huge files. Every input must
/// come back as a verdict or a one-line error naming it; none may be lost, hang past the per-dump timeout, or stop the
/// batch.
/// </summary>
public static class DumpFuzzer
{
    const int StreamModuleList = 4, StreamMemoryList = 5, StreamThreadList = 3, StreamMemory64List = 9;

    public static async Task<Tally> Run(string repo, int n, int seed, string workFolder, int jobs = 2)
    {
        var t = new Tally("dumps");
        var sources = Directory.EnumerateFiles(Path.Combine(repo, "TestDumps", "scenarios"), "minidump.dmp", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).ToList();
        string folder = Path.Combine(workFolder, "dumps");
        Directory.CreateDirectory(folder);
        var made = new List<string>();
        for (int i = 0; i < n; i++)
        {
            var rng = new Random(Fuzzers.Mix(seed, i, 4));
            var source = sources[rng.Next(sources.Count)];
            string path = Path.Combine(folder, $"case-{i:d5}.dmp");
            Mutate(rng, File.ReadAllBytes(source), path);
            made.Add(path);
        }
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var wine = new WineRunner(repo);
        var job = new BatchTriageJob(new BatchTriageRequest
        {
            Paths = [folder], Format = "json", ResultsFile = Path.Combine(workFolder, "results.jsonl"),
            Options = new BatchOptions { Parallelism = jobs, PerDumpTimeout = TimeSpan.FromSeconds(60) },
            ExtractCache = Path.Combine(workFolder, "unzipped"),
        }, () => new WineDumpAnalyzer(wine, new EngineAnalysisOptions { Offline = true }), stdout, stderr);
        int code;
        try { code = await job.RunAsync(CancellationToken.None); }
        catch (Exception e)
        {
            t.Cases = n;
            t.Crashes++;
            t.Fail($"dumps seed {seed}: the batch itself threw {e.GetType().Name}: {e.Message}");
            return t;
        }
        if (code is not (BatchTriageJob.AllTriaged or BatchTriageJob.SomeFailed))
        {
            t.Crashes++;
            t.Fail($"dumps seed {seed}: the batch exited {code}: {stderr.ToString().Trim()}");
        }
        var outcomes = ResultsLog.Read(Path.Combine(workFolder, "results.jsonl"), out _)
            .GroupBy(o => Path.GetFileName(o.Dump)).ToDictionary(g => g.Key, g => g.Last());
        foreach (var path in made)
        {
            t.Cases++;
            string name = Path.GetFileName(path);
            if (!outcomes.TryGetValue(name, out var o)) { t.Lost++; t.Fail($"dumps seed {seed} {name}: no result and no error"); continue; }
            if (o.Triaged) { t.Triaged++; continue; }
            string error = o.Error ?? "";
            if (error.Contains("no answer within", StringComparison.Ordinal) ||
                error.Contains("timed out", StringComparison.OrdinalIgnoreCase))
            { t.Hangs++; t.Fail($"dumps seed {seed} {name}: {error}"); }
            else if (error.Contains('\n') || !error.Contains(name, StringComparison.Ordinal))
            { t.Crashes++; t.Fail($"dumps seed {seed} {name}: not a one-line error naming the dump: {error}"); }
            else t.Error(error);
        }
        return t;
    }

    /// <summary>A copy with bit flips and a zeroed range but an intact header and directory: damage the engine opens
    /// and walks into (the extension's own robustness, not the dump check's).</summary>
    public static byte[] DamagedInside(Random rng, byte[] dump)
    {
        var copy = (byte[])dump.Clone();
        var streams = StreamDirectory(copy);
        int protect = streams.Count == 0 ? 32 : streams.Max(st => st.Entry) + 12;
        for (int f = rng.Next(20, 400); f > 0; f--)
        {
            int at = rng.Next(protect, copy.Length);
            copy[at] ^= (byte)(1 << rng.Next(8));
        }
        int z = rng.Next(protect, copy.Length);
        Array.Clear(copy, z, Math.Min(copy.Length - z, rng.Next(1, 2048)));
        return copy;
    }

    /// <summary>Writes one damaged copy of a minidump.</summary>
    static void Mutate(Random rng, byte[] dump, string path)
    {
        var streams = StreamDirectory(dump);
        int kind = rng.Next(8);
        switch (kind)
        {
            case 0 when streams.Count > 0:   // truncated at a stream boundary (start or end of one)
            {
                var s = streams[rng.Next(streams.Count)];
                long cut = Math.Clamp(rng.Next(2) == 0 ? s.Rva : (long)s.Rva + s.Size, 0, dump.Length);
                File.WriteAllBytes(path, dump[..(int)cut]);
                return;
            }
            case 1:   // bit flips
                for (int f = rng.Next(1, 200); f > 0; f--) dump[rng.Next(dump.Length)] ^= (byte)(1 << rng.Next(8));
                break;
            case 2 when streams.Count > 0:   // the directory lies about a size or a place
            {
                var s = streams[rng.Next(streams.Count)];
                uint lie = rng.Next(3) switch { 0 => 0x80000000u + (uint)rng.Next(), 1 => 0xFFFFFFFFu, _ => (uint)dump.Length + 1 };
                BitConverter.TryWriteBytes(dump.AsSpan(s.Entry + (rng.Next(2) == 0 ? 4 : 8), 4), lie);
                break;
            }
            case 3 when streams.Count > 0:   // a list claims a huge count
            {
                var lists = streams.Where(s => s.Type is StreamModuleList or StreamMemoryList or StreamThreadList or StreamMemory64List
                                               && s.Rva + 8 <= dump.Length).ToList();
                if (lists.Count == 0) goto default;
                var s = lists[rng.Next(lists.Count)];
                BitConverter.TryWriteBytes(dump.AsSpan((int)s.Rva, 4), rng.Next(2) == 0 ? 0x7FFFFFFFu : 134_000_000u);
                break;
            }
            case 4:   // zeroed range
            {
                int at = rng.Next(dump.Length), len = Math.Min(dump.Length - at, rng.Next(1, 4096));
                Array.Clear(dump, at, len);
                break;
            }
            case 5 when rng.Next(4) == 0:   // a sparse file of several GB with the directory intact
            {
                File.WriteAllBytes(path, dump);
                using var f = new FileStream(path, FileMode.Open);
                f.SetLength(5L << 30);
                return;
            }
            case 6:   // not a dump at all: text named .dmp, or empty
                File.WriteAllBytes(path, rng.Next(2) == 0 ? "# Readme\nthis is text\n"u8.ToArray() : []);
                return;
            default:   // the header's stream count lies
                if (dump.Length >= 12) BitConverter.TryWriteBytes(dump.AsSpan(8, 4), (uint)rng.Next(0, 100_000));
                break;
        }
        File.WriteAllBytes(path, dump);
    }

    sealed record Stream(uint Type, uint Size, uint Rva, int Entry);

    static List<Stream> StreamDirectory(byte[] d)
    {
        var list = new List<Stream>();
        if (d.Length < 32 || BitConverter.ToUInt32(d, 0) != 0x504D444D) return list;
        uint count = BitConverter.ToUInt32(d, 8), rva = BitConverter.ToUInt32(d, 12);
        for (uint i = 0; i < count && rva + (i + 1) * 12 <= d.Length; i++)
        {
            int e = (int)(rva + i * 12);
            list.Add(new Stream(BitConverter.ToUInt32(d, e), BitConverter.ToUInt32(d, e + 4), BitConverter.ToUInt32(d, e + 8), e));
        }
        return list;
    }
}
