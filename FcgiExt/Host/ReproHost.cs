using System.Collections.Concurrent;
using System.Runtime.Versioning;
using System.Text;
using System.Threading.Channels;
using FcgiExt.DbgEng;
using FcgiExt.FastCgi.Repro;

namespace FcgiExt.Host;

/// <summary>
/// `fcgihost repro`: the driver of `fcgi repro` for a Windows worker (php-cgi.exe). The driver's end of IIS's named pipe must
/// be a Windows process (under Wine a Linux pipe is no named pipe to the worker), so the CLI hands the run over here as JSON
/// (ReproRender.OptionsToJson) and reads the report back. Under --debug every worker is spawned suspended, attached to by one
/// engine (LiveCapture, fed each pid) before it runs, and its crash is dumped with the !fcgi verdict of that moment.
/// Exit codes: 0 no worker died unexpectedly, 1 one did, 2 usage or the worker could not be started.
/// </summary>
[SupportedOSPlatform("windows")]
public static class ReproHost
{
    public const string Usage =
        "usage: fcgihost repro --job <options.json> [--debug --out <dir> [--sympath <paths>] [--rules <file>]…]   (the report " +
        "as JSON on stdout)";

    public static int Run(string[] args, Stream stdout, TextWriter stderr)
    {
        string? job = null, outFolder = null, sympath = null, error = null;
        bool debug = false;
        var rules = new List<string>();
        for (int i = 0; i < args.Length && error is null; i++)
        {
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--job": job = Value(); break;
                case "--debug": debug = true; break;
                case "--out": outFolder = Value(); break;
                case "--sympath" or "-y": sympath = Value(); break;
                case "--rules": if (Value() is { } r) rules.Add(r); break;
                default: error = $"unknown option {args[i]}"; break;
            }
        }
        if (error is null && job is null) error = "--job <options.json> is needed";
        if (error is null && debug && outFolder is null) error = "--debug needs --out <dir> (the dumps go there)";
        if (error is not null)
        {
            stderr.WriteLine($"fcgihost repro: {error}");
            stderr.WriteLine(Usage);
            return 2;
        }
        ReproOptions options;
        try
        {
            options = ReproRender.OptionsFromJson(File.ReadAllText(job!));
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"fcgihost repro: {job}: {e.Message.ReplaceLineEndings(" ")}");
            return 2;
        }
        using var debugger = debug ? new WorkerDebugger(outFolder!, sympath, rules) : null;
        options = options with
        {
            Launcher = debugger is null ? PipeWorkerProcess.Launch : debugger.Launch,
            DebugCaptureOf = debugger is null ? null : debugger.CaptureOfAsync,
        };
        ReproReport report;
        try
        {
            report = ReproDriver.RunAsync(options).GetAwaiter().GetResult();
        }
        catch (IOException e) when (e.Message.StartsWith("cannot start", StringComparison.Ordinal))
        {
            stderr.WriteLine($"fcgihost repro: {e.Message}");
            return 2;
        }
        if (debugger?.Failure is { } failure) stderr.WriteLine($"fcgihost repro: the debugger engine: {failure}");
        byte[] bytes = Encoding.UTF8.GetBytes(ReproRender.ToJson(report, RulesEngine.Reporting.BatchJsonReport.ToolVersion) + "\n");
        stdout.Write(bytes);
        stdout.Flush();
        return report.UnexpectedExits > 0 ? 1 : 0;
    }

    /// <summary>One engine, on a thread of its own (dbgeng is driven from the thread that created it), debugging every worker
    /// the driver starts. Each worker stays suspended until the engine has attached to it.</summary>
    sealed class WorkerDebugger : IDisposable
    {
        readonly Channel<uint> _feed = Channel.CreateUnbounded<uint>();
        readonly ConcurrentDictionary<uint, TaskCompletionSource> _attached = new();
        readonly ConcurrentDictionary<uint, TaskCompletionSource<DebugCapture?>> _captures = new();
        readonly Thread _thread;
        volatile string? _failure;

        public string? Failure => _failure;

        public WorkerDebugger(string outFolder, string? sympath, List<string> rules)
        {
            _thread = new Thread(() =>
            {
                try
                {
                    var catalog = new EngineHost.CatalogCache().For(rules);
                    using var engine = DebugEngine.Create(null);
                    engine.SetOutput(null);
                    if (sympath is not null)
                    {
                        Hresult.Check(engine.Interfaces.Symbols.SetSymbolPathWide(sympath), "SetSymbolPathWide");
                        Hresult.Check(engine.Interfaces.Symbols.SetImagePathWide(sympath), "SetImagePathWide");
                    }
                    Directory.CreateDirectory(outFolder);
                    var capture = new LiveCapture(engine, new LiveOptions
                    {
                        OutFolder = Path.GetFullPath(outFolder), ExitsOfWorkers = false,
                    }, Reported);
                    capture.Run(new LiveTarget { Feed = _feed.Reader, Attached = pid => Of(_attached, pid).TrySetResult() }, catalog);
                    try { engine.EndSession(); } catch (DbgEngException) { /* the workers are gone already */ }
                }
                catch (Exception e)
                {
                    _failure = e.Message.ReplaceLineEndings(" ");
                }
                finally
                {
                    // Nothing may wait on an engine that is gone: suspended workers run, captures are known to be none.
                    foreach (var t in _attached.Values) t.TrySetResult();
                    foreach (var t in _captures.Values) t.TrySetResult(null);
                }
            }) { IsBackground = true, Name = "fcgi repro debugger" };
            _thread.Start();
        }

        static T Of<T>(ConcurrentDictionary<uint, T> map, uint pid) where T : new() => map.GetOrAdd(pid, _ => new T());

        void Reported(LiveEvent e)
        {
            if (e.Pid is not { } pid) return;
            var capture = Of(_captures, pid);
            switch (e.Event)
            {
                case "crash" or "exit":
                    capture.TrySetResult(new DebugCapture { Dump = e.Dump, Code = e.Code, Verdict = e.Verdict, Error = e.Error });
                    break;
                case "exited":
                    capture.TrySetResult(null);
                    break;
                case "error":
                    capture.TrySetResult(new DebugCapture { Error = e.Error });
                    Of(_attached, pid).TrySetResult();
                    break;
            }
        }

        /// <summary>Starts the worker suspended, feeds it to the engine and lets it run once attached (or after 30 s without
        /// an attach, reported as the capture's error: a worker must not hang because its debugger did).</summary>
        public IFastCgiWorker Launch(string executable, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> env) =>
            PipeWorkerProcess.Start(executable, arguments, env, pid =>
            {
                var attached = Of(_attached, (uint)pid);
                if (!_thread.IsAlive) return;   // the engine failed to start: the report says so, the worker runs undebugged
                _feed.Writer.TryWrite((uint)pid);
                if (!attached.Task.Wait(TimeSpan.FromSeconds(30)))
                    Of(_captures, (uint)pid).TrySetResult(new DebugCapture { Error = "the debugger did not attach within 30 s" });
            });

        /// <summary>The worker's capture once the engine has seen it end (a crash dump, or none); a dump takes seconds.</summary>
        public async Task<DebugCapture?> CaptureOfAsync(int pid)
        {
            var capture = Of(_captures, (uint)pid).Task;
            return await Task.WhenAny(capture, Task.Delay(TimeSpan.FromSeconds(60))) == capture
                ? await capture : new DebugCapture { Error = "the debugger reported nothing of this worker within 60 s" };
        }

        public void Dispose()
        {
            _feed.Writer.TryComplete();
            _thread.Join(TimeSpan.FromSeconds(30));
        }
    }
}
