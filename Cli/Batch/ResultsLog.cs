using System.Text.Json;
using System.Text.Json.Nodes;
using FcgiExt.RulesEngine.Reporting;

namespace FcgiExt.Cli.Batch;

/// <summary>
/// The JSON-lines results file: one line per finished dump, appended and flushed as each dump
/// finishes, so an interrupted batch loses nothing and `--resume` can skip what is done.
/// </summary>
public sealed class ResultsLog : IDisposable
{
    readonly StreamWriter _writer;
    readonly Lock _lock = new();

    public string Path { get; }

    public ResultsLog(string path, bool append)
    {
        Path = path;
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        bool torn = append && EndsMidLine(path);
        _writer = new StreamWriter(new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read));
        // A run killed mid-write leaves a last line without its newline: start a new line, or the next result would be
        // glued to the torn one and lost with it.
        if (torn) { _writer.WriteLine(); _writer.Flush(); }
    }

    static bool EndsMidLine(string path)
    {
        if (!File.Exists(path)) return false;
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (f.Length == 0) return false;
        f.Seek(-1, SeekOrigin.End);
        return f.ReadByte() != '\n';
    }

    public void Append(DumpOutcome outcome)
    {
        var line = outcome.ToJson().ToJsonString(BatchJsonReport.OneLine);
        lock (_lock)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    /// <summary>Reads an existing results file; a torn last line (the process was killed mid-write) is ignored.</summary>
    public static List<DumpOutcome> Read(string path, out int unreadableLines)
    {
        var list = new List<DumpOutcome>();
        unreadableLines = 0;
        if (!File.Exists(path)) return list;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                if (JsonNode.Parse(line) is JsonObject o) list.Add(DumpOutcome.FromJson(o));
                else unreadableLines++;
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                unreadableLines++;
            }
        }
        return list;
    }

    public void Dispose() => _writer.Dispose();
}
