using System.Text;
using NanoClaw.Guest;

namespace NanoClaw.Tests.Guest;

public sealed class GuestFrameReaderTests
{
    static GuestFrameReader Reader(byte[] bytes, long maxPayload = 1 << 20) => new(new MemoryStream(bytes), maxPayload);
    static GuestFrameReader Reader(string text, long maxPayload = 1 << 20) => Reader(Encoding.UTF8.GetBytes(text), maxPayload);

    [Fact]
    public async Task FramesAndPayloadsComeBackInOrder()
    {
        var stream = new MemoryStream();
        var writer = new GuestFrameWriter(stream);
        await writer.WriteAsync(new ReadyFrame(), default);
        await writer.WriteAsync(new ChangesFrame(5, []), new MemoryStream("hello"u8.ToArray()), default);
        await writer.WriteAsync(new ChangesFrame(3, ["group/x"]), new MemoryStream("abc"u8.ToArray()), default);
        await writer.WriteAsync(new DoneFrame(), default);

        var reader = Reader(stream.ToArray());
        (await reader.ReadAsync<GuestToHostFrame>(default)).ShouldBe(new ReadyFrame());
        (await reader.ReadAsync<GuestToHostFrame>(default)).ShouldBe(new ChangesFrame(5, []));
        new StreamReader(reader.Payload).ReadToEnd().ShouldBe("hello");
        (await reader.ReadAsync<GuestToHostFrame>(default)).ShouldBe(new ChangesFrame(3, ["group/x"])); // payload left unread: skipped
        (await reader.ReadAsync<GuestToHostFrame>(default)).ShouldBe(new DoneFrame());
        (await reader.ReadAsync<GuestToHostFrame>(default)).ShouldBeNull();
    }

    [Fact]
    public async Task AFrameFromTheWrongSideIsRefused()
    {
        var ex = await Should.ThrowAsync<GuestProtocolException>(() => Reader("{\"type\":\"close\"}\n").ReadAsync<GuestToHostFrame>(default).AsTask());
        ex.Message.ShouldContain("'close' frame was not expected");
    }

    [Fact]
    public async Task ALineOverOneMebibyteIsRefusedWithoutReadingItAll()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"type\":\"output\",\"text\":\"" + new string('x', GuestProtocol.MaxLineBytes) + "\"}\n");
        var ex = await Should.ThrowAsync<GuestProtocolException>(() => Reader(bytes).ReadAsync<GuestToHostFrame>(default).AsTask());
        ex.Message.ShouldContain("longer than");
    }

    [Fact]
    public async Task ALineOfExactlyTheLimitIsAccepted()
    {
        var prefix = "{\"type\":\"output\",\"text\":\"";
        var line = prefix + new string('x', GuestProtocol.MaxLineBytes - prefix.Length - 2) + "\"}";
        Encoding.UTF8.GetByteCount(line).ShouldBe(GuestProtocol.MaxLineBytes);
        (await Reader(line + "\n").ReadAsync<GuestToHostFrame>(default)).ShouldBeOfType<OutputFrame>();
    }

    [Fact]
    public async Task AStreamEndingInsideALineIsAnError()
    {
        var ex = await Should.ThrowAsync<GuestProtocolException>(() => Reader("{\"type\":\"ready\"}").ReadAsync<GuestToHostFrame>(default).AsTask());
        ex.Message.ShouldContain("inside a frame line");
    }

    [Fact]
    public async Task ATruncatedPayloadIsAnErrorWhenReadOrSkipped()
    {
        var reader = Reader("{\"type\":\"changes\",\"bytes\":10,\"deleted\":[]}\nabc");
        await reader.ReadAsync<GuestToHostFrame>(default);
        (await Should.ThrowAsync<GuestProtocolException>(() => reader.Payload.CopyToAsync(Stream.Null))).Message.ShouldContain("7 bytes short");

        var skipping = Reader("{\"type\":\"changes\",\"bytes\":10,\"deleted\":[]}\nabc");
        await skipping.ReadAsync<GuestToHostFrame>(default);
        await Should.ThrowAsync<GuestProtocolException>(() => skipping.ReadAsync<GuestToHostFrame>(default).AsTask());
    }

    [Fact]
    public async Task APayloadOverTheReadersLimitIsRefusedBeforeReadingIt()
    {
        var ex = await Should.ThrowAsync<GuestProtocolException>(() =>
            Reader("{\"type\":\"changes\",\"bytes\":1000001,\"deleted\":[]}\n", maxPayload: 1_000_000).ReadAsync<GuestToHostFrame>(default).AsTask());
        ex.Message.ShouldContain("limit is 1000000");
    }

    [Fact]
    public async Task AnEmptyLineIsAnError() =>
        (await Should.ThrowAsync<GuestProtocolException>(() => Reader("\n").ReadAsync<GuestToHostFrame>(default).AsTask())).Message.ShouldContain("empty");

    [Fact]
    public async Task APayloadShorterThanAnnouncedIsNotSent()
    {
        var stream = new MemoryStream();
        var ex = await Should.ThrowAsync<GuestProtocolException>(() =>
            new GuestFrameWriter(stream).WriteAsync(new WorkspaceFrame(10), new MemoryStream(new byte[4]), default));
        ex.Message.ShouldContain("6 bytes short");
    }
}
