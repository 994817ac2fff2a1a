using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Triage;

namespace FcgiExt.Tests.Triage;

/// <summary>
/// A small IOwnerCatalog for triage tests: rules match a module name (image or engine name, case-insensitive,
/// optional trailing '*') and optionally a function; the walk is the documented top-down one
/// (ignore / prefix / owner / maybe / last / default), so triage can be tested apart from the YAML catalog.
/// </summary>
public sealed class FakeCatalog : IOwnerCatalog
{
    public sealed record Rule(string Id, string Module, string? Function, FrameAction Action, Owner? Owner = null, string[]? Tags = null);

    public List<Rule> Rules { get; } = [];
    public Owner? Default { get; set; }
    public Dictionary<string, string> Symbols { get; } = new(StringComparer.OrdinalIgnoreCase);
    public bool ThrowOnWalk { get; set; }

    public static Owner MakeOwner(string id, string name, string category, string? url = null, string? advice = null) =>
        new() { Id = id, Name = name, Category = category, ReportUrl = url, Advice = advice };

    public static readonly Owner Windows = MakeOwner("windows", "Windows", OwnerCategory.Windows);
    public static readonly Owner Crt = MakeOwner("crt", "C runtime", OwnerCategory.Crt);
    public static readonly Owner PhpCore = MakeOwner("php", "PHP core", OwnerCategory.PhpCore, "https://github.com/php/php-src/issues");
    public static readonly Owner Xdebug = MakeOwner("xdebug", "Xdebug", OwnerCategory.PhpExtension, "https://bugs.xdebug.org/");

    /// <summary>The catalog most tests use: Windows and CRT frames ignored, PHP core and Xdebug owners.</summary>
    public static FakeCatalog Standard()
    {
        var c = new FakeCatalog();
        c.Rules.Add(new("ntdll", "ntdll", null, FrameAction.Ignore));
        c.Rules.Add(new("kernelbase", "kernelbase", null, FrameAction.Ignore));
        c.Rules.Add(new("kernel32", "kernel32", null, FrameAction.Ignore));
        c.Rules.Add(new("ucrt", "ucrtbase", null, FrameAction.Ignore));
        c.Rules.Add(new("vcruntime", "vcruntime140", null, FrameAction.Ignore));
        c.Rules.Add(new("xdebug", "php_xdebug*", null, FrameAction.Owner, Xdebug));
        c.Rules.Add(new("php-core", "php8ts", null, FrameAction.Owner, PhpCore));
        c.Rules.Add(new("php-cgi", "php-cgi", null, FrameAction.Owner, PhpCore));
        c.Symbols["php8ts"] = "php-debug-pack-8.3.14-Win32-vs16-x64.zip from https://windows.php.net/downloads/releases/";
        c.Symbols["php_xdebug"] = "the Xdebug release's PDB";
        return c;
    }

    Rule? Match(StackFrame f, CrashReport crash)
    {
        var module = crash.FindModule(f.Module, f.InstructionPointer);
        var names = new[] { f.Module, module?.FileName, module?.Name, ModuleNames.EngineName(module?.FileName) }
            .Where(n => n is not null).Select(n => ModuleNames.EngineName(n!) ?? n!).ToList();
        foreach (var r in Rules)
        {
            var pattern = ModuleNames.EngineName(r.Module.TrimEnd('*')) ?? r.Module;
            bool prefix = r.Module.EndsWith('*');
            bool moduleMatch = names.Any(n => prefix ? n.StartsWith(pattern, StringComparison.OrdinalIgnoreCase) : ModuleNames.Same(n, pattern));
            if (!moduleMatch) continue;
            if (r.Function is not null && r.Function != f.Function) continue;
            return r;
        }
        return null;
    }

    /// <summary>Functions the fake's `exit` / `abort` tags match (module-independent, like the built-in CRT and Windows rules).</summary>
    public HashSet<string> ExitFunctions { get; } = new(StringComparer.Ordinal)
        { "exit", "_exit", "ExitProcess", "ExitProcessImplementation", "RtlExitUserProcess", "NtTerminateProcess", "TerminateProcess" };
    public HashSet<string> AbortFunctions { get; } = new(StringComparer.Ordinal) { "abort" };

