using System.Net.Sockets;

namespace FcgiExt.FastCgi.Tests;

/// <summary>A connected pair of Unix stream sockets: the client's end, and the fake worker's end a test scripts.</summary>
public sealed class FakePeer : IAsyncDisposable
{
    public NetworkStream Client { get; }
    public Socket PeerSocket { get; }
    public NetworkStream Peer { get; }

    FakePeer(Socket client, Socket peer)
    {
        Client = new NetworkStream(client, ownsSocket: true);
        PeerSocket = peer;
        Peer = new NetworkStream(peer, ownsSocket: true);
    }

    public static async Task<FakePeer> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var endpoint = new UnixDomainSocketEndPoint($"\0fcgiext-test-{Guid.NewGuid():N}");
        listener.Bind(endpoint);
        listener.Listen(1);
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(endpoint);
        return new FakePeer(client, await accept);
    }

    /// <summary>Reads records up to the empty one that ends the stream of this type; returns the stream's bytes.</summary>
    public async Task<byte[]> ReadStreamAsync(RecordType type)
    {
        var data = new MemoryStream();
        while (true)
        {
            var r = await Records.ReadAsync(Peer) ?? throw new EndOfStreamException($"no end of the {type} stream");
            if (r.Type != type) throw new InvalidDataException($"{r.Type} record inside the {type} stream");
            if (r.Content.Length == 0) return data.ToArray();
            data.Write(r.Content);
        }
    }

    public Task SendAsync(params byte[][] records) => Peer.WriteAsync(records.SelectMany(r => r).ToArray()).AsTask();

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Peer.DisposeAsync();
    }
}

/// <summary>A stream whose reads come from fixed bytes and whose Nth write fails, as a socket the peer has closed.</summary>
public sealed class ScriptedStream(byte[] reads, int failingWrite) : Stream
{
    readonly MemoryStream input = new(reads);
    int writes;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (++writes == failingWrite) throw new IOException("broken pipe", new SocketException((int)SocketError.Shutdown));
    }
}
