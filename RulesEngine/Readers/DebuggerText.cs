using System.Text;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>A debugger text file that cannot be read at all; the message is one line naming the file.</summary>
public sealed class DebuggerTextException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reads text people already have — a pasted WinDbg session, `!analyze -v`, the Application log's crash
/// event, a WER Report.wer, Ruby's crash report, a DebugDiag report — into one <see cref="CrashReport"/>.
/// Every line is offered to each format reader; what several readers find is merged (a WinDbg paste often
/// holds `.lastevent`, `.exr -1`, `r`, `k` and `lml` together).
///
/// Prose: a line no reader recognizes as the start of its block or as one of its single-line fields is
/// prose (a sentence, a heading, a Markdown fence, the debugger's banner) and is ignored. A reader that
/// has recognized a block reports every line inside it that it could not use in DataSource.SkippedLines;
/// a block ends at a blank line, a prompt, or two unusable lines in a row.
/// </summary>
public static class DebuggerText
{
    /// <summary>Reads a text; never throws (garbage in gives a report with no frames and a note).</summary>
    public static CrashReport Read(string text, string? sourcePath = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Read(InputText.Split(text), sourcePath);
    }

    static CrashReport Read(IReadOnlyList<TextLine> lines, string? sourcePath)
    {
        var builder = new CrashReportBuilder();
        var state = new ReadState();
        // Order matters where two formats could claim a line: module lists before headerless k frames
        // (an lm line has two addresses too), !analyze fields before the generic ones.
        IBlockReader[] readers =
        [
            new ModuleListReader(), new AnalyzeReader(), new StackTextReader(), new ExceptionRecordReader(), new RegisterReader(),
            new EventLogReader(), new WerReportReader(), new ExitCodeLineReader(),
            new RubyCrashReportReader(), new DebugDiagReader(), new VisualStudioCallStackReader(),
        ];
        int i = 0;
        while (i < lines.Count)
        {
            var line = lines[i];
            if (line.Command is { } command)
            {
                state.LastCommand = command;
                if (command.StartsWith(".ecxr", StringComparison.OrdinalIgnoreCase) || command.StartsWith(".cxr", StringComparison.OrdinalIgnoreCase))
                    state.InExceptionContext = true;
                else if (command.StartsWith('~') || command.StartsWith(".thread", StringComparison.OrdinalIgnoreCase))
                    state.InExceptionContext = false;
                i++;
                continue;
            }
            if (line.IsBlank) { i++; continue; }
            int used = 0;
            foreach (var reader in readers)
            {
                used = reader.TryRead(lines, i, builder, state);
                if (used > 0) break;
            }
            if (used == 0 && SymbolWarnings.TryHandle(line.Trimmed, builder)) used = 1;
            i += Math.Max(1, used);
        }
        return builder.Build(sourcePath);
    }

    /// <summary>What the readers understand, for the one-line error about a text they do not.</summary>
    public const string Expected = "WinDbg output (k/kn/kb, lm, .exr -1, r, !analyze -v), the event log's crash event (event 1000), " +
        "WER's Report.wer or problem signature, Ruby's crash report, a DebugDiag report, Visual Studio's call stack " +
        "or a web server's log line with the worker's exit code";

    /// <summary>True when no reader recognized anything in the text the report was read from.</summary>
    public static bool NothingRecognized(CrashReport report) =>
        report.Source.Kind == "unknown" && report.Frames.Count == 0 && report.Exception is null && report.Modules.Count == 0
        && report.Process.ExitCode is null;

    /// <summary>The largest text ReadFile reads: a whole DebugDiag report or event-log export is far smaller, and a
    /// bigger file is a log someone should cut to the crash's part rather than wait on.</summary>
    public const long MaxFileBytes = 64L * 1024 * 1024;

    /// <summary>How much of the start of a file decides whether it is text.</summary>
    const int TextSniffChars = 64 * 1024;