    public bool FrameHasTag(StackFrame frame, CrashReport crash, string tag)
    {
        if (frame.Function is not { } fn) return false;
        var name = fn.Contains('!') ? fn[(fn.LastIndexOf('!') + 1)..] : fn;
        return tag switch
        {
            "exit" => ExitFunctions.Contains(name),
            "abort" => AbortFunctions.Contains(name),
            _ => Rules.Any(r => r.Tags?.Contains(tag) == true && ReferenceEquals(Match(frame, crash), r)),
        };
    }

    public Owner? FindOwner(string id) =>
        Rules.Select(r => r.Owner).Append(Default).FirstOrDefault(o => o is not null && o.Id == id) ?? ExtraOwners.GetValueOrDefault(id);

    /// <summary>Owners known by id only (php-script, …), as a catalog's owners list holds them.</summary>
    public Dictionary<string, Owner> ExtraOwners { get; } = new(StringComparer.Ordinal);

    public string? LastExceptionClass { get; private set; }

    public StackWalkResult Walk(CrashReport crash, string? exceptionClass)
    {
        LastExceptionClass = exceptionClass;
        if (ThrowOnWalk) throw new InvalidOperationException("broken site catalog");
        var decisions = new List<FrameDecision>();
        var trace = new List<string>();
        var prefix = new List<StackFrame>();
        FrameDecision? maybe = null, last = null, decided = null;
        Rule? maybeRule = null, lastRule = null, decidedRule = null;
        foreach (var f in crash.Frames)
        {
            if (decided is not null)
            {
                decisions.Add(new FrameDecision { Frame = f, Action = FrameAction.NotReached, Explanation = "below the deciding frame" });
                continue;
            }
            var r = Match(f, crash);
            FrameDecision d;
            if (r is null) d = new FrameDecision { Frame = f, Action = FrameAction.NoRule, Explanation = "no rule matches" };
            else
            {
                d = new FrameDecision { Frame = f, Action = r.Action, RuleId = r.Id, Owner = r.Owner?.Name, Explanation = $"{r.Action.Name()} by rule {r.Id}" };
                switch (r.Action)
                {
                    case FrameAction.Owner: decided = d; decidedRule = r; break;
                    case FrameAction.Maybe: if (maybe is null) { maybe = d; maybeRule = r; } break;
                    case FrameAction.Last: if (last is null) { last = d; lastRule = r; } break;
                    case FrameAction.Prefix: prefix.Add(f); break;
                }
            }
            decisions.Add(d);
            trace.Add($"#{f.Index:d2} {f.Display}: {d.Explanation}");
        }
        FrameDecision? deciding = decided ?? maybe ?? last;
        Rule? rule = decided is not null ? decidedRule : maybe is not null ? maybeRule : lastRule;
        FrameAction? strength = decided is not null ? FrameAction.Owner : maybe is not null ? FrameAction.Maybe : last is not null ? FrameAction.Last : null;
        Owner? owner = rule?.Owner;
        if (deciding is null && Default is not null && crash.Frames.Count > 0)
        {
            owner = Default;
            strength = FrameAction.Default;
            deciding = decisions.FirstOrDefault(x => x.Action == FrameAction.NoRule);
        }
        return new StackWalkResult
        {
            Decisions = decisions,
            Deciding = deciding,
            Owner = owner,
            RuleId = rule?.Id,
            Strength = strength,
            SignatureFrames = deciding is null ? [] : [.. prefix, deciding.Frame],
            Trace = trace,
        };
    }

    public Owner? OwnerOfModule(ModuleInfo module, CrashReport crash)
    {
        var name = ModuleNames.EngineName(module.FileName) ?? module.Name;
        if (name is null) return null;
        return Rules.FirstOrDefault(r => r.Owner is not null && (r.Module.EndsWith('*')
            ? name.StartsWith(ModuleNames.EngineName(r.Module.TrimEnd('*')) ?? r.Module.TrimEnd('*'), StringComparison.OrdinalIgnoreCase)
            : ModuleNames.Same(name, r.Module)))?.Owner;
    }

    public string? WhereToGetSymbols(ModuleInfo module, CrashReport crash)
    {
        var key = module.Name ?? ModuleNames.EngineName(module.FileName);
        if (key is null) return null;
        foreach (var (k, v) in Symbols)
            if (key.StartsWith(k, StringComparison.OrdinalIgnoreCase)) return v;
        return null;
    }
}

/// <summary>Builders for crash reports in tests.</summary>
public static class Crashes
{
    public static StackFrame Frame(int index, string module, string? function, ulong disp = 0x10, ulong ip = 0,
        FrameTrust trust = FrameTrust.UnwindInfo) =>
        new() { Index = index, Module = module, Function = function, Displacement = disp, InstructionPointer = ip == 0 ? null : ip, Trust = trust };

