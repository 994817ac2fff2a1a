using System.Text.Json;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Triage;

/// <summary>No crash report, however odd, makes triage or a renderer throw (fixed seeds: failures reproduce).</summary>
public class TriageRobustnessTests
{
    static readonly string?[] ModuleNamesPool =
    [
        null, "", " ", "ntdll", "kernel32", "ucrtbase", "php8ts", "php_xdebug", "php_xdebug-3.3.1-8.3-vs16-x86_64.dll",
        "PHP-CGI.EXE", "x64-ucrt-ruby310", "<exec cmd=\".shell rm\">", "a|b", "mod\nule", "ä.dll", "\ud800broken", "..", ".dll",
        @"C:\Program Files\PHP\php8ts.dll", "0x7ff612340000",
    ];

    static readonly string?[] FunctionPool =
    [
        null, "", "main", "ExitProcess", "exit", "abort", "RtlExitUserProcess", "xdebug_execute_ex", "zend_mm_alloc_heap+0x10",
        "std::vector<int,std::allocator<int> >::push_back", "operator new", "`anonymous namespace'::f", "kernel32!ExitProcess",
        "<lambda_1>::operator()", "\t", "x\r\ny", "+0x", "!", "a!b!c",
    ];

    static readonly uint[] Codes =
    [
        0xC0000005, 0xC0000006, 0xC0000409, 0xC00000FD, 0xC0000374, 0xC000000D, 0xC0000417, 0xE06D7363, 0xE0434352,
        0x80000003, 0x4000001F, 0xC0000094, 0, 0xFFFFFFFF, 0x12345678,
    ];

    static T Pick<T>(Random rng, IReadOnlyList<T> list) => list[rng.Next(list.Count)];

    static ulong RandomAddress(Random rng) => rng.Next(6) switch
    {
        0 => 0, 1 => (ulong)rng.Next(0, 0x10000), 2 => ulong.MaxValue, 3 => 0xFEEEFEEEFEEEFEEE,
        _ => ((ulong)(uint)rng.Next() << 32) | (uint)rng.Next(),
    };

    static CrashReport RandomCrash(Random rng)
    {
        int frameCount = rng.Next(4) == 0 ? 0 : rng.Next(1, 130);
        var frames = new List<StackFrame>();
        for (int i = 0; i < frameCount; i++)
            frames.Add(new StackFrame
            {
                Index = rng.Next(10) == 0 ? -rng.Next(100) : i,
                Module = Pick(rng, ModuleNamesPool),
                Function = Pick(rng, FunctionPool),
                Displacement = rng.Next(3) == 0 ? null : RandomAddress(rng),
                InstructionPointer = rng.Next(3) == 0 ? null : RandomAddress(rng),
                SourceFile = rng.Next(5) == 0 ? "c:\\php-src\\Zend\\zend.c" : null,
                SourceLine = rng.Next(5) == 0 ? rng.Next(-5, 10000) : null,
                Trust = (FrameTrust)rng.Next(0, 8),
                Inline = rng.Next(2) == 0,
            });
        var modules = new List<ModuleInfo>();
        for (int i = 0, n = rng.Next(0, 40); i < n; i++)
            modules.Add(new ModuleInfo
            {
                FileName = Pick(rng, ModuleNamesPool),
                Name = Pick(rng, ModuleNamesPool),
                Path = rng.Next(3) == 0 ? Pick(rng, ModuleNamesPool) : null,
                Base = rng.Next(2) == 0 ? RandomAddress(rng) : null,
                Size = rng.Next(2) == 0 ? RandomAddress(rng) : null,
                Symbols = (SymbolStatus)rng.Next(0, 9),
                PdbGuid = rng.Next(4) == 0 ? Guid.NewGuid() : null,
                Timestamp = rng.Next(2) == 0 ? (uint)rng.Next() : null,
            });
        ExceptionInfo? ex = rng.Next(4) == 0 ? null : new ExceptionInfo
        {
            Code = Pick(rng, Codes),
            Address = rng.Next(2) == 0 ? RandomAddress(rng) : null,
            Parameters = Enumerable.Range(0, rng.Next(0, 5)).Select(_ => rng.Next(3) == 0 ? (ulong)rng.Next(0, 10) : RandomAddress(rng)).ToList(),
            FirstChance = rng.Next(3) switch { 0 => true, 1 => false, _ => null },
        };
        return new CrashReport
        {
            Process = new ProcessInfo
            {
                Name = rng.Next(3) == 0 ? null : Pick(rng, ModuleNamesPool),
                Architecture = (Architecture)rng.Next(0, 5),
                CommandLine = rng.Next(3) switch { 0 => null, 1 => "\"C:\\PHP\\php-cgi.exe\" -c x", _ => "\"" },
            },
            Exception = ex,
            FaultingThread = rng.Next(10) == 0 ? null : new ThreadInfo { Frames = frames, Index = rng.Next(2) == 0 ? null : rng.Next(64) },
            Modules = modules,
            Source = new DataSource
            {
                Kind = Pick(rng, ModuleNamesPool) ?? "x",
                SkippedLines = rng.Next(3) == 0 ? [new SkippedLine(3, "garbage <b>")] : [],
            },
        };
    }

