using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>
/// Collects what every format reader found in one text and merges it into one CrashReport.
/// Several readers may say the same thing (the exception code from `.exr -1`, `.lastevent`, !analyze and
/// the event log): the first value a stronger source gives wins, see <see cref="ExceptionStrength"/>.
/// </summary>
internal sealed class CrashReportBuilder
{
    /// <summary>A stack one reader found, with how much it is trusted to be the faulting thread's.</summary>
    internal sealed record StackCandidate(string Kind, int Priority, List<StackFrame> Frames, int? ThreadIndex, uint? ThreadId);

    // Stack priorities: !analyze's STACK_TEXT is the faulting thread by construction; a k after .ecxr is too;
    // a plain k may be any thread; Ruby's and DebugDiag's reports name the crash; the event log and WER only
    // give module+offset.
    public const int PriorityAnalyze = 60, PriorityKAfterEcxr = 55, PriorityDebugDiagFaulting = 52, PriorityRuby = 50,
        PriorityK = 40, PriorityDebugDiag = 30, PriorityFaultingInstruction = 20, PriorityEventLog = 10, PriorityBucket = 5;

    readonly List<StackCandidate> stacks = [];
    // Only the first stack of each kind, priority and thread is kept: ChooseStack takes the first among equals, so the
    // others could never be chosen, and a text repeating a paste thousands of times would keep every copy (and asking
    // "a stack above?" of all of them made each new one cost the number before it).
    readonly HashSet<(string, int, int?)> stackKeys = [];
    int highestStackPriority = int.MinValue;
    readonly List<ModuleInfo> modules = [];
    // Modules by engine name (case-insensitive, as ModuleNames.Same compares): a lookup, not a scan per module line.
    readonly Dictionary<string, int> moduleIndex = new(StringComparer.OrdinalIgnoreCase);
    readonly List<SkippedLine> skipped = [];
    readonly HashSet<int> skippedNumbers = [];
    readonly List<string> notes = [];
    readonly List<string> kinds = [];
    readonly Dictionary<string, ulong> registers = new(StringComparer.Ordinal);

    public string? ProcessName;
    /// <summary>The exit code a log line or error page gives (the first one wins).</summary>
    public uint? ExitCode;
    public Architecture Architecture;
    public uint? ProcessId, FaultingThreadId;
    public int? FaultingThreadIndex;
    public string? SourceBucket;
    public DateTimeOffset? Time;
    /// <summary>A runtime's own crash report was seen (Ruby's [BUG] line or its frame sections).</summary>
    public bool RuntimeReported;
    public string? RuntimeBugFile;
    public List<string> GemMessages { get; } = [];
    public List<ScriptFrame>? ControlFrames, BacktraceFrames;

    // Exception pieces, each remembered with the strength of its source.
    uint? code; int codeStrength = -1;
    uint? flags; ulong? address; int addressStrength = -1;
    List<ulong>? parameters; int parametersStrength = -1;
    bool? firstChance; bool firstChanceKnown;
    /// <summary>Read/write and target address known from prose ("Attempt to write to address 0", READ_ADDRESS).</summary>
    public (AccessKind Kind, ulong? Target)? AccessFromText;

    /// <summary>Source strengths for exception fields: an exception record beats a summary line.</summary>
    public static class ExceptionStrength { public const int Inferred = 0, Summary = 1, Event = 2, Analyze = 3, Record = 4; }

    public void AddKind(string kind) { if (!kinds.Contains(kind)) kinds.Add(kind); }
    public void Note(string note) { if (!notes.Contains(note)) notes.Add(note); }
    public void Skip(TextLine line)
    {
        if (!skippedNumbers.Add(line.Number)) return;
        if (skipped.Count < DataSource.MaxSkippedLinesListed) skipped.Add(new SkippedLine(line.Number, line.Raw.TrimEnd()));
    }

    public void SetCode(uint value, int strength)
    {
        if (strength > codeStrength) { code = value; codeStrength = strength; }
    }
    public bool HasCode => code is not null;
    public void SetFlags(uint value) => flags ??= value;
    public void SetAddress(ulong value, int strength)
    {
        if (strength > addressStrength) { address = value; addressStrength = strength; }
    }
    public void SetParameters(List<ulong> values, int strength)
    {
        if (strength > parametersStrength) { parameters = values; parametersStrength = strength; }
    }
    public void SetFirstChance(bool? value)
    {
        if (firstChanceKnown && firstChance is not null) return;
        firstChance = value; firstChanceKnown = true;
    }
    /// <summary>
    /// The debugger's event line for exception <paramref name="eventCode"/> says second chance: after "g" the debugger
    /// reports the same exception again as "(!!! second chance !!!)" when no handler took it, so that later line beats
    /// an earlier "(first chance)" of the same code (the code of another exception does not change what is kept).
    /// </summary>
    public void SetSecondChanceOf(uint eventCode)
    {
        if (firstChance is true && code is { } c && c != eventCode) return;
        firstChance = false; firstChanceKnown = true;
    }

