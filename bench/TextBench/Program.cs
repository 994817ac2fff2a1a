using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Readers;

// Debugger-text readers on large and malformed inputs: for each format (a real fixture repeated to the size), each
// shape (clean; unclosed `<!--`, `<tr`, `<td` and `<script` in every repeat; the whole input on one line; binary garbage) and each
// size, one fresh process reads the file and reports time and memory. Fresh processes so one input's heap and JIT
// never flatter the next. The figures are the readers' steady state (see One: JIT, regex construction and the GC's
// young generation are in the baseline; "once s" is what the first read of the input's first 512 KB took, JIT
// included). Peak memory is the process's peak working set (VmHWM) while reading, minus its working set just before:
// what reading this input cost (the file decoded, the readers' garbage not yet collected included). The baseline is a
// collected heap with fresh budgets and its young generation resident, so a collection the warm-up left due does not
// land in the read. "alloc/input" is every byte the read allocated (garbage the GC took back during it included) over
// the input's: not memory held, but the churn that decides how often the GC runs, exact where the peak is not.
//   TextBench [sizes MB, default 1,4,16] [timeout s, default 120] [--baseline <another build's TextBench.dll>]
//   TextBench --one <file>   (the child: prints "seconds peakBytes onceSeconds allocatedBytes")
// With --baseline, each input is read by that build's child too, right before this build's: before and after figures
// side by side from one run on the same inputs (peak/input counts the input file's bytes; the text in memory is two
// bytes a character).

if (args.Length == 2 && args[0] == "--one") return One(args[1]);

string? baseline = null;
int b = Array.IndexOf(args, "--baseline");
if (b >= 0)
{
    baseline = Path.GetFullPath(args[b + 1]);
    args = args.Take(b).Concat(args.Skip(b + 2)).ToArray();
}
var sizes = (args.Length > 0 ? args[0] : "1,4,16").Split(',').Select(int.Parse).ToArray();
int timeout = args.Length > 1 ? int.Parse(args[1]) : 120;
var root = FindRoot();
var fixtures = Path.Combine(root, "tests/RulesEngine.Tests/Fixtures/text");
(string Name, string File)[] formats =
[
    ("windbg k/lm/.exr", "synthetic-windbg-x64-session-xdebug.txt"),
    ("!analyze -v", "php-src-16449-analyze-opcache-jit-fragment.txt"),
    ("event 1000", "php-src-10692-event1000-php8-fastcgi.txt"),
    ("Report.wer", "msphpsql-82-Report.wer"),
    ("lmv", "electron-21614-lmv-oleaut32.txt"),
    ("ruby crash", "grpc-34706-ruby32-grpc-segv.txt"),
    ("debugdiag html", "synthetic-debugdiag-report.html"),
    ("debugdiag text", "synthetic-debugdiag-text.txt"),
    ("vs call stack", "zeroc-ice-79-visual-studio-call-stack.txt"),
];
string[] shapes = ["clean", "unclosed", "one line", "binary"];
var self = Environment.ProcessPath!;
var selfArgs = self.EndsWith("dotnet", StringComparison.Ordinal) ? [typeof(Program).Assembly.Location] : Array.Empty<string>();
var tmp = Directory.CreateTempSubdirectory("fcgi-textbench-");
try
{
    Console.WriteLine($"{"format",-16} {"shape",-9} {"MB",4} {"seconds",8} {"MB/s",8} {"peak MB",8} {"peak/input",10} " +
        $"{"once s",6} {"alloc/input",11}" +
        (baseline is null ? "" : $" {"before MB/s",11} {"before peak/input",17}"));
    double worstRate = double.MaxValue;
    var worstRatio = sizes.Distinct().ToDictionary(mb => mb, _ => 0.0);   // "1,1" is one size
    foreach (var (name, file) in formats)
    {
        var text = DebuggerText.Decode(File.ReadAllBytes(Path.Combine(fixtures, file)));
        foreach (var shape in shapes)
            foreach (var mb in sizes)
            {
                if (shape == "binary" && name != formats[0].Name) continue; // garbage is the same whatever the format
                var path = Path.Combine(tmp.FullName, "input");
                long bytes = Write(path, text, shape, mb);
                string before = "";
                if (baseline is not null)
                {
                    var (bok, bsec, bpeak, _, _) = RunChild("dotnet", [baseline], path, timeout);
                    before = bok ? $" {bytes / 1048576.0 / Math.Max(bsec, 1e-6),11:F1} {bpeak / (double)bytes,17:F2}"
                        : $" {"-",11} {"-",17}";
                }
                var (ok, seconds, peak, once, allocated) = RunChild(self, selfArgs, path, timeout);
                double inMb = bytes / 1048576.0;
                string sec = ok ? $"{seconds,8:F2}" : $"{(seconds < 0 ? "error" : ">" + timeout),8}";
                string rate = ok ? $"{inMb / Math.Max(seconds, 1e-6),8:F1}" : $"{"-",8}";
                string pk = ok ? $"{peak / 1048576.0,8:F1}" : $"{"-",8}";
                string ratio = ok ? $"{peak / (double)bytes,10:F2}" : $"{"-",10}";
                string first = ok ? $"{once,6:F2}" : $"{"-",6}";
                string alloc = ok ? $"{allocated / (double)bytes,11:F2}" : $"{"-",11}";
                Console.WriteLine($"{name,-16} {shape,-9} {mb,4} {sec} {rate} {pk} {ratio} {first} {alloc}{before}");
                if (ok)
                {
                    worstRate = Math.Min(worstRate, inMb / Math.Max(seconds, 1e-6));
                    worstRatio[mb] = Math.Max(worstRatio[mb], peak / (double)bytes);
                }
                else worstRate = 0;
            }
    }
    // Per size: on a 1 MB input the GC's young generation (a few MB whatever the input) decides whether the readers'
    // garbage is collected during the read or counted, so those cells swing with the GC's timing, not with the input.
    Console.WriteLine($"slowest {worstRate:F1} MB/s (goal >= 5); largest peak/input (goal <= 4) " +
        string.Join(", ", worstRatio.Select(w => $"{w.Value:F2}x at {w.Key} MB")));
}
finally { tmp.Delete(true); }
return 0;

