namespace FcgiExt.RulesEngine.Model;

// The one crash model. Every source (debugger text readers, the DbgEng collector) fills it;
// triage and every renderer only read it. Values unknown to a source stay null.

public enum Architecture { Unknown, X86, X64, Arm64 }

/// <summary>How the debugger found a frame; scanned frames lower the verdict's confidence.</summary>
public enum FrameTrust { Unknown, Context, UnwindInfo, FramePointer, Scan, Inline }

/// <summary>Symbol status of a module, as `lml`/`lmv` show it.</summary>
public enum SymbolStatus { Unknown, PrivatePdb, PublicPdb, ExportOnly, None, Mismatched, Deferred }

public enum AccessKind { Unknown, Read, Write, Execute }

public sealed record ProcessInfo
{
    public string? Name { get; init; }           // "php-cgi.exe"
    public Architecture Architecture { get; init; }
    public string? CommandLine { get; init; }
    public uint? ProcessId { get; init; }
    /// <summary>The code the process ended with, when the source tells only that (a web server's log line or error
    /// page: Apache's "exit status 3221225477", IIS's "Error Number: -1073741819 (0xc0000005)"); triage decodes it.</summary>
    public uint? ExitCode { get; init; }
}

public sealed record ExceptionInfo
{
    public uint Code { get; init; }
    public uint Flags { get; init; }
    public ulong? Address { get; init; }                          // ExceptionAddress
    public IReadOnlyList<ulong> Parameters { get; init; } = [];   // ExceptionInformation[]
    /// <summary>True for first chance, false for second chance, null when the source does not say.</summary>
    public bool? FirstChance { get; init; }
    /// <summary>For heap corruption (c0000374): the heap's HEAP_FAILURE_TYPE read from the failure information that
    /// Parameters[0] points to (8 = heap_failure_block_not_busy, a block freed twice), when the source has it.</summary>
    public uint? HeapFailureType { get; init; }
    /// <summary>The bytes at the exception address and the exception context's registers, when the source has them:
    /// what decoding the faulting instruction needs (x64 reports every general-protection fault as 0xffffffffffffffff).</summary>
    public FaultingInstruction? Instruction { get; init; }
    /// <summary>False when the dump's exception stream has no usable context (missing, or outside the file): the stack
    /// then is the reporting thread's own, not the faulting one. Null when the source does not say.</summary>
    public bool? ContextAvailable { get; init; }
    /// <summary>For access violations: ExceptionInformation[0] (0 read, 1 write, 8 execute).</summary>
    public AccessKind Access =>
        Code != 0xC0000005 && Code != 0xC0000006 || Parameters.Count < 1 ? AccessKind.Unknown
        : Parameters[0] switch { 0 => AccessKind.Read, 1 => AccessKind.Write, 8 => AccessKind.Execute, _ => AccessKind.Unknown };
    /// <summary>For access violations: ExceptionInformation[1], the address that was touched.</summary>
    public ulong? TargetAddress =>
        (Code == 0xC0000005 || Code == 0xC0000006) && Parameters.Count >= 2 ? Parameters[1] : null;
}

/// <summary>The faulting instruction's bytes (up to 15, from the dump's memory or the image) and the exception context's
/// general registers by lower-case name ("rax", "r8", "rip").</summary>
public sealed record FaultingInstruction
{
    public required ulong Address { get; init; }
    public required IReadOnlyList<byte> Bytes { get; init; }
    public IReadOnlyDictionary<string, ulong> Registers { get; init; } = new Dictionary<string, ulong>();
}

public sealed record StackFrame
{
    public int Index { get; init; }
    public ulong? InstructionPointer { get; init; }
    public ulong? ChildStackPointer { get; init; }
    public ulong? ReturnAddress { get; init; }
    /// <summary>The engine's module name (dbgeng turns '-' and '.' into '_'), or the image name from text sources.</summary>
    public string? Module { get; init; }
    public string? Function { get; init; }
    public ulong? Displacement { get; init; }
    public string? SourceFile { get; init; }
    public int? SourceLine { get; init; }
    public FrameTrust Trust { get; init; }
    public bool Inline { get; init; }

