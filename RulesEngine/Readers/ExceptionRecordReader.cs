using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>
/// `.exr -1` (also under !analyze's EXCEPTION_RECORD), `.lastevent` and the debugger's event line
/// "(1bf8.2bf8): Access violation - code c0000005 (first chance)"; and Visual Studio's Output window lines
/// "Unhandled exception at 0x000000007717298A (ntdll.dll) in w3wp.exe: 0xC000070A: …" and "Exception thrown at …".
/// </summary>
internal sealed partial class ExceptionRecordReader : IBlockReader
{
    public int TryRead(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder, ReadState state)
    {
        var line = lines[start];
        if (line.Command is not null) return 0;
        var text = line.Trimmed;

        var ev = EventLine().Match(text);
        if (ev.Success)
        {
            builder.AddKind("windbg-text");
            var evCode = Hex.ParseCode(ev.Groups["code"].Value);
            if (evCode is { } code) builder.SetCode(code, CrashReportBuilder.ExceptionStrength.Summary);
            if (Hex.Parse(ev.Groups["pid"].Value) is { } pid && pid <= uint.MaxValue) builder.ProcessId ??= (uint)pid;
            if (Hex.Parse(ev.Groups["tid"].Value) is { } tid && tid <= uint.MaxValue) builder.FaultingThreadId ??= (uint)tid;
            var chance = ev.Groups["chance"].Value.ToLowerInvariant();
            if (chance.Contains("not available")) builder.SetFirstChance(null);
            else if (chance.Contains("second") && evCode is { } second) builder.SetSecondChanceOf(second);
            else builder.SetFirstChance(chance.Contains("second") ? false : chance.Contains("first") ? true : null);
            return 1;
        }

        var vs = VsOutputLine().Match(text);
        if (vs.Success) return ReadVsOutput(vs, builder);

        if (!ExceptionAddress().IsMatch(text) && !ExceptionCodeLine().IsMatch(text)) return 0;

        // The record: a run of "Name: value" lines.
        int i = start;
        var parameters = new SortedDictionary<int, ulong>();
        ulong? address = null;
        uint? recordCode = null;
        while (i < lines.Count && lines[i].Command is null)
        {
            var t = lines[i].Trimmed;
            Match m;
            if ((m = ExceptionAddress().Match(t)).Success)
            {
                address = Hex.Parse(m.Groups["addr"].Value) ?? address;
                var sym = m.Groups["sym"].Value;
                if (sym.Length > 0 && CallSiteParser.Parse(sym) is { Module: not null } site && !builder.HasStackAbove(CrashReportBuilder.PriorityFaultingInstruction))
                    builder.AddStack(new CrashReportBuilder.StackCandidate("windbg-text", CrashReportBuilder.PriorityFaultingInstruction,
                        [new StackFrame { InstructionPointer = Hex.Parse(m.Groups["addr"].Value), Module = site.Module, Function = site.Function, Displacement = site.Displacement, Trust = FrameTrust.Context }], null, null));
            }
            else if ((m = ExceptionCodeLine().Match(t)).Success)
            {
                recordCode = Hex.ParseCode(m.Groups["code"].Value) ?? recordCode;
            }
            else if ((m = Flags().Match(t)).Success) { if (Hex.ParseCode(m.Groups["v"].Value) is { } f) builder.SetFlags(f); }
            else if (NumberParameters().IsMatch(t)) { }
            else if ((m = Parameter().Match(t)).Success)
            {
                if (Hex.Parse(m.Groups["v"].Value) is { } p) parameters[int.Parse(m.Groups["n"].Value)] = p;
            }
            else if ((m = Attempt().Match(t)).Success)
            {
                var kind = m.Groups["kind"].Value.ToLowerInvariant() switch { "write to" => AccessKind.Write, "execute" => AccessKind.Execute, _ => AccessKind.Read };
                builder.AccessFromText ??= (kind, Hex.Parse(m.Groups["addr"].Value));
            }
            else if (t.StartsWith("Subcode:", StringComparison.OrdinalIgnoreCase)) builder.Note("Exception record: " + t);
            else if (t.Length == 0 || !LooksLikeRecordLine(t)) break;
            else builder.Skip(lines[i]);
            i++;
        }
        // dbgeng answers `.exr -1` on a dump without an exception stream with a breakpoint at address 0 and no
        // parameters: that is no exception at all (a real break instruction is never at address 0).
        if (recordCode == BreakpointCode && address == 0 && parameters.Count == 0)
        {
            builder.Note("the exception record is a breakpoint at address 0 with no parameters: dbgeng's stand-in for a dump " +
                         "without an exception, so there is no exception");
            builder.AddKind("windbg-text");
            return Math.Max(1, i - start);
        }
        if (address is { } a) builder.SetAddress(a, CrashReportBuilder.ExceptionStrength.Record);
        if (recordCode is { } c) builder.SetCode(c, CrashReportBuilder.ExceptionStrength.Record);
        if (parameters.Count > 0)
        {
            var list = new List<ulong>();
            for (int n = 0; n <= parameters.Keys.Max() && n < 15; n++) list.Add(parameters.TryGetValue(n, out var v) ? v : 0);
            builder.SetParameters(list, CrashReportBuilder.ExceptionStrength.Record);
        }
        builder.AddKind("windbg-text");
        return Math.Max(1, i - start);
    }

