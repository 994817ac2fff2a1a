using Stopwatch = System.Diagnostics.Stopwatch;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Triage;

// RulesEngine speed: triage of a 100-frame stack against the built-in catalog (goal: well under 1 ms)
// and the time to load the built-in catalog. Medians of many runs after a warm-up, in one process.

static double MedianMicroseconds(int runs, int innerLoops, Action action)
{
    for (int i = 0; i < Math.Max(3, runs / 10); i++) action(); // warm-up: JIT, caches
    var samples = new double[runs];
    for (int r = 0; r < runs; r++)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < innerLoops; i++) action();
        sw.Stop();
        samples[r] = sw.Elapsed.TotalMicroseconds / innerLoops;
    }
    Array.Sort(samples);
    return samples[runs / 2];
}

static CrashReport HundredFrameCrash()
{
    // A deep PHP stack: the crash in an extension under 98 engine/extension frames, over the CRT and ntdll.
    var modules = new[] { "php8ts", "php_xdebug_3_3_1_8_3_vs16_x86_64", "php_opcache", "php_curl", "ucrtbase", "kernel32", "ntdll" };
    var functions = new[] { "execute_ex", "zend_call_function", "xdebug_execute_ex", "zend_execute", "php_execute_script", "curl_exec", "memcpy" };
    var frames = new List<StackFrame>();
    frames.Add(new StackFrame { Index = 0, Module = "ucrtbase", Function = "memcpy", Displacement = 0x12, InstructionPointer = 0x7ff800001000 });
    for (int i = 1; i < 98; i++)
        frames.Add(new StackFrame { Index = i, Module = modules[i % 4], Function = functions[i % 6] + (i % 7 == 0 ? "_helper" : ""), Displacement = (ulong)i * 3, InstructionPointer = 0x180000000UL + (ulong)i * 0x40 });
    frames.Add(new StackFrame { Index = 98, Module = "kernel32", Function = "BaseThreadInitThunk", Displacement = 0x14 });
    frames.Add(new StackFrame { Index = 99, Module = "ntdll", Function = "RtlUserThreadStart", Displacement = 0x21 });
    return new CrashReport
    {
        Process = new ProcessInfo { Name = "php-cgi.exe", Architecture = Architecture.X64 },
        Exception = new ExceptionInfo { Code = 0xC0000005, Parameters = [1, 0], Address = 0x7ff800001012 },
        FaultingThread = new ThreadInfo { Index = 0, Frames = frames },
        Modules = modules.Select((m, i) => new ModuleInfo { Name = m, Base = 0x180000000UL + (ulong)i * 0x1000000, Size = 0x1000000, Symbols = SymbolStatus.PrivatePdb }).ToList(),
    };
}

var crash = HundredFrameCrash();
// What the catalog holds once loaded, and once a first triage built what it needed (catalog regexes are built on first use).
long before = GC.GetTotalMemory(forceFullCollection: true);
var catalog = RuleCatalog.LoadBuiltIn();
long loaded = GC.GetTotalMemory(forceFullCollection: true);
var result = Triager.Triage(crash, catalog);
long triaged = GC.GetTotalMemory(forceFullCollection: true);
// A fresh copy each time: the catalog keeps what it answered about a crash while that crash lives.
double triageUs = MedianMicroseconds(runs: 201, innerLoops: 200, () => Triager.Triage(crash with { }, catalog));
double walkUs = MedianMicroseconds(runs: 201, innerLoops: 200, () => catalog.Walk(crash, null));
double loadUs = MedianMicroseconds(runs: 31, innerLoops: 3, () => RuleCatalog.LoadBuiltIn());

Console.WriteLine($"built-in catalog: {catalog.Rules.Count} rules, {catalog.Owners.Count} owners; verdict on the 100-frame stack: {result.Verdict.Owner} ({result.Verdict.Bucket})");
Console.WriteLine($"triage of a 100-frame stack (median):   {triageUs,10:0.0} us   ({triageUs / 1000:0.000} ms; goal well under 1 ms)");
Console.WriteLine($"  of which the catalog walk:            {walkUs,10:0.0} us   ({walkUs / triageUs:P0} of triage)");
Console.WriteLine($"built-in catalog load (median):         {loadUs,10:0.0} us   ({loadUs / 1000:0.0} ms)");
Console.WriteLine($"ratio catalog load : one triage          {loadUs / triageUs,10:0.0} x");
Console.WriteLine($"managed memory held by the catalog:     {(loaded - before) / 1048576.0,10:0.0} MB loaded, " +
    $"{(triaged - before) / 1048576.0:0.0} MB after the first triage");