    /// <summary>module!function+0xdisp, as WinDbg prints it.</summary>
    public string Display
    {
        get
        {
            if (Module is null && Function is null)
                return InstructionPointer is { } ip ? $"0x{ip:x}" : "<unknown>";
            var s = Function is null ? Module! : $"{Module}!{Function}";
            // A damaged dump's symbol lookup can give a displacement "before" the symbol: print it negative, as it is.
            if (Displacement is > 0x8000_0000_0000_0000) s += $"-0x{0 - Displacement.Value:x}";
            else if (Displacement is > 0) s += $"+0x{Displacement:x}";
            else if (Function is null && InstructionPointer is { } ip2 && Displacement is null) s += $"+0x{ip2:x}";
            return s;
        }
    }
}

public sealed record ThreadInfo
{
    public uint? Id { get; init; }
    public int? Index { get; init; }      // the debugger's thread number (~N)
    public IReadOnlyList<StackFrame> Frames { get; init; } = [];
    /// <summary>Register values at the fault, by lower-case name ("rip", "rsp", "eax"…), when the source shows them.</summary>
    public IReadOnlyDictionary<string, ulong> Registers { get; init; } = new Dictionary<string, ulong>();
}

public sealed record ModuleInfo
{
    /// <summary>Image file name, e.g. "php_xdebug-3.3.1-8.3-vs16-x86_64.dll", when known.</summary>
    public string? FileName { get; init; }
    /// <summary>Engine module name, e.g. "php_xdebug_3_3_1_8_3_vs16_x86_64".</summary>
    public string? Name { get; init; }
    public string? Path { get; init; }
    public ulong? Base { get; init; }
    public ulong? Size { get; init; }
    public uint? Timestamp { get; init; }
    /// <summary>The version resource's fixed file version as lmv's "File version" shows it ("8.3.4.0").</summary>
    public string? FileVersion { get; init; }
    /// <summary>The version resource's fixed product version (lmv's "Product version"), when known.</summary>
    public string? ProductVersion { get; init; }
    /// <summary>The PE optional header's linker version, "major.minor" ("14.29"): tells the compiler when nothing else does.</summary>
    public string? LinkerVersion { get; init; }
    /// <summary>The PDB file name of the image's CodeView (RSDS) record, e.g. "php8ts.pdb" (file name only).</summary>
    public string? PdbName { get; init; }
    /// <summary>The CodeView record's GUID and age: with PdbName, the key of the PDB in a symbol store.</summary>
    public Guid? PdbGuid { get; init; }
    public uint? PdbAge { get; init; }
    public SymbolStatus Symbols { get; init; }
    /// <summary>The symbol file the debugger loaded, when it says.</summary>
    public string? SymbolFile { get; init; }

    /// <summary>Best display name: the image file name, else the engine name.</summary>
    public string DisplayName => FileName ?? Name ?? Path ?? "?";

    public bool Contains(ulong address) => Base is { } b && Size is { } s && address >= b && address < b + s;
}

/// <summary>A line a reader could not use: never dropped silently.</summary>
public sealed record SkippedLine(int LineNumber, string Text);

public sealed record DataSource
{
    /// <summary>"windbg-text", "event-log", "wer", "ruby-crash-report", "debugdiag", "dbgeng", …</summary>
    public string Kind { get; init; } = "unknown";
    public string? Path { get; init; }
    /// <summary>The lines a reader skipped, the first <see cref="MaxSkippedLinesListed"/> of them.</summary>
    public IReadOnlyList<SkippedLine> SkippedLines { get; init; } = [];
    /// <summary>How many lines were skipped in all (more than <see cref="SkippedLines"/> holds when the text had more than
    /// <see cref="MaxSkippedLinesListed"/>).</summary>
    public int SkippedLineCount { get => skippedLineCount ?? SkippedLines.Count; init => skippedLineCount = value; }
    int? skippedLineCount;
    /// <summary>A text of megabytes can skip a line in every repeat of a paste: listing the first thousand tells the
    /// reader's trouble, keeping every one cost memory in proportion to the text.</summary>
    public const int MaxSkippedLinesListed = 1000;
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>A live process stopped in the debugger (not a dump): its dump can still be written.</summary>
    public bool Live { get; init; }
}

