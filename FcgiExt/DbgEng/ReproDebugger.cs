using System.Collections.Concurrent;
using System.Runtime.Versioning;
using System.Threading.Channels;
using FcgiExt.FastCgi.Repro;

namespace FcgiExt.DbgEng;

/// <summary>
/// `fcgi repro --debug`: one engine, on a thread of its own (dbgeng is driven from the thread that created it), debugging
/// every worker the driver starts (LiveCapture fed each pid). Each worker stays suspended until the engine has attached to
/// it, so a crash at any moment of its life is caught; each crash is dumped with the !fcgi verdict of that moment.
/// </summary>
[SupportedOSPlatform("windows")]
public sealed class ReproDebugger : IDisposable
{
    readonly Channel<uint> _feed = Channel.CreateUnbounded<uint>();
    readonly ConcurrentDictionary<uint, TaskCompletionSource> _attached = new();
    readonly ConcurrentDictionary<uint, TaskCompletionSource<DebugCapture?>> _captures = new();
    readonly Thread _thread;
    volatile string? _failure;

    public string? Failure => _failure;

    public ReproDebugger(string outFolder, string? sympath, List<string> rules, string? engineFolder = null)
    {
        _thread = new Thread(() =>
        {
            try
            {
                var catalog = new EngineHost.CatalogCache().For(rules);
                using var engine = DebugEngine.Create(engineFolder);
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

    /// <summary>The options for Windows workers over IIS's pipe: spawned and watched by <paramref name="debugger"/> under
    /// --debug, plainly otherwise (one wiring for the engine host and for fcgi on Windows).</summary>
    public static ReproOptions WindowsWorkers(ReproOptions options, ReproDebugger? debugger) => options with
    {
        Launcher = debugger is null ? PipeWorkerProcess.Launch : debugger.Launch,
        DebugCaptureOf = debugger is null ? null : debugger.CaptureOfAsync,
    };

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
    public IFastCgiWorker Launch(string executable, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> env)
    {
        // One attach at a time: the engine copes badly with a process exiting while several attaches are pending.
        lock (_launching) return Spawn(executable, arguments, env);
    }

    readonly object _launching = new();

    IFastCgiWorker Spawn(string executable, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> env) =>
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
