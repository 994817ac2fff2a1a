using System.Buffers.Binary;

namespace FcgiExt.FastCgi;

/// <summary>Record types of the FastCGI 1.0 spec (section 8).</summary>
public enum RecordType : byte
{
    BeginRequest = 1, AbortRequest = 2, EndRequest = 3, Params = 4, Stdin = 5, Stdout = 6, Stderr = 7, Data = 8,
    GetValues = 9, GetValuesResult = 10, UnknownType = 11,
}

public enum Role : ushort { Responder = 1, Authorizer = 2, Filter = 3 }

public enum ProtocolStatus : byte { RequestComplete = 0, CantMpxConn = 1, Overloaded = 2, UnknownRole = 3 }

/// <summary>The 8-byte record header: version, type, requestId (B1 B0), contentLength (B1 B0), paddingLength, reserved.</summary>
public readonly record struct RecordHeader(byte Version, RecordType Type, ushort RequestId, ushort ContentLength, byte PaddingLength)
{
    public const int Length = 8;
    public const byte Version1 = 1;

    public void Encode(Span<byte> into)
    {
        into[0] = Version;
        into[1] = (byte)Type;
        BinaryPrimitives.WriteUInt16BigEndian(into[2..], RequestId);
        BinaryPrimitives.WriteUInt16BigEndian(into[4..], ContentLength);
        into[6] = PaddingLength;
        into[7] = 0;
    }

    public static RecordHeader Decode(ReadOnlySpan<byte> from)
    {
        if (from.Length < Length) throw new FormatException($"a record header is 8 bytes, got {from.Length}");
        return new RecordHeader(from[0], (RecordType)from[1], BinaryPrimitives.ReadUInt16BigEndian(from[2..]),
            BinaryPrimitives.ReadUInt16BigEndian(from[4..]), from[6]);
    }
}

/// <summary>One record as read: its header and content, the padding dropped.</summary>
public sealed record Record(RecordType Type, ushort RequestId, byte[] Content)
{
    public byte PaddingLength { get; init; }
}

/// <summary>Encodings of records and of the fixed bodies (BEGIN_REQUEST, END_REQUEST, UNKNOWN_TYPE).</summary>
public static class Records
{
    public const int MaxContentLength = 0xffff;
    public const ushort NullRequestId = 0;
    public const byte KeepConn = 1;

    /// <summary>One record, padded to a multiple of 8 bytes as the spec recommends.</summary>
    public static byte[] Encode(RecordType type, ushort requestId, ReadOnlySpan<byte> content)
    {
        if (content.Length > MaxContentLength)
            throw new ArgumentOutOfRangeException(nameof(content), $"a record holds at most 65535 bytes, got {content.Length}");
        int padding = (8 - content.Length % 8) % 8;
        var record = new byte[RecordHeader.Length + content.Length + padding];
        new RecordHeader(RecordHeader.Version1, type, requestId, (ushort)content.Length, (byte)padding).Encode(record);
        content.CopyTo(record.AsSpan(RecordHeader.Length));
        return record;
    }

    /// <summary>A whole stream (PARAMS, STDIN, STDOUT…): records of at most 65535 bytes, then the empty record that ends it.</summary>
    public static IEnumerable<byte[]> EncodeStream(RecordType type, ushort requestId, ReadOnlyMemory<byte> data)
    {
        for (int at = 0; at < data.Length; at += MaxContentLength)
            yield return Encode(type, requestId, data.Span.Slice(at, Math.Min(MaxContentLength, data.Length - at)));
        yield return Encode(type, requestId, []);
    }

    /// <summary>BEGIN_REQUEST body: roleB1 roleB0 flags reserved[5].</summary>
    public static byte[] BeginRequestBody(Role role, bool keepConn)
    {
        var body = new byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(body, (ushort)role);
        body[2] = keepConn ? KeepConn : (byte)0;
        return body;
    }

    public static (Role Role, bool KeepConn) DecodeBeginRequest(ReadOnlySpan<byte> body)
    {
        if (body.Length < 8) throw new FormatException($"a BEGIN_REQUEST body is 8 bytes, got {body.Length}");
        return ((Role)BinaryPrimitives.ReadUInt16BigEndian(body), (body[2] & KeepConn) != 0);
    }

    /// <summary>END_REQUEST body: appStatusB3..B0 protocolStatus reserved[3].</summary>
    public static byte[] EndRequestBody(uint appStatus, ProtocolStatus status)
    {
        var body = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(body, appStatus);
        body[4] = (byte)status;
        return body;
    }

    public static (uint AppStatus, ProtocolStatus Status) DecodeEndRequest(ReadOnlySpan<byte> body)
    {
        if (body.Length < 8) throw new FormatException($"an END_REQUEST body is 8 bytes, got {body.Length}");
        return (BinaryPrimitives.ReadUInt32BigEndian(body), (ProtocolStatus)body[4]);
    }

    /// <summary>Reads one record; null when the peer closed the connection cleanly between records.</summary>
    /// <exception cref="TruncatedRecordException">The connection ended inside a record.</exception>
    public static async Task<Record?> ReadAsync(Stream stream, CancellationToken cancel = default)
    {
        var header = new byte[RecordHeader.Length];
        int got = await ReadFullyAsync(stream, header, cancel);
        if (got == 0) return null;
        if (got < header.Length) throw new TruncatedRecordException("header", got, header.Length);
        var h = RecordHeader.Decode(header);
        if (h.Version != RecordHeader.Version1) throw new FormatException($"record version {h.Version}, expected 1");
        var rest = new byte[h.ContentLength + h.PaddingLength];
        got = await ReadFullyAsync(stream, rest, cancel);
        if (got < rest.Length) throw new TruncatedRecordException($"{h.Type} record", got, rest.Length);
        return new Record(h.Type, h.RequestId, rest[..h.ContentLength]) { PaddingLength = h.PaddingLength };
    }

    static async Task<int> ReadFullyAsync(Stream stream, byte[] buffer, CancellationToken cancel)
    {
        int at = 0;
        while (at < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(at), cancel);
            if (n == 0) break;
            at += n;
        }
        return at;
    }
}

/// <summary>The peer closed the connection inside a record: what was being read and how far it got.</summary>
public sealed class TruncatedRecordException(string part, int got, int expected)
    : EndOfStreamException($"the connection ended inside a {part}: {got} of {expected} bytes")
{
    public int Got { get; } = got;
    public int Expected { get; } = expected;
}