    const uint BreakpointCode = 0x80000003; // STATUS_BREAKPOINT

    /// <summary>
    /// A Visual Studio Output window line. "Unhandled exception" is the debugger's second chance: the first such line
    /// is the crash (address, code, parameters, process, and the module Visual Studio names as a one-frame stack).
    /// "Exception thrown" is a first-chance exception the program may have handled: it is only noted.
    /// </summary>
    static int ReadVsOutput(Match vs, CrashReportBuilder builder)
    {
        builder.AddKind("visual-studio-output");
        var line = vs.Value;
        if (!vs.Groups["kind"].Value.StartsWith("Unhandled", StringComparison.OrdinalIgnoreCase))
        {
            builder.Note("Visual Studio output, a first-chance exception: " + line);
            return 1;
        }
        if (builder.HasCode) return 1;   // a later unhandled exception happened after the debugger went on
        var address = Hex.Parse(vs.Groups["addr"].Value);
        if (Hex.ParseCode(vs.Groups["code"].Value) is { } code) builder.SetCode(code, CrashReportBuilder.ExceptionStrength.Summary);
        if (address is { } a) builder.SetAddress(a, CrashReportBuilder.ExceptionStrength.Summary);
        builder.SetFirstChance(false);
        builder.ProcessName ??= vs.Groups["proc"].Value.Trim();
        var rest = vs.Groups["desc"].Value;
        if (VsParameters().Match(rest) is { Success: true } pm)
        {
            var list = new List<ulong>();
            var tokens = pm.Groups["list"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            foreach (var token in tokens)
                if (Hex.Parse(token) is { } v) list.Add(v);
            if (list.Count > 0) builder.SetParameters(list, CrashReportBuilder.ExceptionStrength.Summary);
        }
        // "Access violation reading location 0x0000000000000010" / "writing location" / "executing location".
        if (VsAccess().Match(rest) is { Success: true } am)
        {
            var kind = am.Groups["kind"].Value.ToLowerInvariant() switch
            {
                "writing" => AccessKind.Write, "executing" => AccessKind.Execute, _ => AccessKind.Read,
            };
            builder.AccessFromText ??= (kind, Hex.Parse(am.Groups["target"].Value));
        }
        if (vs.Groups["module"].Success && !builder.HasStackAbove(CrashReportBuilder.PriorityFaultingInstruction))
        {
            var file = vs.Groups["module"].Value.Trim();
            builder.AddModule(new ModuleInfo { FileName = file, Name = ModuleNames.EngineName(file) });
            var frame = new StackFrame { InstructionPointer = address, Module = ModuleNames.EngineName(file), Trust = FrameTrust.Context };
            builder.AddStack(new CrashReportBuilder.StackCandidate("visual-studio-output", CrashReportBuilder.PriorityFaultingInstruction,
                [frame], null, null));
        }
        builder.SetArchitectureFromWidth(vs.Groups["addr"].Value);
        return 1;
    }

    // "Unhandled exception at 0x000000007717298A (ntdll.dll) in w3wp.exe: 0xC000070A: Status 0x (parameters: …)."
    // "Exception thrown at 0x000007FEF4CF88F4 in w3wp.exe: 0xC0000005: Access violation executing location 0x…."
    [GeneratedRegex(@"^(?<kind>Unhandled exception|Exception thrown) at 0x(?<addr>[0-9a-fA-F]{1,16})" +
        @"(?: \((?<module>[^()\s]+\.(?:dll|exe|sys|drv|ocx))\))? in (?<proc>[^:]+?): 0x(?<code>[0-9a-fA-F]{8})(?::\s*(?<desc>.*))?$",
        RegexOptions.IgnoreCase)]
    private static partial Regex VsOutputLine();
    [GeneratedRegex(@"\(parameters:\s*(?<list>[0-9a-fA-Fx,\s]+)\)", RegexOptions.IgnoreCase)]
    private static partial Regex VsParameters();
    [GeneratedRegex(@"Access violation (?<kind>reading|writing|executing) location 0x(?<target>[0-9a-fA-F]{1,16})",
        RegexOptions.IgnoreCase)]
    private static partial Regex VsAccess();

    static bool LooksLikeRecordLine(string t) => RecordLike().IsMatch(t);

    // "(1bf8.2bf8): Access violation - code c0000005 (first/second chance not available)"
    // "Last event: 1a2c.1d34: Access violation - code c0000005 (!!! second chance !!!)"
    [GeneratedRegex(@"^(?:Last event:\s*)?\(?(?<pid>[0-9a-fA-F]+)\.(?<tid>[0-9a-fA-F]+)\)?:\s*(?<name>[^\r\n]*?)\s*-\s*code\s+(?<code>[0-9a-fA-F]{1,8})\s*(?<chance>\([^)]*\))?", RegexOptions.IgnoreCase)]
    private static partial Regex EventLine();
    [GeneratedRegex(@"^ExceptionAddress:\s*(?<addr>[0-9a-fA-Fx`]+)(?:\s*\((?<sym>[^)]*)\))?", RegexOptions.IgnoreCase)] private static partial Regex ExceptionAddress();
    [GeneratedRegex(@"^ExceptionCode:\s*(?<code>[0-9a-fA-Fx]+)", RegexOptions.IgnoreCase)] private static partial Regex ExceptionCodeLine();
    [GeneratedRegex(@"^ExceptionFlags:\s*(?<v>[0-9a-fA-Fx]+)", RegexOptions.IgnoreCase)] private static partial Regex Flags();
    [GeneratedRegex(@"^NumberParameters:\s*\d+", RegexOptions.IgnoreCase)] private static partial Regex NumberParameters();
    [GeneratedRegex(@"^Parameter\[(?<n>\d{1,2})\]:\s*(?<v>[0-9a-fA-Fx`]+)", RegexOptions.IgnoreCase)] private static partial Regex Parameter();
    [GeneratedRegex(@"^Attempt to (?<kind>read from|write to|execute)(?: non-executable)?(?: memory)?(?: at)?(?: address)?\s*(?<addr>[0-9a-fA-Fx`]+)?", RegexOptions.IgnoreCase)] private static partial Regex Attempt();
    [GeneratedRegex(@"^(?:Exception\w*|Parameter\[|NumberParameters|Attempt to|Subcode)", RegexOptions.IgnoreCase)] private static partial Regex RecordLike();
}

/// <summary>
/// Register dumps from `r`, `.ecxr`, `.cxr` and !analyze's CONTEXT, and the faulting instruction
/// that follows them ("php5ts!zend_hash_find+0x1f:" then "1000abcd 8b4808  mov ecx,dword ptr [eax+8]").
/// Registers go to ThreadInfo.Registers; the symbol line gives a one-frame stack when no k was pasted.
/// </summary>
internal sealed partial class RegisterReader : IBlockReader
{
    public int TryRead(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder, ReadState state)
    {
        var first = lines[start];
        if (first.Command is not null) return 0;
        if (!RegisterLine().IsMatch(first.Text))
            return InstructionSymbol().IsMatch(first.Trimmed) && start + 1 < lines.Count && Disassembly().IsMatch(lines[start + 1].Trimmed)
                ? ReadInstruction(lines, start, builder) : 0;
        int i = start;
        while (i < lines.Count && lines[i].Command is null)
        {
            var t = lines[i].Text;
            if (RegisterLine().IsMatch(t) || Flags().IsMatch(lines[i].Trimmed) || Segments().IsMatch(lines[i].Trimmed))
            {
                foreach (Match m in Pair().Matches(t))
                    if (Hex.Parse(m.Groups["v"].Value) is { } v) builder.SetRegister(m.Groups["r"].Value, v);
                i++;
                continue;
            }
            break;
        }
        builder.AddKind("windbg-text");
        foreach (var (reg, arch) in new[] { ("rip", Architecture.X64), ("eip", Architecture.X86) })
        {
            // By index: the lines are made as asked for, and Skip would walk them all from the first.
            bool named = false;
            for (int k = start; k < i && !named; k++) named = NamesRegister(lines[k].Text, reg);
            if (named) builder.SetArchitecture(arch);
        }
        // The faulting instruction: "module!function+0x1f:" and the disassembly line under it.
        int read = i + 1 < lines.Count && lines[i].Command is null ? ReadInstruction(lines, i, builder) : 0;
        if (read > 0) i += read;
        // A paste cut after the symbol line (no disassembly under it): right after the registers it is still where the
        // instruction pointer is, so it gives the frame; there are no instruction bytes.
        else if (i < lines.Count && lines[i].Command is null && InstructionSymbol().Match(lines[i].Trimmed) is { Success: true } sym
                 && CallSiteParser.Parse(sym.Groups["site"].Value) is { Module: not null } site
                 && !builder.HasStackAbove(CrashReportBuilder.PriorityFaultingInstruction))
        {
            // Frame 0's instruction pointer comes from the registers when the report is built.
            builder.AddStack(new CrashReportBuilder.StackCandidate("windbg-text", CrashReportBuilder.PriorityFaultingInstruction,
                [new StackFrame
                {
                    Module = site.Module, Function = site.Function, Displacement = site.Displacement, Trust = FrameTrust.Context,
                }], null, null));
            builder.Note($"Faulting instruction: {sym.Groups["site"].Value} (the disassembly line is not in the text)");
            i++;
        }
        return Math.Max(1, i - start);
    }

