using System.Diagnostics;
using System.Net.Sockets;

namespace FcgiExt.FastCgi;

/// <summary>How far a request got when it ended, the order in which a web server goes through them.</summary>
public enum FastCgiStep
{
    /// <summary>Opening the connection to the worker (done by the caller, before the client runs).</summary>
    Connect,
    /// <summary>Writing BEGIN_REQUEST and the PARAMS stream.</summary>
    Params,
    /// <summary>Writing the STDIN stream (the request body).</summary>
    Stdin,
    /// <summary>Everything sent; reading STDOUT/STDERR until END_REQUEST.</summary>
    ReadingStdout,
    /// <summary>END_REQUEST received: the request is complete.</summary>
    AfterEndRequest,
}

public sealed record FastCgiRequest
{
    public ushort RequestId { get; init; } = 1;
    public Role Role { get; init; } = Role.Responder;
    public bool KeepConn { get; init; } = true;
    public IReadOnlyList<KeyValuePair<string, string>> Params { get; init; } = [];
    public ReadOnlyMemory<byte> Stdin { get; init; }
}

/// <summary>What came back: the output streams, END_REQUEST's fields, and when the peer went away, the step and why.</summary>
public sealed record FastCgiResult
{
    public required FastCgiStep Step { get; init; }
    public bool Completed => Step == FastCgiStep.AfterEndRequest;
    public uint AppStatus { get; init; }
    public ProtocolStatus ProtocolStatus { get; init; }
    public byte[] Stdout { get; init; } = [];
    public byte[] Stderr { get; init; } = [];
    /// <summary>Why the request did not complete ("ECONNRESET", "EOF", …); null when it did.</summary>
    public string? Failure { get; init; }
    public TimeSpan Duration { get; init; }
    /// <summary>When END_REQUEST was read (UTC).</summary>
    public DateTime? EndRequestAt { get; init; }
    /// <summary>A write that failed after the worker had answered in full (it closed without reading the rest).</summary>
    public string? LateWriteFailure { get; init; }
    /// <summary>Records of other types or request ids that came in (management replies, UNKNOWN_TYPE).</summary>
    public IReadOnlyList<Record> Other { get; init; } = [];
}

/// <summary>
/// A FastCGI 1.0 client over any connected stream (a Unix socket, a TCP socket, a Windows named pipe): runs one request
/// at a time, never throws for a peer that goes away (the result says at which step), only for cancellation by the caller.
/// </summary>
public sealed class FastCgiClient(Stream stream)
{
    public async Task<FastCgiResult> RunAsync(FastCgiRequest request, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        var step = FastCgiStep.Params;
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var other = new List<Record>();
        FastCgiResult Failed(string why) => new()
        {
            Step = step, Failure = why, Stdout = stdout.ToArray(), Stderr = stderr.ToArray(), Duration = clock.Elapsed, Other = other,
        };
        string? writeFailure = null;
        try
        {
            // One write per step, as a server that buffers its records does; the step tells which write the peer refused.
            var head = new List<byte[]>
            {
                Records.Encode(RecordType.BeginRequest, request.RequestId, Records.BeginRequestBody(request.Role, request.KeepConn)),
            };
            head.AddRange(Records.EncodeStream(RecordType.Params, request.RequestId, NameValuePairs.Encode(request.Params)));
            await WriteAsync(head.SelectMany(r => r).ToArray(), cancel);
            step = FastCgiStep.Stdin;
            var body = Records.EncodeStream(RecordType.Stdin, request.RequestId, request.Stdin).SelectMany(r => r).ToArray();
            await WriteAsync(body, cancel);
            await stream.FlushAsync(cancel);
            step = FastCgiStep.ReadingStdout;
        }
        catch (Exception e) when (!cancel.IsCancellationRequested && Describe(e) is { } why)
        {
            // A worker may answer before it has read the whole request (php-cgi does not read an empty body) and close at
            // once (PHP_FCGI_MAX_REQUESTS reached): the answer is still in this side's buffer, so read it before blaming the write.
            writeFailure = why;
        }
        try
        {
            while (true)
            {
                var record = await Records.ReadAsync(stream, cancel);
                if (record is null) return Failed(writeFailure ?? "EOF (the worker closed the connection)");
                if (record.RequestId != request.RequestId)
                {
                    other.Add(record);
                    continue;
                }
                switch (record.Type)
                {
                    case RecordType.Stdout: stdout.Write(record.Content); break;
                    case RecordType.Stderr: stderr.Write(record.Content); break;
                    case RecordType.EndRequest:
                        var (app, status) = Records.DecodeEndRequest(record.Content);
                        return new FastCgiResult
                        {
                            Step = FastCgiStep.AfterEndRequest, AppStatus = app, ProtocolStatus = status, Stdout = stdout.ToArray(),
                            Stderr = stderr.ToArray(), Duration = clock.Elapsed, Other = other, LateWriteFailure = writeFailure,
                            EndRequestAt = DateTime.UtcNow,
                        };
                    default: other.Add(record); break;
                }
            }
        }
        catch (Exception e) when (!cancel.IsCancellationRequested && Describe(e) is { } why)
        {
            return Failed(writeFailure ?? why);
        }
    }

