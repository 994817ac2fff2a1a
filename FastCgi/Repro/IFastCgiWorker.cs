namespace FcgiExt.FastCgi.Repro;

/// <summary>
/// A spawned FastCGI worker, whatever carries the protocol: a listening Unix socket as its fd 0 (<see cref="WorkerProcess"/>,
/// how Debian's php-cgi serves) or the server end of IIS's named pipe as its stdin (<see cref="PipeWorkerProcess"/>, how
/// php-cgi.exe serves under IIS). The driver sees only this: connections, the exit, and whether it ended the worker itself.
/// </summary>
public interface IFastCgiWorker : IDisposable
{
    int Pid { get; }
    DateTime Started { get; }
    DateTime? Exited { get; }
    Task<WorkerExit> Exit { get; }
    /// <summary>True once the driver has killed or stopped it, so that its exit is not taken for a death of its own.</summary>
    bool EndedByDriver { get; }
    /// <summary>A new FastCGI connection to the worker (a socket connect, or a client open of the pipe).</summary>
    Task<Stream> ConnectAsync(CancellationToken cancel);
    /// <summary>What the worker wrote outside FastCGI (its own stderr); empty where the transport gives it none (IIS does not).</summary>
    Task<string> StderrTextAsync(TimeSpan wait);
    /// <summary>Ends it at once (past the request timeout, as IIS does).</summary>
    void Kill();
    /// <summary>Ends it as the server does at a recycle or at the end of the run, and waits for its exit.</summary>
    Task<WorkerExit> StopAsync(TimeSpan grace);
}

/// <summary>Starts a worker: the executable (a path), its arguments and its whole environment.</summary>
public delegate IFastCgiWorker WorkerLauncher(string executable, IReadOnlyList<string> arguments,
    IReadOnlyDictionary<string, string> environment);
