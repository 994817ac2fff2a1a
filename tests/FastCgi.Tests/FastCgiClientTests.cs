using System.Text;
using NUnit.Framework;

namespace FcgiExt.FastCgi.Tests;

/// <summary>The client against a fake worker on the other end of a Unix socket: what it sends, what it makes of the answer,
/// and the step it reports when the worker goes away.</summary>
public class FastCgiClientTests
{
    static FastCgiRequest Request(int paramsBytes = 0, string stdin = "") => new()
    {
        RequestId = 3,
        Params = [new("SCRIPT_FILENAME", "/srv/www/index.php"), new("HTTP_X_BIG", new string('b', paramsBytes))],
        Stdin = Encoding.UTF8.GetBytes(stdin),
    };

    [Test]
    public async Task A_request_is_begin_params_stdin_and_the_answer_is_stdout_stderr_and_end_request()
    {
        await using var pair = await FakePeer.ConnectAsync();
        var client = new FastCgiClient(pair.Client).RunAsync(Request(paramsBytes: 100_000, stdin: "a=1&b=2"));

        var begin = await Records.ReadAsync(pair.Peer);
        Assert.That((begin!.Type, begin.RequestId), Is.EqualTo((RecordType.BeginRequest, (ushort)3)));
        Assert.That(Records.DecodeBeginRequest(begin.Content), Is.EqualTo((Role.Responder, true)), "KEEP_CONN as IIS sets it");
        var parameters = NameValuePairs.Decode(await pair.ReadStreamAsync(RecordType.Params));
        Assert.That(parameters.Select(p => p.Key), Is.EqualTo(new[] { "SCRIPT_FILENAME", "HTTP_X_BIG" }));
        Assert.That(parameters[1].Value, Has.Length.EqualTo(100_000), "a PARAMS stream over 65535 bytes spans records");
        Assert.That(Encoding.UTF8.GetString(await pair.ReadStreamAsync(RecordType.Stdin)), Is.EqualTo("a=1&b=2"));

        await pair.SendAsync(Records.Encode(RecordType.Stdout, 3, "Status: 404 Not Found\r\n\r\n"u8),
            Records.Encode(RecordType.Stderr, 3, "PHP Notice: x"u8), Records.Encode(RecordType.Stdout, 3, "body"u8),
            Records.Encode(RecordType.Stdout, 3, []),
            Records.Encode(RecordType.EndRequest, 3, Records.EndRequestBody(7, ProtocolStatus.RequestComplete)));
        var result = await client;

        Assert.That(result.Completed, Is.True);
        Assert.That(result.Step, Is.EqualTo(FastCgiStep.AfterEndRequest));
        Assert.That(Encoding.UTF8.GetString(result.Stdout), Is.EqualTo("Status: 404 Not Found\r\n\r\nbody"));
        Assert.That(Encoding.UTF8.GetString(result.Stderr), Is.EqualTo("PHP Notice: x"));
        Assert.That((result.AppStatus, result.ProtocolStatus), Is.EqualTo((7u, ProtocolStatus.RequestComplete)));
        Assert.That(result.Failure, Is.Null);
    }

    [Test]
    public async Task Records_of_other_requests_are_kept_aside_not_mixed_into_the_output()
    {
        await using var pair = await FakePeer.ConnectAsync();
        var client = new FastCgiClient(pair.Client).RunAsync(Request());
        await Records.ReadAsync(pair.Peer);
        await pair.ReadStreamAsync(RecordType.Params);
        await pair.ReadStreamAsync(RecordType.Stdin);
        await pair.SendAsync(Records.Encode(RecordType.Stdout, 9, "other"u8), Records.Encode(RecordType.Stdout, 3, "mine"u8),
            Records.Encode(RecordType.EndRequest, 3, Records.EndRequestBody(0, ProtocolStatus.RequestComplete)));
        var result = await client;
        Assert.That(Encoding.UTF8.GetString(result.Stdout), Is.EqualTo("mine"));
        Assert.That(result.Other.Single().RequestId, Is.EqualTo(9));
    }

    [Test]
    public async Task A_worker_gone_before_the_request_fails_at_params()
    {
        await using var pair = await FakePeer.ConnectAsync();
        pair.PeerSocket.Close();
        var result = await new FastCgiClient(pair.Client).RunAsync(Request(paramsBytes: 300_000));
        Assert.That(result.Completed, Is.False);
        Assert.That(result.Step, Is.EqualTo(FastCgiStep.Params));
        Assert.That(result.Failure, Does.Contain("EPIPE").Or.Contain("ECONNRESET"));
    }

