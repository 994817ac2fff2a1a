using System.Buffers;
using System.Globalization;
using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>
/// Ruby's crash report ("[BUG] Segmentation fault", the version line, "-- Machine register context --",
/// "-- C level backtrace information --"). The C backtrace is printed by the crash reporter itself, so its
/// top frames are the reporter and the exception dispatch that called it; they are dropped, see
/// <see cref="DropHandlerFrames"/>.
/// </summary>
internal sealed partial class RubyCrashReportReader : IBlockReader
{
    public int TryRead(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder, ReadState state)
    {
        var first = lines[start];
        if (first.Command is not null) return 0;
        var text = first.Trimmed;
        Match m;
        if ((m = Bug().Match(text)).Success)
        {
            builder.AddKind("ruby-crash-report");
            builder.RuntimeReported = true;
            if (BugFileOf(text) is { } bugFile) builder.RuntimeBugFile ??= bugFile;
            // The message is one short sentence; the rest of a line that is a whole report pasted as one is not quoted.
            var whatSpan = m.Groups["what"].ValueSpan;
            var what = whatSpan[..Math.Min(whatSpan.Length, MaxQuoted)].Trim().ToString();
            if (what.StartsWith("Segmentation fault", StringComparison.OrdinalIgnoreCase) || what.StartsWith("Bus Error", StringComparison.OrdinalIgnoreCase))
            {
                builder.SetCode(0xC0000005, CrashReportBuilder.ExceptionStrength.Inferred);
                var at = Regex.Match(what, @"at (0x[0-9a-fA-F]+)");
                builder.Note("Exception code 0xc0000005 is inferred from Ruby's \"[BUG] " + what + "\": Ruby reports an access violation as a segmentation fault and does not print the code or whether it was a read or a write." +
                             (at.Success ? $" The faulting address {at.Groups[1].Value} is the address that was touched." : ""));
            }
            else builder.Note("Ruby reported: [BUG] " + what);
            return 1;
        }
        if ((m = Version().Match(text)).Success)
        {
            builder.AddKind("ruby-crash-report");
            var platform = m.Groups["platform"].Value;
            bool windows = IgnoreCase.Contains(platform, "mingw") || IgnoreCase.Contains(platform, "mswin");
            builder.ProcessName ??= windows ? "ruby.exe" : "ruby";
            builder.SetArchitecture(platform.StartsWith("x64", StringComparison.OrdinalIgnoreCase) || platform.StartsWith("x86_64", StringComparison.OrdinalIgnoreCase) ? Architecture.X64
                : platform.StartsWith("i386", StringComparison.OrdinalIgnoreCase) || platform.StartsWith("i686", StringComparison.OrdinalIgnoreCase) ? Architecture.X86
                : platform.StartsWith("aarch64", StringComparison.OrdinalIgnoreCase) || platform.StartsWith("arm64", StringComparison.OrdinalIgnoreCase) ? Architecture.Arm64
                : Architecture.Unknown);
            builder.Note("Ruby version: " + text);
            return 1;
        }
        if (RegisterHeader().IsMatch(text)) return ReadRegisters(lines, start, builder);
        if (ControlFrameHeader().IsMatch(text)) return ReadScriptFrames(lines, start, builder, ParseControlFrame, control: true);
        if (RubyBacktraceHeader().IsMatch(text)) return ReadScriptFrames(lines, start, builder, ParseBacktraceLine, control: false);
        if (BacktraceHeader().IsMatch(text)) return ReadBacktrace(lines, start, builder);
        if (IsGemMessage(text)) { builder.GemMessages.Add(text); return 1; }
        return 0;
    }

    static readonly SearchValues<string> MessageWords = IgnoreCase.Any(": warning:", "error", "fatal", "could not", "cannot", "failed");

