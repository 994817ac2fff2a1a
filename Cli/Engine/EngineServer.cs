using System.Diagnostics;
using System.Text;

namespace FcgiExt.Cli.Engine;

/// <summary>A long-lived `fcgihost serve` under Wine: one engine process, many dumps. Requests go through a pipe to its
/// standard input; answers are read from a file that its standard output is redirected to (a pipe there would be
/// inherited by Wine's background services and never close). Not thread-safe: one request at a time per server;
/// run several servers for parallel work.</summary>
public sealed class EngineServer : IDisposable
{
    readonly Process _process;
    readonly string _outFile, _errFile;
    readonly FileStream _reader;
    readonly StringBuilder _pending = new();
    readonly byte[] _buffer = new byte[64 * 1024];

    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    internal EngineServer(ProcessStartInfo wine)
    {
        string id = $"{Environment.ProcessId}-{Guid.NewGuid():N}";
        _outFile = Path.Combine(Path.GetTempPath(), $"fcgihost-serve-{id}.out");
        _errFile = Path.Combine(Path.GetTempPath(), $"fcgihost-serve-{id}.err");
        File.WriteAllBytes(_outFile, []);
        var sh = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        sh.ArgumentList.Add("-c");
        sh.ArgumentList.Add("out=$1; err=$2; shift 2; exec \"$@\" >>\"$out\" 2>\"$err\"");
        sh.ArgumentList.Add("sh");
        sh.ArgumentList.Add(_outFile);
        sh.ArgumentList.Add(_errFile);
        sh.ArgumentList.Add(wine.FileName);
        foreach (var a in wine.ArgumentList) sh.ArgumentList.Add(a);
        foreach (var (k, v) in wine.Environment) sh.Environment[k] = v;
        _process = Process.Start(sh) ?? throw new InvalidOperationException("cannot start the engine host");
        _process.StandardInput.AutoFlush = true;
        _reader = new FileStream(_outFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
    }

    /// <summary>Sends one JSON request line and returns the JSON answer line. On timeout the engine process is killed
    /// (a hung dump must not hold the batch) and TimeoutException is thrown: start a new server for the next dump.</summary>
    public string Request(string jsonLine, TimeSpan timeout)
    {
        if (_process.HasExited) throw new InvalidOperationException($"the engine host has exited (code {_process.ExitCode}): {Stderr()}");
        _process.StandardInput.WriteLine(jsonLine.ReplaceLineEndings(" "));
        var deadline = Stopwatch.StartNew();
        int delay = 2;
        while (true)
        {
            int n;
            while ((n = _reader.Read(_buffer, 0, _buffer.Length)) > 0)
                _pending.Append(Encoding.UTF8.GetString(_buffer, 0, n));
            string text = _pending.ToString();
            int newline = text.IndexOf('\n');
            if (newline >= 0)
            {
                _pending.Remove(0, newline + 1);
                return text[..newline].TrimEnd('\r');
            }
            if (_process.HasExited)
                throw new InvalidOperationException($"the engine host exited (code {_process.ExitCode}) without answering: {Stderr()}");
            if (deadline.Elapsed > timeout)
            {
                Kill();
                throw new TimeoutException($"the engine did not answer within {timeout.TotalSeconds:0} s");
            }
            Thread.Sleep(delay);
            delay = Math.Min(delay * 2, 50);
        }
    }

    string Stderr()
    {
        try { return File.Exists(_errFile) ? File.ReadAllText(_errFile).Trim() : ""; }
        catch (IOException) { return ""; }
    }

    /// <summary>Stops the engine process at once (a cancelled or hung request).</summary>
    public void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch { /* gone */ }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();   // end of input: the host ends its session and exits
                if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) Kill();
            }
        }
        catch { Kill(); }
        _process.Dispose();
        _reader.Dispose();
        try { File.Delete(_outFile); File.Delete(_errFile); } catch { /* temp files */ }
    }
}