    public void SetArchitecture(Architecture a)
    {
        if (Architecture == Architecture.Unknown) Architecture = a;
    }

    /// <summary>
    /// The architecture from how wide a tool printed an address or offset ("0x" not counted): WER and Visual Studio write
    /// a 64-bit process's with 16 hex digits and a 32-bit one's with 8; any other width says nothing.
    /// </summary>
    public void SetArchitectureFromWidth(string hex)
    {
        hex = hex.Trim();
        int digits = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex.Length - 2 : hex.Length;
        if (digits == 16) SetArchitecture(Architecture.X64);
        else if (digits == 8) SetArchitecture(Architecture.X86);
    }

    /// <summary>The disassembly line under `.ecxr`'s registers: address and instruction bytes.</summary>
    public (ulong Address, byte[] Bytes)? PastedInstruction;

    /// <summary>The registers by full x64 name, as the decoder asks for them (eax → rax, eip → rip, r8d stays out).</summary>
    Dictionary<string, ulong> FullRegisters()
    {
        var full = new Dictionary<string, ulong>();
        foreach (var (name, value) in registers)
        {
            if (name.Length == 3 && name[0] == 'e' && name[1..] is "ax" or "bx" or "cx" or "dx" or "si" or "di" or "sp" or "bp" or "ip")
                full.TryAdd("r" + name[1..], value);
            else if (name.Length >= 2 && name[0] == 'r' && !name.EndsWith('d') && !name.EndsWith('w') && !name.EndsWith('b'))
                full[name] = value;
        }
        return full;
    }

    public void SetRegister(string name, ulong value) => registers.TryAdd(name.ToLowerInvariant(), value);
    public bool HasRegisters => registers.Count > 0;

    public void AddStack(StackCandidate candidate)
    {
        if (candidate.Frames.Count == 0 || !stackKeys.Add((candidate.Kind, candidate.Priority, candidate.ThreadIndex))) return;
        stacks.Add(candidate);
        highestStackPriority = Math.Max(highestStackPriority, candidate.Priority);
    }

    public bool HasStackAbove(int priority) => highestStackPriority > priority;

    /// <summary>Adds or merges a module. Entries are the same module when their engine names match.</summary>
    public void AddModule(ModuleInfo m)
    {
        var key = KeyOf(m);
        if (key is null) return;
        if (!moduleIndex.TryGetValue(key, out int i))
        {
            moduleIndex[key] = modules.Count;
            modules.Add(m with { Name = m.Name ?? ModuleNames.EngineName(m.FileName ?? m.Path) });
            return;
        }
        var o = modules[i];
        modules[i] = o with
        {
            FileName = o.FileName ?? m.FileName,
            Name = o.Name ?? m.Name,
            Path = o.Path ?? m.Path,
            Base = o.Base ?? m.Base,
            Size = o.Size ?? m.Size,
            Timestamp = o.Timestamp ?? m.Timestamp,
            FileVersion = o.FileVersion ?? m.FileVersion,
            ProductVersion = o.ProductVersion ?? m.ProductVersion,
            LinkerVersion = o.LinkerVersion ?? m.LinkerVersion,
            PdbName = o.PdbName ?? m.PdbName,
            PdbGuid = o.PdbGuid ?? m.PdbGuid,
            PdbAge = o.PdbAge ?? m.PdbAge,
            // A definite status (from lm or a symbol warning) replaces Unknown and Deferred.
            Symbols = o.Symbols is SymbolStatus.Unknown or SymbolStatus.Deferred && m.Symbols != SymbolStatus.Unknown ? m.Symbols : o.Symbols,
            SymbolFile = o.SymbolFile ?? m.SymbolFile,
        };
    }

    static string? KeyOf(ModuleInfo m) => m.Name ?? ModuleNames.EngineName(m.FileName ?? m.Path);