    /// <summary>A line a gem printed about a problem: a path inside a gem's folder with its line number, then a
    /// warning or an error ("…/gems/pg-1.5.4/lib/pg.rb:12: warning: …", "…/gems/ffi-1.15.5/lib/ffi/library.rb:145:in
    /// 'ffi_lib': Could not open library (LoadError)"). Plain string tests, not a regex: pasted lines can be long.</summary>
    internal static bool IsGemMessage(string line)
    {
        int gems = IgnoreCase.IndexOf(line, "/gems/");
        if (gems < 0) gems = IgnoreCase.IndexOf(line, @"\gems\");
        if (gems < 0 || RubyGems.NameOf(line) is null) return false;
        // The message follows the "file:line:" after the gem path.
        int colon = line.IndexOf(':', gems);
        if (colon < 0 || colon + 1 >= line.Length || !char.IsAsciiDigit(line[colon + 1])) return false;
        var message = line[colon..];
        return IgnoreCase.ContainsAny(message, MessageWords);
    }

    /// <summary>The file of a "[BUG]" line without its line number: "-e:1: [BUG] …" → "-e",
    /// "C:/Ruby26-x64/…/mysql2.so: [BUG] …" → that path; null when the line starts with "[BUG]".</summary>
    internal static string? BugFileOf(string line)
    {
        var m = BugFile().Match(line.Trim());
        return m.Success && m.Groups["file"].Value.Trim() is { Length: > 0 } f ? f : null;
    }

    /// <summary>A section of script frames; the control frames win over the Ruby level backtrace (they show
    /// C functions, which the backtrace prints only as their caller's line).</summary>
    static int ReadScriptFrames(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder,
        Func<string, ScriptFrame?> parse, bool control)
    {
        var frames = new List<ScriptFrame>();
        int i = start + 1;
        while (i < lines.Count && lines[i].Command is null)
        {
            var t = lines[i].Trimmed;
            if (t.Length == 0) { if (frames.Count == 0) { i++; continue; } break; }
            if (t.StartsWith("--", StringComparison.Ordinal)) break;
            // A control frame line that names nothing (DUMMY, FINISH) still belongs to the section.
            bool belongs = control ? ControlFrame().IsMatch(t) : BacktraceLine().IsMatch(t);
            if (!belongs) break;
            if (parse(t) is { } f) frames.Add(f);
            i++;
        }
        builder.AddKind("ruby-crash-report");
        builder.RuntimeReported = true;
        // Ruby prints the control frames newest first and the Ruby level backtrace oldest first (<main> on top).
        if (control) builder.ControlFrames ??= frames;
        else { frames.Reverse(); builder.BacktraceFrames ??= frames; }
        return i - start;
    }

    /// <summary>"c:0005 p:---- s:0029 e:000028 CFUNC  :connect" (native), "c:0004 p:0123 s:0024 E:0011a8 METHOD
    /// /path/client.rb:90"; null for frames that name nothing (DUMMY, "(none) [FINISH]", FINISH).</summary>
    internal static ScriptFrame? ParseControlFrame(string t)
    {
        var m = ControlFrame().Match(t.Trim());
        if (!m.Success) return null;
        var type = m.Groups["type"].Value;
        var rest = m.Groups["rest"].Value.Trim();
        if (type == "CFUNC")
            return rest.TrimStart(':').Trim() is { Length: > 0 } fn ? new ScriptFrame { Function = fn, IsNative = true } : null;
        rest = FinishMark().Replace(rest, "").Trim();
        var at = FileLine().Match(rest);
        return at.Success
            ? new ScriptFrame { File = at.Groups["file"].Value, Line = int.Parse(at.Groups["line"].Value, CultureInfo.InvariantCulture) }
            : null;
    }

    /// <summary>"/path/client.rb:90:in `connect'" or Ruby 3.4's "…:in 'Mysql2::Client#connect'".</summary>
    internal static ScriptFrame? ParseBacktraceLine(string t)
    {
        var m = BacktraceLine().Match(t.Trim());
        if (!m.Success) return null;
        return new ScriptFrame { File = m.Groups["file"].Value, Line = int.Parse(m.Groups["line"].Value, CultureInfo.InvariantCulture),
            Function = m.Groups["func"].Value };
    }

    static int ReadRegisters(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder)
    {
        int i = start + 1;
        while (i < lines.Count && lines[i].Command is null)
        {
            var t = lines[i].Text;
            var pairs = RegisterPair().Matches(t);
            if (pairs.Count == 0) break;
            foreach (Match p in pairs)
                if (Hex.Parse(p.Groups["v"].Value) is { } v) builder.SetRegister(p.Groups["r"].Value, v);
            i++;
        }
        return i - start;
    }

    internal sealed record RubyFrame(string? Path, string? Function, ulong? Displacement, ulong? Address, string? Source, int? SourceLine);

    static int ReadBacktrace(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder)
    {
        var frames = new List<RubyFrame>();
        int i = start + 1;
        while (i < lines.Count && lines[i].Command is null)
        {
            var t = lines[i].Trimmed;
            if (t.Length == 0) { if (frames.Count == 0) { i++; continue; } break; }
            if (t.StartsWith("--", StringComparison.Ordinal)) break;
            var f = ParseFrame(t);
            if (f is null && i + 1 < lines.Count && lines[i + 1].Command is null)
            {
                // A frame line hard-wrapped at 80 columns.
                var next = lines[i + 1].Trimmed;
                var joined = ParseFrame(lines[i].Text.TrimStart() + next) ?? ParseFrame(t + " " + next);
                if (joined is not null && ParseFrame(next) is null) { frames.Add(joined); i += 2; continue; }
            }
            if (f is not null) { frames.Add(f); i++; continue; }
            if (i + 1 < lines.Count && ParseFrame(lines[i + 1].Trimmed) is not null) { builder.Skip(lines[i]); i++; continue; }
            break;
        }
        if (frames.Count == 0) return i - start;
        builder.AddKind("ruby-crash-report");
        builder.RuntimeReported = true;
        // Windows Ruby prints 16-digit addresses for a 64-bit process.
        if (frames.Any(f => f.Address is > 0xFFFFFFFF)) builder.SetArchitecture(Architecture.X64);
        var kept = DropHandlerFrames(frames, builder);
        var stack = new List<StackFrame>(kept.Count);
        for (int n = 0; n < kept.Count; n++)
        {
            var f = kept[n];
            string? module = null;
            if (f.Path is { Length: > 0 } path)
            {
                var file = ModuleNames.FileName(path);
                module = ModuleNames.EngineName(file);
                builder.AddModule(new ModuleInfo { FileName = file, Name = module, Path = path.Contains('\\') || path.Contains('/') ? path : null });
            }
            stack.Add(new StackFrame
            {
                Index = n,
                InstructionPointer = f.Address,
                Module = module,
                Function = f.Function,
                Displacement = f.Displacement,
                SourceFile = f.Source,
                SourceLine = f.SourceLine,
                // Ruby walks the stack with the platform's unwinder (or backtrace()): no scan warnings are printed.
                Trust = n == 0 ? FrameTrust.Context : FrameTrust.Unknown,
            });
        }
        builder.AddStack(new CrashReportBuilder.StackCandidate("ruby-crash-report", CrashReportBuilder.PriorityRuby, stack, null, null));
        return i - start;
    }

    static readonly string[] ReporterFunctions =
        ["rb_vm_bugreport", "rb_print_backtrace", "rb_bug_for_fatal_signal", "rb_bug_context", "rb_bug", "sigsegv", "sigbus", "sigill", "sig_do_nothing", "ruby_signal"];
    static readonly string[] DispatchFunctions =
        ["KiUserExceptionDispatcher", "__restore_rt", "_sigtramp", "__kernel_rt_sigreturn"];

    /// <summary>
    /// Ruby prints the C backtrace from inside its crash handler, so the first frames are the reporter
    /// (rb_vm_bugreport, rb_bug_for_fatal_signal / rb_bug_context, sigsegv; on Windows also the wait for the
    /// reporter's child, ruby.exe's vectored handler, _C_specific_handler and ntdll's dispatch, whose
    /// names are often wrong because ntdll has no symbols here: _chkstk, RtlRaiseException, RtlUnwindEx…).
    /// The real fault is the frame right after the OS's dispatch frame (KiUserExceptionDispatcher on Windows,
    /// the signal trampoline __restore_rt/_sigtramp elsewhere). When no dispatch frame is named, the frame
    /// after the last reporter frame is the trampoline if it is address-only or in libc/libpthread.
    /// Every frame above the real fault is dropped; a note says how many and which.
    /// </summary>
    internal static List<RubyFrame> DropHandlerFrames(List<RubyFrame> frames, CrashReportBuilder builder)
    {
        int cut = -1;
        for (int n = 0; n < frames.Count; n++)
            if (frames[n].Function is { } fn && DispatchFunctions.Any(d => fn.Equals(d, StringComparison.Ordinal)))
                cut = n;
        if (cut < 0)
        {
            int lastReporter = -1;
            for (int n = 0; n < Math.Min(frames.Count, 12); n++)
                if (frames[n].Function is { } fn && ReporterFunctions.Any(r => fn.Equals(r, StringComparison.Ordinal)))
                    lastReporter = n;
            if (lastReporter >= 0)
            {
                cut = lastReporter;
                if (cut + 1 < frames.Count - 1)
                {
                    var next = frames[cut + 1];
                    var file = next.Path is null ? "" : ModuleNames.FileName(next.Path);
                    if (next.Path is null || file.StartsWith("libc", StringComparison.OrdinalIgnoreCase) || file.StartsWith("libpthread", StringComparison.OrdinalIgnoreCase) ||
                        file.StartsWith("libsystem_platform", StringComparison.OrdinalIgnoreCase))
                        cut++;
                }
            }
        }
        if (cut < 0 || cut >= frames.Count - 1) return frames;
        var dropped = frames.Take(cut + 1).Select(f => f.Function ?? (f.Address is { } a ? $"0x{a:x}" : "?")).ToList();
        builder.Note($"Ruby crash report: dropped the {cut + 1} frame(s) above the fault ({string.Join(", ", dropped)}): " +
                     "they are Ruby's crash reporter and the exception dispatch that called it, not the crash. Frame 0 is the first frame after the dispatch.");
        return frames.Skip(cut + 1).ToList();
    }

    internal static RubyFrame? ParseFrame(string t)
    {
        Match m;
        if ((m = AddressOnly().Match(t)).Success)
            return new RubyFrame(null, null, null, Hex.Parse(m.Groups["addr"].Value), null, null);
        if ((m = PathFrame().Match(t)).Success)
        {
            var func = m.Groups["func"].Value;
            var rest = m.Groups["rest"].Value;
            // "[0x00007ffb3c0" without its "]": the line was cut by a wrap; the caller rejoins it.
            if (rest.Count(c => c == '[') != rest.Count(c => c == ']')) return null;
            var (src, line) = Source(rest);
            return new RubyFrame(m.Groups["path"].Value.Trim(), func.Length > 0 ? func : null,
                m.Groups["disp"].Success ? Hex.Parse(m.Groups["disp"].Value) : null,
                m.Groups["addr"].Success ? Hex.Parse(m.Groups["addr"].Value) : null, src, line);
        }
        if ((m = MacFrame().Match(t)).Success)
            return new RubyFrame(m.Groups["mod"].Value, m.Groups["func"].Value, ulong.Parse(m.Groups["off"].Value, CultureInfo.InvariantCulture),
                Hex.Parse(m.Groups["addr"].Value), null, null);
        return null;
    }

    static (string?, int?) Source(string rest)
    {
        var m = Regex.Match(rest.Trim(), @"^(?:\[0x[0-9a-fA-F]+\]\s*)*(?<file>[^\s:\[\]]+\.(?:c|cc|cpp|h|y|inc|rb)):(?<line>\d+)$", RegexOptions.IgnoreCase);
        return m.Success ? (m.Groups["file"].Value, int.Parse(m.Groups["line"].Value, CultureInfo.InvariantCulture)) : (null, null);
    }

    const int MaxQuoted = 300;
    [GeneratedRegex(@"\[BUG\]\s*(?<what>.+)$")] private static partial Regex Bug();
    [GeneratedRegex(@"^ruby \d+\.\d+\.\d+\S*\s+\(.*\)\s+\[(?<platform>[^\]]+)\]\s*$")] private static partial Regex Version();
    [GeneratedRegex(@"^-- Machine register context -+")] private static partial Regex RegisterHeader();
    [GeneratedRegex(@"^-- C level backtrace information -*")] private static partial Regex BacktraceHeader();
    [GeneratedRegex(@"^-- Control frame information -*")] private static partial Regex ControlFrameHeader();
    [GeneratedRegex(@"^-- Ruby level backtrace information -*")] private static partial Regex RubyBacktraceHeader();
    // The path is lazy so that a drive letter's colon stays in it; the optional ":12" is the line number.
    [GeneratedRegex(@"^(?<file>.+?)(?::\d+)?:\s*\[BUG\]")] private static partial Regex BugFile();
    // Ruby 1.9 prints "b:… l:… d:…" where later versions print "e:…" or "E:…".
    [GeneratedRegex(@"^c:\d+\s+p:\S+\s+s:\S+(?:\s+[A-Za-z]:[0-9a-fA-F]+)*\s+(?<type>[A-Z]+|\(none\))(?<rest>.*)$")]
    private static partial Regex ControlFrame();
    [GeneratedRegex(@"\s*\[FINISH\]$")] private static partial Regex FinishMark();
    [GeneratedRegex(@"^(?<file>.+):(?<line>\d+)$")] private static partial Regex FileLine();
    [GeneratedRegex(@"^(?<file>.+?):(?<line>\d+):in [`'](?<func>[^']+)'$")] private static partial Regex BacktraceLine();
    [GeneratedRegex(@"\b(?<r>[a-z][a-z0-9]{1,3}):\s*(?<v>0x[0-9a-fA-F]+)")] private static partial Regex RegisterPair();
    [GeneratedRegex(@"^\[(?<addr>0x[0-9a-fA-F]+)\]\s*$")] private static partial Regex AddressOnly();
    // "C:\Ruby31-x64\bin\x64-ucrt-ruby310.dll(rb_vm_bugreport+0x1f4) [0x00007ffb3c1b4a24]"
    // "/usr/lib/libruby.so.3.1(rb_vm_bugreport) vm_dump.c:1045", "/lib/libpthread.so.0(+0xf150) [0x7f67…]"
    [GeneratedRegex(@"^(?<path>[^()\[\]]+?)\((?<func>[^()+\s]*)(?:\+(?<disp>0x[0-9a-fA-F]+))?\)\s*(?:\[(?<addr>0x[0-9a-fA-F]+)\])?(?<rest>.*)$")]
    private static partial Regex PathFrame();
    // macOS: "4   libclntsh.dylib.11.1   0x0000000109be12a3 kpuhhfre + 3459"
    [GeneratedRegex(@"^\d+\s+(?<mod>\S+)\s+(?<addr>0x[0-9a-fA-F]+)\s+(?<func>\S+)\s\+\s(?<off>\d+)$")] private static partial Regex MacFrame();
}
