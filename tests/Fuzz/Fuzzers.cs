using System.Text;
using System.Text.Json;
using System.Xml;
using FcgiExt.IisConfig;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Triage;

namespace FcgiExt.Fuzz;

/// <summary>
/// The in-process fuzzers: debugger texts, rule catalogs, IIS configuration and php.ini. Every case is made from a
/// fixed seed and its number, so a failure replays with `bench/fuzz.sh` and the seed it prints. Each case runs with a
/// time bound: past it the case is a hang (linear readers answer a few MB in well under a second).
/// </summary>
public static class Fuzzers
{
    public static readonly TimeSpan CaseBound = TimeSpan.FromSeconds(20);

    /// <summary>A case's own seed from the run's seed, its number and its kind; the same in every process (HashCode is
    /// randomised per process, so it cannot be used to replay).</summary>
    public static int Mix(int seed, int index, int kind) => unchecked(seed * 1_000_003 + index * 7_919 + kind * 104_729);

    static readonly Lazy<RuleCatalog> BuiltIn = new(RuleCatalog.LoadBuiltIn);

    /// <summary>Runs one case with the time bound; the answer is triaged, error (a one-line refusal) or the failure.</summary>
    static void Case(Tally t, string replay, Func<bool> work, Func<byte[]>? input = null)
    {
        t.Cases++;
        // FCGIEXT_FUZZ_SAVE=<dir>: the input of every failing case is written there, named after its replay line.
        void Save()
        {
            if (Environment.GetEnvironmentVariable("FCGIEXT_FUZZ_SAVE") is { Length: > 0 } dir && input is not null)
            {
                Directory.CreateDirectory(dir);
                File.WriteAllBytes(Path.Combine(dir, replay.Replace(' ', '-') + ".in"), input());
            }
        }
        var task = Task.Run(work);
        try
        {
            if (!task.Wait(CaseBound)) { t.Hangs++; t.Fail($"{replay}: no answer within {CaseBound.TotalSeconds:0} s"); Save(); return; }
            if (task.Result) t.Triaged++; else t.Errors++;
        }
        catch (AggregateException e)
        {
            t.Crashes++;
            t.Fail($"{replay}: {e.InnerException?.GetType().Name}: {e.InnerException?.Message.ReplaceLineEndings(" ")}" +
                   $" at {e.InnerException?.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
            Save();
        }
    }

    // ------------------------------------------------------------------ debugger text

    public static Tally Texts(string repo, int n, int seed)
    {
        var t = new Tally("texts");
        var fixtures = Directory.EnumerateFiles(Path.Combine(repo, "tests", "RulesEngine.Tests", "Fixtures", "text"))
            .Concat(Directory.EnumerateFiles(Path.Combine(repo, "samples")))
            .Where(f => f.EndsWith(".txt") || f.EndsWith(".html") || f.EndsWith(".htm") || f.EndsWith(".log"))
            .Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        for (int i = 0; i < n; i++)
        {
            var rng = new Random(Mix(seed, i, 1));
            byte[] input = MutateText(rng, fixtures[rng.Next(fixtures.Count)], fixtures);
            Case(t, $"texts seed {seed} case {i}", () =>
            {
                // Both ways in: half from a file (decoded in chunks, HTML converted over the text's own characters),
                // half from a string the caller keeps (converted on a copy).
                CrashReport crash;
                if (i % 2 == 0)
                {
                    var path = Path.Combine(Path.GetTempPath(), $"fcgi-fuzz-{Environment.ProcessId}-{i}.txt");
                    File.WriteAllBytes(path, input);
                    try { crash = DebuggerText.ReadFile(path, refuseBinary: false); }
                    finally { File.Delete(path); }
                }
                else crash = DebuggerText.Read(DebuggerText.Decode(input), $"fuzz-{i}.txt");
                if (DebuggerText.NothingRecognized(crash)) return false;
                var r = Triager.Triage(crash, BuiltIn.Value);
                TextRenderer.Render(r, verbose: true, dml: true);
                using (JsonDocument.Parse(JsonRenderer.Render(r))) { }
                MarkdownRenderer.Render(r, verbose: true);
                HtmlRenderer.Render(r, verbose: true);
                return true;
            }, () => input);
        }
        return t;
    }

    static byte[] MutateText(Random rng, byte[] source, List<byte[]> all)
    {
        var text = Encoding.UTF8.GetString(source);
        for (int k = rng.Next(1, 4); k > 0; k--)
        {
            int at = text.Length == 0 ? 0 : rng.Next(text.Length);
            text = rng.Next(10) switch
            {
                0 => text[..at],                                                             // truncated paste
                1 => text.Insert(at, "<!--"),                                                // unclosed comment
                2 => text.Insert(at, "<td class=\"x"),                                       // unclosed tag
                3 => text.Insert(at, new string('A', rng.Next(1000, 200_000))),              // a huge line
                4 => text.Insert(at, Encoding.Latin1.GetString(RandomBytes(rng, rng.Next(1, 4000)))), // binary garbage
                5 => text.Insert(at, Encoding.UTF8.GetString(all[rng.Next(all.Count)])),     // another format spliced in
                6 => text.Replace("\n", rng.Next(2) == 0 ? "\r" : "\r\r\n"),                 // odd line ends
                7 => string.Concat(Enumerable.Repeat(text, rng.Next(2, 6))),                 // repeated block
                8 => text.Replace("0x", "0x" + new string('f', rng.Next(1, 40))),            // over-long numbers
                _ => text.Replace(' ', '\t'),
            };
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        if (rng.Next(6) == 0)
            for (int f = rng.Next(1, 50); f > 0 && bytes.Length > 0; f--) bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
        return bytes;
    }

    static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }

    // ------------------------------------------------------------------ rule catalogs

    public static Tally Catalogs(string repo, int n, int seed)
    {
        var t = new Tally("catalogs");
        var sources = Directory.EnumerateFiles(Path.Combine(repo, "RulesEngine", "Catalog", "builtin"), "*.yaml")
            .Append(Path.Combine(repo, "TestDumps", "rules", "testdumps.yaml"))
            .Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        for (int i = 0; i < n; i++)
        {
            var rng = new Random(Mix(seed, i, 2));
            string text = MutateCatalog(rng, sources[rng.Next(sources.Count)]);
            Case(t, $"catalogs seed {seed} case {i}", () =>
            {
                var catalog = RuleCatalog.FromSources([new CatalogSource($"fuzz-{i}.yaml", text, 1)]);
                var errors = catalog.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
                foreach (var e in errors)
                {
                    var line = e.ToString();
                    if (line.Contains('\n') || !line.StartsWith($"fuzz-{i}.yaml", StringComparison.Ordinal))
                        throw new InvalidOperationException($"a diagnostic that is not one line naming the file: {line}");
                }
                if (errors.Count > 0) return false;
                // A catalog that loads is used: its text must never become a debugger command in the DML report.
                var r = Triager.Triage(Sample(), catalog);
                var dml = TextRenderer.Render(r, verbose: true, dml: true);
                foreach (var exec in dml.Split("<exec cmd=\"").Skip(1))
                {
                    var command = exec[..exec.IndexOf('"')];
                    if (!Dml.IsRendererCommand(System.Net.WebUtility.HtmlDecode(command)))
                        throw new InvalidOperationException($"catalog text became a DML command: {command}");
                }
                return true;
            }, () => Encoding.UTF8.GetBytes(text));
        }
        return t;
    }

    static string MutateCatalog(Random rng, string text)
    {
        int at = text.Length == 0 ? 0 : rng.Next(text.Length);
        return rng.Next(11) switch
        {
            0 => text[..at],
            1 => text.Insert(at, "\t"),
            2 => text.Insert(at, new string('[', rng.Next(10, 50_000))),                                   // nesting bomb
            3 => "a: &a [x, x, x, x, x, x, x, x, x]\n" + string.Join('\n', Enumerable.Range(0, 20)
                     .Select(k => $"{(char)('b' + k)}: &{(char)('b' + k)} [*{(char)('a' + k)}, *{(char)('a' + k)}, *{(char)('a' + k)}, " +
                         $"*{(char)('a' + k)}]")) + "\n" + text,
            4 => "\uFEFF" + text,
            5 => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text)).Insert(at, "\u00ff\u00fe"),
            6 => text.Replace("name: ", "name: \".shell -ci \\\"x\\\" del C:\\\\*; !fcgi -v\" # ")
                .Replace("report_url: https", "report_url: javascript"),
            7 => text.Replace("action: owner", rng.Next(2) == 0 ? "action: [owner]" : "action: 42"),
            8 => string.Concat(Enumerable.Repeat(text, rng.Next(2, 20))),                                   // duplicates, huge
            9 => text.Replace("match:", "match: !!binary"),
            _ => text.Replace("'/", "'/(a+)+$|"),
        };
    }

    static RulesEngine.Model.CrashReport Sample() => DebuggerText.Read("""
        (1a2c.1b40): Access violation - code c0000005 (first chance)
        0:000> kn
         # Child-SP          RetAddr           Call Site
        00 00000000`0011f5a0 00007ffb`00009000 php_xdebug!xdebug_execute_ex+0x1a
        01 00000000`0011f5f0 00007ffb`00009100 php8ts!execute_ex+0x51
        02 00000000`0011f640 00007ffb`00020000 php_cgi!main+0x99b
        """, "sample.txt");

    // ------------------------------------------------------------------ IIS configuration and php.ini

    public static Tally Iis(string repo, int n, int seed)
    {
        var t = new Tally("iis");
        var folder = Path.Combine(repo, "tests", "IisConfig.Tests", "Fixtures");
        var configs = Directory.EnumerateFiles(folder, "*.config", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(File.ReadAllText).ToList();
        var inis = Directory.EnumerateFiles(folder, "*.ini", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(File.ReadAllText).ToList();
        for (int i = 0; i < n; i++)
        {
            var rng = new Random(Mix(seed, i, 3));
            string config = MutateMarkup(rng, configs[rng.Next(configs.Count)]);
            string ini = MutateMarkup(rng, inis[rng.Next(inis.Count)]);
            Case(t, $"iis seed {seed} case {i}", () =>
            {
                try
                {
                    var parsed = IisConfiguration.Parse([($"fuzz-{i}.config", config)]);
                    var php = PhpIni.Parse(ini, $"fuzz-{i}.ini");
                    IisChecker.Check(parsed, app => new PhpIniChoice(null, "given", php, Given: true), new NoFiles());
                    return true;
                }
                catch (ConfigFileException e)
                {
                    if (e.Message.Contains('\n') || !e.Message.StartsWith("fuzz-", StringComparison.Ordinal))
                        throw new InvalidOperationException($"an error that is not one line naming the file: {e.Message}");
                    return false;
                }
            }, () => Encoding.UTF8.GetBytes(config + "\n=====ini=====\n" + ini));
        }
        return t;
    }

    sealed class NoFiles : IFileProbe
    {
        public bool Exists(string path) => false;
    }

    static string MutateMarkup(Random rng, string text)
    {
        int at = text.Length == 0 ? 0 : rng.Next(text.Length);
        return rng.Next(9) switch
        {
            0 => text[..at],
            1 => text.Insert(at, "<"),
            2 => text.Insert(at, "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>"),
            3 => text.Insert(at, "&bogus;"),
            4 => text.Replace("=\"", "=\"99999999999999999999"),
            5 => text.Insert(at, "\0\u0001"),
            6 => text.Replace("[", "[[").Replace("=", "=="),
            7 => string.Concat(Enumerable.Repeat(text, rng.Next(2, 10))),
            _ => text.Insert(at, new string('"', rng.Next(1, 30))),
        };
    }

    /// <summary>XmlException escaping the reader would be a crash: XML parsing is the reader's job (kept for the type).</summary>
    internal static readonly Type XmlErrorType = typeof(XmlException);
}

/// <summary>Damaged FastCGI answers from a fake worker (for `fcgi repro`): truncated headers, lengths past the end,
/// unknown record types, bit flips, a worker that never answers. The client must always return a result that says the
/// step it reached, within its cancellation bound.</summary>
public static class FastCgiFuzzer
{
    public static Tally Run(int n, int seed)
    {
        var t = new Tally("fastcgi");
        for (int i = 0; i < n; i++)
        {
            var rng = new Random(Fuzzers.Mix(seed, i, 6));
            byte[] answer = Mutate(rng, GoodAnswer(rng));
            bool silent = rng.Next(15) == 0;   // a worker that accepts and never answers
            t.Cases++;
            var task = Task.Run(async () =>
            {
                using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                var client = new FastCgi.FastCgiClient(new FakeWorker(answer, silent));
                return await client.RunAsync(new FastCgi.FastCgiRequest
                {
                    Params = [new("SCRIPT_FILENAME", "/srv/x.php"), new("REQUEST_METHOD", "GET")], Stdin = "a=1"u8.ToArray(),
                }, cancel.Token);
            });
            try
            {
                if (!task.Wait(Fuzzers.CaseBound)) { t.Hangs++; t.Fail($"fastcgi seed {seed} case {i}: no result"); continue; }
                var r = task.Result;
                if (r.Completed) t.Triaged++;
                else if (r.Failure is { Length: > 0 } f && !f.Contains('\n')) t.Error($"{r.Step}: {f}");
                else { t.Crashes++; t.Fail($"fastcgi seed {seed} case {i}: failed at {r.Step} without a one-line reason"); }
            }
            catch (AggregateException e) when (silent && e.InnerException is OperationCanceledException)
            {
                // The caller's bound ended a worker that never answers: what the driver's request timeout does.
                t.Error("a worker that never answers: cancelled at the caller's bound");
            }
            catch (AggregateException e)
            {
                t.Crashes++;
                t.Fail($"fastcgi seed {seed} case {i} (silent {silent}): {e.InnerException?.GetType().Name}: {e.InnerException?.Message}");
            }
        }
        return t;
    }

    static byte[] Record(byte type, ushort id, byte[] content, byte padding = 0)
    {
        var r = new byte[8 + content.Length + padding];
        r[0] = 1; r[1] = type; r[2] = (byte)(id >> 8); r[3] = (byte)id;
        r[4] = (byte)(content.Length >> 8); r[5] = (byte)content.Length; r[6] = padding;
        content.CopyTo(r, 8);
        return r;
    }

    /// <summary>STDOUT with headers and a body, an empty STDOUT, maybe STDERR, END_REQUEST: what php-cgi answers.</summary>
    static byte[] GoodAnswer(Random rng)
    {
        var parts = new List<byte[]>
        {
            Record(6, 1, System.Text.Encoding.ASCII.GetBytes("Content-type: text/html\r\n\r\nhello"), (byte)rng.Next(8)),
        };
        if (rng.Next(2) == 0) parts.Add(Record(7, 1, "PHP Notice: x"u8.ToArray()));
        parts.Add(Record(6, 1, []));
        parts.Add(Record(3, 1, [0, 0, 0, 0, 0, 0, 0, 0]));
        return parts.SelectMany(p => p).ToArray();
    }

    static byte[] Mutate(Random rng, byte[] a)
    {
        switch (rng.Next(7))
        {
            case 0: return a[..rng.Next(a.Length)];                                           // cut anywhere (mid header too)
            case 1: a[4] = 0xff; a[5] = 0xff; return a;                                       // a length past the end
            case 2: a[1] = (byte)rng.Next(12, 256); return a;                                 // an unknown type
            case 3: for (int k = rng.Next(1, 20); k > 0; k--) a[rng.Next(a.Length)] ^= (byte)(1 << rng.Next(8)); return a;
            case 4: a[0] = (byte)rng.Next(2, 256); return a;                                  // another protocol version
            case 5: a[2] = 0; a[3] = 9; return a;                                             // another request's id
            default: return a;
        }
    }

    /// <summary>Reads give the answer then end (or never end); writes go nowhere.</summary>
    sealed class FakeWorker(byte[] answer, bool silent) : Stream
    {
        int _at;
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (silent) { Thread.Sleep(Timeout.Infinite); return 0; }
            int n = Math.Min(count, answer.Length - _at);
            Array.Copy(answer, _at, buffer, offset, n);
            _at += n;
            return n;
        }
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (silent) { await Task.Delay(Timeout.Infinite, cancellationToken); return 0; }
            int n = Math.Min(buffer.Length, answer.Length - _at);
            answer.AsMemory(_at, n).CopyTo(buffer);
            _at += n;
            return n;
        }
    }
}