static int One(string path)
{
    // Steady state: one-time costs are put in the baseline, so the figures are what this input costs a warmed-up reader.
    // The first 512 KB of the same input, read from a file of its own the way the input is (decoding included) seven
    // times, JIT-compile (and tier up) the readers and build the regexes this format needs, the last times after pauses
    // that let the runtime finish recompiling them; then 64 MB of small garbage makes the GC touch its whole young
    // generation, whose size comes from the CPU's cache (half of the L3), not from the input. What those cost once is
    // printed too ("once").
    var onceWatch = Stopwatch.StartNew();
    var head = new byte[Math.Min(512 * 1024, new FileInfo(path).Length)];
    using (var file = File.OpenRead(path)) file.ReadExactly(head);
    var warm = path + ".head";
    File.WriteAllBytes(warm, head);
    DebuggerText.ReadFile(warm, refuseBinary: false);
    double once = onceWatch.Elapsed.TotalSeconds;
    // Again after pauses: the runtime recompiles hot methods in the background about 100 ms after they got hot, first
    // with counters (dynamic PGO), then optimized from what the counters saw, and that compilation's time and memory
    // belong to the start-up, not to the input. Four reads were not enough: a 1 MB read right after them still ran
    // partly unoptimized code and took three times what it takes once the runtime is done (measured here).
    for (int k = 0; k < 6; k++)
    {
        Thread.Sleep(300);
        DebuggerText.ReadFile(warm, refuseBinary: false);
    }
    File.Delete(warm);
    // A full collection resets the GC's budgets (the warm-up's large text used up the large object heap's, and the read's
    // text would otherwise start a full collection of the warm-up's leftovers in the middle of the read); it also gives
    // the young generation's pages back, so the garbage after it makes them resident again.
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    for (int g = 0; g < 64 * 1024 * 1024 / 4096; g++) GC.KeepAlive(new byte[4072]);
    GC.Collect(0);
    using var process = Process.GetCurrentProcess();
    process.Refresh();
    long before = process.WorkingSet64;
    long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    var sw = Stopwatch.StartNew();
    // Binary files too: the readers' cost on garbage is what is measured.
    var report = DebuggerText.ReadFile(path, refuseBinary: false);
    sw.Stop();
    GC.KeepAlive(report);
    long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
    process.Refresh();
    Console.WriteLine($"{sw.Elapsed.TotalSeconds:R} {Math.Max(0, process.PeakWorkingSet64 - before)} {once:R} {allocated}");
    return 0;
}

static long Write(string path, string fixture, string shape, int mb)
{
    long target = mb * 1048576L;
    if (shape == "binary")
    {
        var random = new Random(15);
        var data = new byte[target];
        random.NextBytes(data);
        File.WriteAllBytes(path, data);
        return target;
    }
    var sb = new StringBuilder((int)target + fixture.Length);
    // Unclosed: every repeat opens a comment, a row, a cell and a script that never close (a report cut mid-tag,
    // many times over), the case where each opener used to rescan the rest of the text.
    var opener = shape == "unclosed" ? "<!-- cut\n<tr><td class=\"x\"\n<script>\n" : "";
    // And nothing closes them: a fixture's own "-->" or "</tr>" would end the previous repeat's opener.
    if (shape == "unclosed") fixture = Regex.Replace(fixture, @"-->|</(?:script|style|tr)\s*>", "", RegexOptions.IgnoreCase);
    while (sb.Length < target) sb.Append(opener).Append(fixture).Append('\n');
    if (shape == "one line") sb.Replace('\r', ' ').Replace('\n', ' ');
    sb.Length = (int)target;
    var encoded = Encoding.UTF8.GetBytes(sb.ToString());
    File.WriteAllBytes(path, encoded);
    return encoded.Length;
}

static (bool Ok, double Seconds, long Peak, double Once, long Allocated) RunChild(string self, string[] selfArgs, string path, int timeout)
{
    var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in selfArgs) start.ArgumentList.Add(a);
    start.ArgumentList.Add("--one");
    start.ArgumentList.Add(path);
    using var child = Process.Start(start)!;
    var output = child.StandardOutput.ReadToEndAsync();
    _ = child.StandardError.ReadToEndAsync();
    if (!child.WaitForExit(timeout * 1000))
    {
        child.Kill(entireProcessTree: true);
        child.WaitForExit();
        return (false, timeout, 0, 0, 0);
    }
    var parts = output.Result.Trim().Split(' ');
    if (child.ExitCode != 0 || parts.Length < 2) return (false, -1, 0, 0, 0);
    var invariant = System.Globalization.CultureInfo.InvariantCulture;
    // An older build's child (--baseline) prints no third or fourth figure.
    return (true, double.Parse(parts[0], invariant), long.Parse(parts[1]), parts.Length > 2 ? double.Parse(parts[2], invariant) : 0,
        parts.Length > 3 ? long.Parse(parts[3]) : -1);
}

static string FindRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "FcgiExt.sln"))) return d.FullName;
    throw new InvalidOperationException("run from inside the FcgiExt checkout");
}