    public CrashReport Build(string? sourcePath)
    {
        var chosen = ChooseStack();
        List<StackFrame> frames = chosen?.Frames ?? [];
        frames = FillFrameZero(frames, chosen?.Priority ?? 0);
        for (int i = 0; i < frames.Count; i++)
            if (frames[i].Index != i) frames[i] = frames[i] with { Index = i };

        // Modules named only in frames still belong in the module list, so triage can look up their status.
        var known = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var m in modules)
        {
            if (m.Name is { } n) known.Add(n);
            if (m.FileName is { } f) known.Add(f);
        }
        foreach (var f in frames)
            if (f.Module is { } name && known.Add(name))
                modules.Add(new ModuleInfo { Name = name });

        ExceptionInfo? exception = null;
        if (code is { } c)
        {
            var ps = parameters ?? [];
            if (ps.Count == 0 && (c == 0xC0000005 || c == 0xC0000006) && AccessFromText is { Kind: not AccessKind.Unknown } a)
                ps = [a.Kind switch { AccessKind.Write => 1UL, AccessKind.Execute => 8UL, _ => 0UL }, .. a.Target is { } t ? new[] { t } : []];
            exception = new ExceptionInfo
            {
                Code = c, Flags = flags ?? 0, Address = address, Parameters = ps, FirstChance = firstChance,
                // The pasted disassembly line is the faulting instruction only when it sits at the exception address.
                Instruction = PastedInstruction is { } fi && (address is null || address == fi.Address)
                    ? new FaultingInstruction { Address = fi.Address, Bytes = fi.Bytes, Registers = FullRegisters() }
                    : null,
            };
        }

        var kind = chosen?.Kind ?? (kinds.Count > 0 ? kinds[0] : "unknown");
        var allNotes = new List<string>(notes);
        var others = kinds.Where(k => k != kind).ToList();
        if (others.Count > 0) allNotes.Add("Also read from this text: " + string.Join(", ", others) + ".");
        if (chosen is null && kinds.Count == 0) allNotes.Add("No debugger output was recognized in this text.");

        ThreadInfo? thread = frames.Count > 0 || registers.Count > 0
            ? new ThreadInfo
            {
                Id = chosen?.ThreadId ?? FaultingThreadId,
                Index = chosen?.ThreadIndex ?? FaultingThreadIndex,
                Frames = frames,
                Registers = new Dictionary<string, ulong>(registers),
            }
            : null;

        return AddressWidth.CutTo32Bits(new CrashReport
        {
            Process = new ProcessInfo { Name = ProcessName, Architecture = Architecture, ProcessId = ProcessId, ExitCode = ExitCode },
            Exception = exception,
            FaultingThread = thread,
            Modules = modules.ToList(),
            Source = new DataSource
            {
                Kind = kind,
                Path = sourcePath,
                SkippedLines = skipped.OrderBy(s => s.LineNumber).ToList(),
                SkippedLineCount = skippedNumbers.Count,
                Notes = allNotes,
            },
            SourceBucket = SourceBucket,
            Time = Time,
            Runtime = RuntimeReported
                ? new RuntimeReport
                {
                    BugFile = RuntimeBugFile, GemMessages = GemMessages.ToArray(),
                    ScriptFrames = ControlFrames is { Count: > 0 } c2 ? c2 : BacktraceFrames ?? [],
                }
                : null,
        });
    }

    StackCandidate? ChooseStack()
    {
        if (stacks.Count == 0) return null;
        // DebugDiag lists every thread: prefer the one its summary names.
        if (FaultingThreadIndex is { } ti)
        {
            var named = stacks.FirstOrDefault(s => s.Kind == "debugdiag" && s.Priority == PriorityDebugDiag && s.ThreadIndex == ti);
            if (named is not null && !stacks.Any(s => s.Priority > PriorityDebugDiagFaulting))
                return named;
        }
        var best = stacks[0];
        foreach (var s in stacks) if (s.Priority > best.Priority) best = s;
        return best;
    }

    /// <summary>Frame 0's instruction pointer is not in k's columns: take it from the registers or the exception address.</summary>
    List<StackFrame> FillFrameZero(List<StackFrame> frames, int priority)
    {
        if (frames.Count == 0) return frames;
        var list = new List<StackFrame>(frames);
        if (list[0].InstructionPointer is null)
        {
            ulong? ip = registers.TryGetValue("rip", out var rip) ? rip : registers.TryGetValue("eip", out var eip) ? eip : null;
            // The exception address is frame 0's only when the stack is the faulting context's (a plain k may
            // show another thread).
            ip ??= addressStrength >= ExceptionStrength.Analyze && priority >= PriorityKAfterEcxr ? address : null;
            if (ip is not null) list[0] = list[0] with { InstructionPointer = ip };
        }
        return list;
    }
}
