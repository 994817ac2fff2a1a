using NUnit.Framework;

namespace FcgiExt.FastCgi.Tests;

/// <summary>The byte layouts of the FastCGI 1.0 spec: record header, BEGIN_REQUEST and END_REQUEST bodies, streams.</summary>
public class RecordTests
{
    [Test]
    public void A_begin_request_record_is_the_spec_header_then_role_and_flags()
    {
        var record = Records.Encode(RecordType.BeginRequest, 1, Records.BeginRequestBody(Role.Responder, keepConn: true));
        Assert.That(record, Is.EqualTo(new byte[]
        {
            1, 1, 0, 1, 0, 8, 0, 0, // version 1, BEGIN_REQUEST, requestId 1, contentLength 8, no padding, reserved
            0, 1, 1, 0, 0, 0, 0, 0, // role RESPONDER, flags KEEP_CONN, reserved[5]
        }));
        Assert.That(Records.DecodeBeginRequest(record.AsSpan(8)), Is.EqualTo((Role.Responder, true)));
    }

    [Test]
    public void Multi_byte_fields_are_big_endian()
    {
        var h = RecordHeader.Decode([1, 6, 0x12, 0x34, 0xab, 0xcd, 3, 0]);
        Assert.That(h, Is.EqualTo(new RecordHeader(1, RecordType.Stdout, 0x1234, 0xabcd, 3)));
        var bytes = new byte[8];
        h.Encode(bytes);
        Assert.That(bytes, Is.EqualTo(new byte[] { 1, 6, 0x12, 0x34, 0xab, 0xcd, 3, 0 }));
    }

    [Test]
    public void Content_is_padded_to_a_multiple_of_8()
    {
        var record = Records.Encode(RecordType.Stdin, 2, "hello"u8);
        Assert.That(record.Length, Is.EqualTo(16));
        Assert.That(record[4..8], Is.EqualTo(new byte[] { 0, 5, 3, 0 }));
        Assert.That(Records.Encode(RecordType.Stdin, 2, new byte[8]).Length, Is.EqualTo(16), "8 bytes need no padding");
    }

    [Test]
    public void A_stream_is_split_at_65535_bytes_and_ended_by_an_empty_record()
    {
        var data = new byte[65535 + 10];
        new Random(7).NextBytes(data);
        var records = Records.EncodeStream(RecordType.Stdin, 1, data).Select(r => RecordHeader.Decode(r)).ToList();
        Assert.That(records.Select(r => (int)r.ContentLength), Is.EqualTo(new[] { 65535, 10, 0 }));
        Assert.That(records.Select(r => (int)r.PaddingLength), Is.EqualTo(new[] { 1, 6, 0 }));
        Assert.That(Records.EncodeStream(RecordType.Params, 1, ReadOnlyMemory<byte>.Empty).Count(), Is.EqualTo(1),
            "an empty stream is one empty record");
    }

    [Test]
    public void End_request_carries_a_4_byte_app_status_and_the_protocol_status()
    {
        Assert.That(Records.DecodeEndRequest([0, 0, 1, 2, 3, 0, 0, 0]), Is.EqualTo((258u, ProtocolStatus.UnknownRole)));
        Assert.That(Records.EndRequestBody(0xdeadbeef, ProtocolStatus.Overloaded),
            Is.EqualTo(new byte[] { 0xde, 0xad, 0xbe, 0xef, 2, 0, 0, 0 }));
    }

    [Test]
    public async Task Reading_drops_the_padding_and_returns_null_at_a_clean_end()
    {
        var bytes = Records.Encode(RecordType.Stdout, 1, "abc"u8).Concat(Records.Encode(RecordType.Stderr, 1, "de"u8)).ToArray();
        using var stream = new MemoryStream(bytes);
        var first = await Records.ReadAsync(stream);
        var second = await Records.ReadAsync(stream);
        Assert.That(first!.Content, Is.EqualTo("abc"u8.ToArray()));
        Assert.That(first.PaddingLength, Is.EqualTo(5));
        Assert.That((second!.Type, second.Content), Is.EqualTo((RecordType.Stderr, "de"u8.ToArray())));
        Assert.That(await Records.ReadAsync(stream), Is.Null);
    }

    [TestCase(5, "header", 5)]
    [TestCase(11, "Stdout record", 3)]
    [TestCase(15, "Stdout record", 7)]
    public void A_record_cut_short_says_what_was_being_read_and_how_far(int keep, string part, int got)
    {
        var bytes = Records.Encode(RecordType.Stdout, 1, "abcdefgh-x"u8)[..keep];
        var e = Assert.ThrowsAsync<TruncatedRecordException>(() => Records.ReadAsync(new MemoryStream(bytes)));
        Assert.That(e!.Message, Does.Contain(part));
        Assert.That(e.Got, Is.EqualTo(got));
    }

    [Test]
    public void A_record_of_another_version_is_refused()
    {
        Assert.ThrowsAsync<FormatException>(() => Records.ReadAsync(new MemoryStream([2, 6, 0, 1, 0, 0, 0, 0])));
    }
}