    /// <summary>
    /// Reads a file, decoding UTF-16 LE/BE and UTF-8 by their byte order marks (Report.wer is UTF-16 LE with
    /// a BOM) and UTF-16 LE without one when every other byte is zero. Throws <see cref="DebuggerTextException"/>
    /// with a one-line message naming the file when it cannot be read, is over <see cref="MaxFileBytes"/> or is not
    /// text (see <see cref="LooksBinary"/>).
    /// </summary>
    public static CrashReport ReadFile(string path) => ReadFile(path, refuseBinary: true);

    /// <summary>As <see cref="ReadFile(string)"/>; with <paramref name="refuseBinary"/> false a file that is not text is read
    /// too (the benchmark and the fuzz suite measure the readers on garbage).</summary>
    public static CrashReport ReadFile(string path, bool refuseBinary)
    {
        var text = ReadText(path);
        if (refuseBinary && LooksBinary(text))
            throw new DebuggerTextException($"{path}: not text (NUL bytes or control characters near the start); " +
                "give debugger output as text, or the dump itself to fcgi triage without --stack-text");
        return Read(InputText.Split(text, owned: true), path);
    }

    /// <summary>
    /// A file's text, decoded as <see cref="Decode"/> does but from the file in chunks, without the blanks at its ends
    /// (<see cref="InputText.ContentOf"/>). The text is made at its final length (a first pass counts the characters), so
    /// reading never holds the file's bytes and its text at once (bytes + text was 3× the file before any reader ran), and
    /// a text that is one line (a whole report pasted on one, with a line break after it) is that line, not a copy of it.
    /// Throws <see cref="DebuggerTextException"/> with a one-line message naming the file when it cannot be read or is
    /// over <see cref="MaxFileBytes"/>.
    /// </summary>
    public static string ReadText(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            long length = file.Length;
            if (length > MaxFileBytes)
            {
                // Rounded up, so a file just over the limit never reads "64 MB is more than 64 MB".
                long mb = (length + 1024 * 1024 - 1) / (1024 * 1024);
                throw new DebuggerTextException(
                    $"{path}: {mb} MB of text is more than the {MaxFileBytes / (1024 * 1024)} MB FcgiExt reads; " +
                    "cut it to the crash's part");
            }
            var head = new byte[(int)Math.Min(length, 512)];
            file.ReadExactly(head);
            var (encoding, skip, bytes) = EncodingOf(head, length);
            // Pass 1 counts and finds the content's ends, pass 2 fills: the decoder carries a character split across two
            // chunks either way.
            var pass = new DecodePass(file, encoding.GetDecoder(), skip, bytes);
            var (from, chars) = pass.Count();
            if (chars > int.MaxValue) throw new IOException("too many characters");
            return string.Create((int)chars, (pass, from), static (span, p) => p.pass.Fill(span, p.from));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new DebuggerTextException($"{path}: cannot read the file ({e.Message.TrimEnd('.')}).", e);
        }
    }

    /// <summary>A file's bytes from <c>skip</c> on, decoded chunk by chunk.</summary>
    sealed class DecodePass(FileStream file, Decoder decoder, int skip, long bytes)
    {
        readonly byte[] buffer = new byte[64 * 1024];
        readonly char[] scratch = new char[64 * 1024 + 4];

        /// <summary>Where the content starts and how many characters it has (<see cref="InputText.ContentOf"/>).</summary>
        public (long From, long Count) Count()
        {
            // GetChars, not GetCharCount: counting leaves the decoder's state alone, so a character split across two chunks
            // would be counted once as garbage and once whole.
            long at = 0, from = -1, end = 0;
            for (var (chunk, last) = Start(); ; (chunk, last) = Next())
            {
                int n = decoder.GetChars(buffer, 0, chunk, scratch, 0, last);
                var chars = scratch.AsSpan(0, n);
                if (from < 0 && InputText.LeadingBlanks(chars) is var lead && lead < n) from = at + lead;
                if (InputText.LastContent(chars) is var final and >= 0) end = at + final + 1;
                at += n;
                if (last) return from < 0 || end <= from ? (0, 0) : (from, end - from);
            }
        }

        /// <summary>The characters from <paramref name="from"/> on, as many as <paramref name="into"/> holds.</summary>
        public void Fill(Span<char> into, long from)
        {
            long at = 0;
            int filled = 0;
            for (var (chunk, last) = Start(); ; (chunk, last) = Next())
            {
                int n = decoder.GetChars(buffer, 0, chunk, scratch, 0, last);
                long start = Math.Max(at, from);
                int take = (int)Math.Min(at + n - start, into.Length - filled);
                if (take > 0)
                {
                    scratch.AsSpan((int)(start - at), take).CopyTo(into[filled..]);
                    filled += take;
                }
                at += n;
                if (last) break;
            }
            if (filled != into.Length) throw new IOException("the file changed while it was read");
        }

        long left;

        (int, bool) Start()
        {
            decoder.Reset();
            file.Position = skip;
            left = bytes;
            return Next();
        }

        (int, bool) Next()
        {
            int n = left == 0 ? 0 : file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0 && left > 0) throw new IOException("the file became shorter while it was read");
            left -= n;
            return (n, left == 0);
        }
    }

    /// <summary>
    /// Not text: after decoding (so UTF-16's zero bytes are gone), the first 64 K characters hold a NUL, or more than
    /// one in ten are other C0 control characters. Tab, line breaks, form feed and ESC (colour codes in a pasted
    /// terminal) are text; so are bytes that are not UTF-8 (a text saved in a legacy code page is still text).
    /// </summary>
    public static bool LooksBinary(string text)
    {
        var sample = text.AsSpan(0, Math.Min(text.Length, TextSniffChars));
        if (sample.Contains('\0')) return true;
        int controls = 0;
        foreach (var c in sample)
            if (c < ' ' && c is not '\t' and not '\n' and not '\r' and not '\f' and not '\v' and not '\u001b') controls++;
        return controls * 10 > sample.Length;
    }

    /// <summary>Plain text of an HTML paste (tags and scripts removed, entities decoded, one table row a line).</summary>
    public static string HtmlToText(string html) => InputText.HtmlToText(html);

    /// <summary>Text from bytes by BOM; without one, UTF-16 when it looks like it, else UTF-8 (invalid bytes become U+FFFD).</summary>
    public static string Decode(byte[] bytes)
    {
        var (encoding, skip, count) = EncodingOf(bytes, bytes.Length);
        return encoding.GetString(bytes, skip, (int)count);
    }

    /// <summary>The encoding of a text from its first bytes (up to 512) and its length: which encoding, how many bytes of
    /// BOM to skip, and how many bytes after it to decode (UTF-16 drops an odd last byte).</summary>
    static (Encoding Encoding, int Skip, long Count) EncodingOf(ReadOnlySpan<byte> head, long length)
    {
        if (head.Length >= 2 && head[0] == 0xFF && head[1] == 0xFE) return (Encoding.Unicode, 2, (length - 2) & ~1);
        if (head.Length >= 2 && head[0] == 0xFE && head[1] == 0xFF) return (Encoding.BigEndianUnicode, 2, (length - 2) & ~1);
        if (head.Length >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF) return (Encoding.UTF8, 3, length - 3);
        if (head.Length >= 4)
        {
            // No BOM: ASCII text written as UTF-16 has a zero in every other byte.
            int sample = Math.Min(head.Length & ~1, 512), zeroOdd = 0, zeroEven = 0;
            for (int k = 0; k < sample; k += 2) { if (head[k + 1] == 0) zeroOdd++; if (head[k] == 0) zeroEven++; }
            if (zeroOdd > sample / 4 && zeroEven == 0) return (Encoding.Unicode, 0, length & ~1);
            if (zeroEven > sample / 4 && zeroOdd == 0) return (Encoding.BigEndianUnicode, 0, length & ~1);
        }
        return (Encoding.UTF8, 0, length);
    }
}