    /// <summary>GET_VALUES (FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS…): the variables the peer answered.</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetValuesAsync(IEnumerable<string> names, CancellationToken cancel = default)
    {
        var query = NameValuePairs.Encode(names.Select(n => new KeyValuePair<string, string>(n, "")));
        await WriteAsync(Records.Encode(RecordType.GetValues, Records.NullRequestId, query), cancel);
        await stream.FlushAsync(cancel);
        while (true)
        {
            var record = await Records.ReadAsync(stream, cancel)
                         ?? throw new EndOfStreamException("the peer closed the connection before GET_VALUES_RESULT");
            if (record.Type == RecordType.GetValuesResult)
                return NameValuePairs.Decode(record.Content).ToDictionary(p => p.Key, p => p.Value);
        }
    }

    Task WriteAsync(byte[] record, CancellationToken cancel) => stream.WriteAsync(record, cancel).AsTask();

    /// <summary>The errno-style name of a peer that went away, as people see it in strace and web server logs.</summary>
    public static string? Describe(Exception e) => e switch
    {
        TruncatedRecordException t => $"EOF inside a record ({t.Message})",
        EndOfStreamException => "EOF (the worker closed the connection)",
        SocketException s => SocketName(s),
        IOException { InnerException: SocketException s } => SocketName(s),
        IOException io when PipeName(io.HResult) is { } pipe => pipe,
        IOException io => io.Message,
        ObjectDisposedException => "the connection was closed",
        FormatException f => $"malformed record: {f.Message}",
        _ => null,
    };

    /// <summary>A Win32 error of a named pipe (HRESULT 0x8007xxxx, as IIS logs it): .NET's own message can be a bare resource
    /// key in a trimmed build ("IO_PipeBroken").</summary>
    static string? PipeName(int hresult) => (uint)hresult switch
    {
        0x8007006D => "ERROR_BROKEN_PIPE (0x8007006d: the pipe has been ended)",
        0x800700E8 => "ERROR_NO_DATA (0x800700e8: the pipe is being closed)",
        0x800700E9 => "ERROR_PIPE_NOT_CONNECTED (0x800700e9: no process is on the other end of the pipe)",
        0x800700E7 => "ERROR_PIPE_BUSY (0x800700e7: all pipe instances are busy)",
        0x80070002 => "ERROR_FILE_NOT_FOUND (0x80070002: nobody holds the pipe; the worker is gone)",
        _ => null,
    };

    static string SocketName(SocketException s) => s.SocketErrorCode switch
    {
        SocketError.ConnectionReset => "ECONNRESET (connection reset by the worker)",
        SocketError.Shutdown => "EPIPE (the worker closed its end)",
        SocketError.ConnectionRefused => "ECONNREFUSED (nobody listens on the worker's socket)",
        SocketError.ConnectionAborted => "ECONNABORTED",
        SocketError.TimedOut => "ETIMEDOUT",
        _ => $"{s.SocketErrorCode} ({s.Message})",
    };
}