    [Test]
    public async Task A_worker_that_reads_the_request_and_closes_fails_it_while_reading_stdout()
    {
        await using var pair = await FakePeer.ConnectAsync();
        var client = new FastCgiClient(pair.Client).RunAsync(Request());
        await Records.ReadAsync(pair.Peer);
        await pair.ReadStreamAsync(RecordType.Params);
        await pair.ReadStreamAsync(RecordType.Stdin);
        await pair.SendAsync(Records.Encode(RecordType.Stdout, 3, "half"u8));
        pair.PeerSocket.Close();
        var result = await client;
        Assert.That(result.Step, Is.EqualTo(FastCgiStep.ReadingStdout));
        Assert.That(result.Failure, Does.StartWith("EOF"));
        Assert.That(Encoding.UTF8.GetString(result.Stdout), Is.EqualTo("half"), "what came before the end is kept");
    }

    [Test]
    public async Task A_record_cut_by_the_worker_going_away_is_reported_as_such()
    {
        await using var pair = await FakePeer.ConnectAsync();
        var client = new FastCgiClient(pair.Client).RunAsync(Request());
        await Records.ReadAsync(pair.Peer);
        await pair.ReadStreamAsync(RecordType.Params);
        await pair.ReadStreamAsync(RecordType.Stdin);
        await pair.SendAsync(Records.Encode(RecordType.Stdout, 3, "complete"u8),
            Records.Encode(RecordType.Stdout, 3, "cut short"u8)[..12]);
        pair.PeerSocket.Close();
        var result = await client;
        Assert.That(result.Failure, Does.Contain("inside a Stdout record").And.Contain("4 of 16 bytes"));
        Assert.That(Encoding.UTF8.GetString(result.Stdout), Is.EqualTo("complete"));
    }

    [Test]
    public async Task An_answer_already_sent_counts_even_when_writing_the_rest_of_the_request_fails()
    {
        // php-cgi answers a request without a body before reading its STDIN records, then closes when it recycles.
        var answer = Records.Encode(RecordType.Stdout, 3, "done"u8)
            .Concat(Records.Encode(RecordType.EndRequest, 3, Records.EndRequestBody(0, ProtocolStatus.RequestComplete))).ToArray();
        var result = await new FastCgiClient(new ScriptedStream(answer, failingWrite: 2)).RunAsync(Request());
        Assert.That(result.Completed, Is.True);
        Assert.That(result.LateWriteFailure, Does.Contain("EPIPE"));
        Assert.That(Encoding.UTF8.GetString(result.Stdout), Is.EqualTo("done"));
    }

    [Test]
    public async Task A_failed_write_with_nothing_to_read_is_reported_at_the_step_of_the_write()
    {
        var result = await new FastCgiClient(new ScriptedStream([], failingWrite: 2)).RunAsync(Request());
        Assert.That((result.Step, result.Completed), Is.EqualTo((FastCgiStep.Stdin, false)));
        Assert.That(result.Failure, Does.Contain("EPIPE"));
    }

    [Test]
    public async Task Get_values_asks_with_empty_values_and_reads_the_result()
    {
        await using var pair = await FakePeer.ConnectAsync();
        var ask = new FastCgiClient(pair.Client).GetValuesAsync(["FCGI_MAX_CONNS", "FCGI_MPXS_CONNS"]);
        var query = await Records.ReadAsync(pair.Peer);
        Assert.That((query!.Type, query.RequestId), Is.EqualTo((RecordType.GetValues, (ushort)0)));
        Assert.That(NameValuePairs.Decode(query.Content),
            Is.EqualTo(new KeyValuePair<string, string>[] { new("FCGI_MAX_CONNS", ""), new("FCGI_MPXS_CONNS", "") }));
        var answer = NameValuePairs.Encode([new("FCGI_MAX_CONNS", "1"), new("FCGI_MPXS_CONNS", "0")]);
        await pair.SendAsync(Records.Encode(RecordType.GetValuesResult, 0, answer));
        Assert.That(await ask, Is.EqualTo(new Dictionary<string, string> { ["FCGI_MAX_CONNS"] = "1", ["FCGI_MPXS_CONNS"] = "0" }));
    }
}