    public static ExceptionInfo Av(ulong access, ulong target, ulong address = 0x7ffb12345678) =>
        new() { Code = ExceptionCodes.AccessViolation, Address = address, Parameters = [access, target] };

    public static ModuleInfo Module(string fileName, SymbolStatus symbols = SymbolStatus.PrivatePdb, ulong @base = 0, string? path = null) =>
        new() { FileName = fileName, Name = ModuleNames.EngineName(fileName), Symbols = symbols,
            Base = @base == 0 ? null : @base, Size = @base == 0 ? null : 0x100000, Path = path };

    /// <summary>An Xdebug NULL write in php-cgi.exe x64, the example bucket of the issue.</summary>
    public static CrashReport XdebugNullWrite(ulong target = 0x10, ulong disp = 0x1a, SymbolStatus xdebugSymbols = SymbolStatus.PrivatePdb,
        FrameTrust xdebugTrust = FrameTrust.UnwindInfo, ulong ipBase = 0x7ffb00000000) => new()
    {
        Process = new ProcessInfo { Name = "php-cgi.exe", Architecture = Architecture.X64 },
        Exception = Av(1, target, ipBase + 0x1234),
        FaultingThread = new ThreadInfo
        {
            Index = 0,
            Frames =
            [
                Frame(0, "php_xdebug", "xdebug_execute_ex", disp, ipBase + 0x1234, xdebugTrust),
                Frame(1, "php8ts", "ZEND_DO_FCALL_SPEC_RETVAL_USED_HANDLER", 0x2c1, ipBase + 0x9000),
                Frame(2, "php8ts", "execute_ex", 0x51, ipBase + 0x9100),
                Frame(3, "php_cgi", "main", 0x99b, ipBase + 0x20000),
                Frame(4, "kernel32", "BaseThreadInitThunk", 0x14),
                Frame(5, "ntdll", "RtlUserThreadStart", 0x21),
            ],
        },
        Modules =
        [
            Module("php-cgi.exe", SymbolStatus.PrivatePdb, path: @"C:\PHP\8.3\php-cgi.exe"),
            Module("php8ts.dll"),
            Module("php_xdebug.dll", xdebugSymbols),
            Module("kernel32.dll", SymbolStatus.PublicPdb),
            Module("ntdll.dll", SymbolStatus.PublicPdb),
        ],
        Source = new DataSource { Kind = "windbg-text", Path = "xdebug.txt" },
    };

    /// <summary>php-cgi ending itself after PHP_FCGI_MAX_REQUESTS: no exception, ExitProcess on the stack.</summary>
    public static CrashReport PhpCgiExit() => new()
    {
        Process = new ProcessInfo { Name = "php-cgi.exe", Architecture = Architecture.X64 },
        FaultingThread = new ThreadInfo
        {
            Frames =
            [
                Frame(0, "ntdll", "NtTerminateProcess", 0x14),
                Frame(1, "ntdll", "RtlExitUserProcess", 0x5d),
                Frame(2, "kernel32", "ExitProcessImplementation", 0xb),
                Frame(3, "ucrtbase", "exit_or_terminate_process", 0x44),
                Frame(4, "ucrtbase", "common_exit", 0x6f),
                Frame(5, "ucrtbase", "exit", 0x10),
                Frame(6, "php_cgi", "main", 0x1c2),
                Frame(7, "kernel32", "BaseThreadInitThunk", 0x14),
                Frame(8, "ntdll", "RtlUserThreadStart", 0x21),
            ],
        },
        Modules = [Module("php-cgi.exe", path: @"C:\PHP\8.3\php-cgi.exe"), Module("ntdll.dll"), Module("kernel32.dll"), Module("ucrtbase.dll")],
    };
}

/// <summary>A catalog that returns a given walk result: for testing how triage reads one.</summary>
public sealed class FixedWalkCatalog(Func<CrashReport, StackWalkResult> walk) : IOwnerCatalog
{
    public StackWalkResult Walk(CrashReport crash, string? exceptionClass) => walk(crash);
    public bool FrameHasTag(StackFrame frame, CrashReport crash, string tag) => false;
    public Owner? FindOwner(string id) => null;
    public Owner? OwnerOfModule(ModuleInfo module, CrashReport crash) => null;
    public string? WhereToGetSymbols(ModuleInfo module, CrashReport crash) => null;
}