    /// <summary>A catalog that decides on arbitrary frames, including ones the triager did not expect.</summary>
    sealed class ChaosCatalog(int seed) : IOwnerCatalog
    {
        readonly Random rng = new(seed);
        public bool FrameHasTag(StackFrame frame, CrashReport crash, string tag) => rng.Next(8) == 0;
        public Owner? FindOwner(string id) => rng.Next(2) == 0 ? null : new Owner { Id = id, Name = "S<i>", Category = "bogus" };
        public StackWalkResult Walk(CrashReport crash, string? exceptionClass)
        {
            var frames = crash.Frames;
            var decisions = frames.Select(f => new FrameDecision
            {
                Frame = f, Action = (FrameAction)rng.Next(-1, 12),
                Explanation = "<exec cmd=\".shell\">", RuleId = rng.Next(2) == 0 ? null : "r\"1", Owner = "O<>",
            }).ToList();
            var deciding = decisions.Count == 0 || rng.Next(3) == 0 ? null
                : rng.Next(4) == 0 ? new FrameDecision { Frame = new StackFrame { Index = 999 }, Action = FrameAction.Owner, Explanation = "not in the list" }
                : decisions[rng.Next(decisions.Count)];
            return new StackWalkResult
            {
                Decisions = rng.Next(5) == 0 ? [] : decisions,
                Deciding = deciding,
                Owner = deciding is null ? null : new Owner { Id = "x", Name = "X <b>&", Category = rng.Next(2) == 0 ? "php-core" : "no-such" },
                Strength = rng.Next(7) switch { 0 => null, 6 => (FrameAction)99, var n => (FrameAction)(n + 2) },
                SignatureFrames = rng.Next(2) == 0 ? [] : frames.Take(rng.Next(0, 3)).ToList(),
                Trace = rng.Next(2) == 0 ? [] : ["t"],
            };
        }
        public Owner? OwnerOfModule(ModuleInfo module, CrashReport crash) => null;
        public string? WhereToGetSymbols(ModuleInfo module, CrashReport crash) =>
            rng.Next(2) == 0 ? null : "<exec cmd=\".shell\">";
    }

    [TestCase(1)]
    [TestCase(42)]
    [TestCase(20261126)]
    public void Random_crash_reports_never_make_triage_or_rendering_throw(int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < 300; i++)
        {
            var crash = RandomCrash(rng);
            IOwnerCatalog catalog = i % 2 == 0 ? FakeCatalog.Standard() : new ChaosCatalog(seed + i);
            TriageResult r = null!;
            Assert.DoesNotThrow(() => r = Triager.Triage(crash, catalog), $"seed {seed}, case {i}");
            Assert.That(r.Explanation, Has.None.Contains("internal error"), $"seed {seed}, case {i}: {string.Join(" / ", r.Explanation)}");
            Assert.That(r.Verdict.Bucket, Is.Not.Empty.And.Not.Contains(" ").And.Not.Contains("\n"), $"seed {seed}, case {i}");
            Assert.DoesNotThrow(() =>
            {
                TextRenderer.Render(r, verbose: true);
                var dml = TextRenderer.Render(r, verbose: true, dml: true);
                Assert.That(dml, Does.Not.Contain("<exec cmd=\".shell"));
                using var doc = JsonDocument.Parse(JsonRenderer.Render(r));
                MarkdownRenderer.Render(r, verbose: true);
                HtmlRenderer.Render(r, verbose: true);
            }, $"seed {seed}, case {i}");
        }
    }
}