public sealed record CrashReport
{
    public ProcessInfo Process { get; init; } = new();
    /// <summary>Null when the process did not stop on an exception (e.g. a dump taken at exit).</summary>
    public ExceptionInfo? Exception { get; init; }
    public ThreadInfo? FaultingThread { get; init; }
    public IReadOnlyList<ModuleInfo> Modules { get; init; } = [];
    public DataSource Source { get; init; } = new();
    /// <summary>What the source itself concluded, when it says (e.g. !analyze's FAILURE_BUCKET_ID): kept for reference only.</summary>
    public string? SourceBucket { get; init; }
    /// <summary>When the crash happened, if known (WER, event log, dump header).</summary>
    public DateTimeOffset? Time { get; init; }
    /// <summary>What a language runtime printed about its own crash (Ruby's crash report), beside the native stack.</summary>
    public RuntimeReport? Runtime { get; init; }

    public IReadOnlyList<StackFrame> Frames => FaultingThread?.Frames ?? [];

    /// <summary>Finds a module by image file name or engine name (case-insensitive), or by address.</summary>
    public ModuleInfo? FindModule(string? name, ulong? address = null)
    {
        if (name is not null)
        {
            foreach (var m in Modules)
                if (ModuleNames.Same(m.Name, name) || ModuleNames.Same(m.FileName, name) ||
                    ModuleNames.Same(ModuleNames.EngineName(m.FileName), name))
                    return m;
        }
        if (address is { } a)
            foreach (var m in Modules)
                if (m.Contains(a)) return m;
        return null;
    }
}

/// <summary>A script-level frame a runtime printed (Ruby's control frames and Ruby level backtrace), top first.</summary>
public sealed record ScriptFrame
{
    /// <summary>The method or C function name ("connect").</summary>
    public string? Function { get; init; }
    /// <summary>The script file, when the runtime printed one.</summary>
    public string? File { get; init; }
    public int? Line { get; init; }
    /// <summary>True for a frame running a C function (Ruby's CFUNC control frame): native code called from script.</summary>
    public bool IsNative { get; init; }
}

/// <summary>A runtime's own account of the crash: evidence when the native stack holds only its crash handler.</summary>
public sealed record RuntimeReport
{
    /// <summary>The file the fatal error line names (Ruby: the path before ": [BUG]"), e.g. a gem's mysql2.so.</summary>
    public string? BugFile { get; init; }
    public IReadOnlyList<ScriptFrame> ScriptFrames { get; init; } = [];
    /// <summary>Error and warning lines a gem printed before the crash ("…/gems/pg-1.5.4/lib/pg.rb:12: warning: …"),
    /// in the order printed: evidence when neither the [BUG] line nor the control frames name a gem.</summary>
    public IReadOnlyList<string> GemMessages { get; init; } = [];
}

/// <summary>Module name rules shared by readers, catalog and triage.</summary>
public static class ModuleNames
{
    /// <summary>dbgeng's module name for an image: file name without extension, '-' and '.' turned into '_'.</summary>
    public static string? EngineName(string? fileName)
    {
        if (string.IsNullOrEmpty(fileName)) return null;
        var f = fileName.Replace('\\', '/');
        f = f[(f.LastIndexOf('/') + 1)..];
        // dbgeng drops the image's extension, whatever its length (".dll", ".so", ".ruby" for some gems), but a
        // trailing ".3" of a version is part of the name.
        int dot = f.LastIndexOf('.');
        if (dot > 0 && dot < f.Length - 1 && f[(dot + 1)..].All(char.IsAsciiLetter)) f = f[..dot];
        return f.Replace('-', '_').Replace('.', '_');
    }

    /// <summary>
    /// The one name a module has in a bucket, whatever the source knew of it: a dump's "crashme.exe", lmv's
    /// "php_xdebug-3.3.1-8.3-vs16-x86_64.dll" and k's "crashme" or "php_xdebug_3_3_1_8_3_vs16_x86_64" must give one
    /// bucket, and the engine name is the only form every source has. Lower case.
    /// </summary>
    public static string? BucketName(string? name) =>
        string.IsNullOrWhiteSpace(name) ? null : EngineName(FileName(name.Trim()))?.ToLowerInvariant();

    /// <summary>The file name of a path in any case and separator style.</summary>
    public static string FileName(string path)
    {
        var f = path.Replace('\\', '/');
        return f[(f.LastIndexOf('/') + 1)..];
    }

    public static bool Same(string? a, string? b) =>
        a is not null && b is not null && string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