    /// <summary>"rip=" with no word character before it (what \brip= matched, without a regex built per line).</summary>
    static bool NamesRegister(string text, string register)
    {
        var token = register + "=";
        for (int at = text.IndexOf(token, StringComparison.Ordinal); at >= 0; at = text.IndexOf(token, at + 1, StringComparison.Ordinal))
            if (at == 0 || !(char.IsLetterOrDigit(text[at - 1]) || text[at - 1] == '_')) return true;
        return false;
    }

    static int ReadInstruction(IReadOnlyList<TextLine> lines, int i, CrashReportBuilder builder)
    {
        if (InstructionSymbol().Match(lines[i].Trimmed) is { Success: true } sym && i + 1 < lines.Count && lines[i + 1].Command is null)
        {
            var dis = Disassembly().Match(lines[i + 1].Trimmed);
            if (dis.Success)
            {
                var site = CallSiteParser.Parse(sym.Groups["site"].Value);
                var ip = Hex.Parse(dis.Groups["addr"].Value);
                if (site?.Module is not null && !builder.HasStackAbove(CrashReportBuilder.PriorityFaultingInstruction))
                    builder.AddStack(new CrashReportBuilder.StackCandidate("windbg-text", CrashReportBuilder.PriorityFaultingInstruction,
                        [new StackFrame { InstructionPointer = ip, Module = site.Module, Function = site.Function, Displacement = site.Displacement, Trust = FrameTrust.Context }], null, null));
                builder.Note($"Faulting instruction: {sym.Groups["site"].Value} {dis.Groups["rest"].Value.Trim()}");
                if (ip is { } at && dis.Groups["bytes"].Value is { Length: <= 30 } hex && hex.Length % 2 == 0)
                    builder.PastedInstruction ??= (at, Convert.FromHexString(hex));
                builder.AddKind("windbg-text");
                if (dis.Groups["addr"].Value.Contains('`') || dis.Groups["addr"].Value.Length == 16) builder.SetArchitecture(Architecture.X64);
                return 2;
            }
        }
        return 0;
    }

    [GeneratedRegex(@"^\s*(?:[re]?[a-d]x|[re]?[sd]i|[re]?[sb]p|[re]ip|r\d{1,2}|eflags)=[0-9a-fA-F`]+\s+\S+=", RegexOptions.IgnoreCase)] private static partial Regex RegisterLine();
    [GeneratedRegex(@"^iopl=\d+", RegexOptions.IgnoreCase)] private static partial Regex Flags();
    [GeneratedRegex(@"^cs=[0-9a-fA-F]{4}\s+ss=", RegexOptions.IgnoreCase)] private static partial Regex Segments();
    [GeneratedRegex(@"\b(?<r>[a-z][a-z0-9]{1,5})=(?<v>[0-9a-fA-F`]{4,17})\b", RegexOptions.IgnoreCase)] private static partial Regex Pair();
    [GeneratedRegex(@"^(?<site>\S+!\S+|\S+\+0x[0-9a-fA-F]+):$")] private static partial Regex InstructionSymbol();
    [GeneratedRegex(@"^(?<addr>[0-9a-fA-F]{8}(?:`?[0-9a-fA-F]{8})?)\s+(?<bytes>[0-9a-fA-F]{2,})\s+(?<rest>.+)$")]
    private static partial Regex Disassembly();
}
