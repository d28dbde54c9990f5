using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Guest;
using NanoClaw.Tests.Support;
using NanoClaw.Vm;
using NanoClaw.Vm.Image;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Tests.Guest;

/// <summary>The gateway streams multiplexer over real sockets: both real ends, or the host end against a hand-driven
/// (hostile) guest.</summary>
public sealed class GatewayMuxTests
{
    static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    /// <summary>As the product's connect: a connect cancelled half-way (the mux ended) closes its socket, or the
    /// server would keep a connection nobody owns.</summary>
    static async Task<Socket?> ConnectTo(int port, CancellationToken ct)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await s.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var all = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = await socket.ReceiveAsync(buffer)) > 0) all.Write(buffer, 0, n);
        return all.ToArray();
    }

    /// <summary>What a client sees on a carried connection after sending one byte: the echo, or refused (end or reset).</summary>
    static async Task<bool> ServedAsync(Socket client)
    {
        try
        {
            await client.SendAsync("x"u8.ToArray());
            var one = new byte[1];
            return await client.ReceiveAsync(one).WaitAsync(Bound) == 1;
        }
        catch (SocketException) { return false; }
    }

    [Fact]
    public async Task BothEndsCarryAMegabyteEachWayAndAHalfCloseEndsTheStream()
    {
        using var echo = StubTcpServer.Echo();
        using var channel = await LoopbackPair.ConnectAsync();
        await using var host = GatewayMux.Host(new NetworkStream(channel.A), new NetworkStream(channel.A), (_, ct) => ConnectTo(echo.Port, ct), _ => { });
        await using var guest = GatewayMux.Guest(new NetworkStream(channel.B), new NetworkStream(channel.B), _ => { });
        using var app = await LoopbackPair.ConnectAsync();

        var carried = guest.CarryAsync(app.B, GatewayMux.GuestGatewayPort);
        var data = RandomNumberGenerator.GetBytes(1 << 20);
        var send = Task.Run(async () =>
        {
            await app.A.SendAsync(data);
            app.A.Shutdown(SocketShutdown.Send);
        });
        (await ReadToEndAsync(app.A).WaitAsync(Bound)).SequenceEqual(data).ShouldBeTrue();
        await send.WaitAsync(Bound);
        await carried.WaitAsync(Bound);

        await Eventually.True(() => host.OpenStreams == 0 && guest.OpenStreams == 0 && echo.Open == 0, "both ends forget the stream");
        host.Opened.ShouldBe(1);
        host.Refused.ShouldBe(0);
    }

    [Fact]
    public async Task OpensBeyondTheCapAreRefusedAtOnceAndAFreedSlotServesAgain()
    {
        using var echo = StubTcpServer.Echo();
        using var channel = await LoopbackPair.ConnectAsync();
        await using var host = GatewayMux.Host(new NetworkStream(channel.A), new NetworkStream(channel.A), (_, ct) => ConnectTo(echo.Port, ct), _ => { }, maxStreams: 3);
        await using var guest = GatewayMux.Guest(new NetworkStream(channel.B), new NetworkStream(channel.B), _ => { });
        var apps = new List<LoopbackPair>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                var app = await LoopbackPair.ConnectAsync();
                apps.Add(app);
                _ = guest.CarryAsync(app.B, GatewayMux.GuestGatewayPort);
            }
            var served = await Task.WhenAll(apps.Select(a => ServedAsync(a.A)));

            // Opens are numbered in order: the first three are served, the other two refused, none waits.
            served.ShouldBe([true, true, true, false, false]);
            host.Refused.ShouldBe(2);
            host.PeakStreams.ShouldBe(3);
            echo.Peak.ShouldBe(3);

            apps[0].A.Shutdown(SocketShutdown.Send);
            (await ReadToEndAsync(apps[0].A).WaitAsync(Bound)).ShouldBeEmpty("the echo was read; the end follows");
            await Eventually.True(() => host.OpenStreams == 2, "the closed stream frees its slot");
            using var again = await LoopbackPair.ConnectAsync();
            _ = guest.CarryAsync(again.B, GatewayMux.GuestGatewayPort);
            (await ServedAsync(again.A)).ShouldBeTrue();
        }
        finally
        {
            foreach (var a in apps) a.Dispose();
        }
    }

    [Fact]
    public async Task OnlyTheGatewayAndProxyPortsLeadAnywhere()
    {
        using var gateway = StubTcpServer.Echo();
        using var channel = await LoopbackPair.ConnectAsync();
        var spec = new VmSpec("r1", new VmArtifacts("k", "i", "r", "h"), 512, 1, GatewayPort: gateway.Port, RunDir: "/nowhere", ConsoleLogPath: "/nowhere.log");
        GatewayStreams.HostPort(spec, 80).ShouldBe(gateway.Port);
        GatewayStreams.HostPort(spec with { ProxyPort = 41235 }, 3128).ShouldBe(41235);
        GatewayStreams.HostPort(spec, 3128).ShouldBe(0, "no egress proxy: port 3128 leads nowhere");
        GatewayStreams.HostPort(spec with { ProxyPort = 41235 }, 22).ShouldBe(0);

        await using var streams = GatewayStreams.Start(new NetworkStream(channel.A, ownsSocket: false), spec, NullLogger.Instance);
        var guest = new RawMuxPeer(new NetworkStream(channel.B));
        await guest.OpenAsync(1, 22);
        await guest.OpenAsync(2, 3128);
        await guest.OpenAsync(3, (ushort)gateway.Port);
        var refused = new List<uint>();
        for (var i = 0; i < 3; i++)
        {
            var frame = (await guest.ReadAsync())!.Value;
            frame.Type.ShouldBe(GatewayMuxFrameType.Reset);
            refused.Add(frame.Id);
        }
        refused.Order().ShouldBe([1u, 2u, 3u]);
        gateway.Accepted.ShouldBe(0);

        await guest.OpenAsync(4, 80);
        await guest.SendAsync(GatewayMuxFrameType.Data, 4, "hi"u8.ToArray());
        // The credit for "hi" and the echo of it, in either order.
        var frames = new[] { (await guest.ReadAsync())!.Value, (await guest.ReadAsync())!.Value };
        frames.Select(f => (f.Type, f.Id, Encoding.ASCII.GetString(f.Payload))).OrderBy(f => f.Type)
            .ShouldBe([(GatewayMuxFrameType.Data, 4u, "hi"), (GatewayMuxFrameType.Credit, 4u, "\0\0\0\u0002")]);
        gateway.Accepted.ShouldBe(1);
    }

    public static TheoryData<string> MalformedFrames => ["unknown type", "longer than the most", "open skips an id", "data for a stream never opened",
        "credit never owed", "empty data", "fin with a payload", "second fin", "open with a short payload", "channel ends inside a frame"];

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public async Task AMalformedFrameEndsTheMuxAndClosesItsStreamsNeverTheHost(string malformed)
    {
        using var echo = StubTcpServer.Echo();
        using var channel = await LoopbackPair.ConnectAsync();
        await using var host = GatewayMux.Host(new NetworkStream(channel.A), new NetworkStream(channel.A), (_, ct) => ConnectTo(echo.Port, ct), _ => { });
        var guest = new RawMuxPeer(new NetworkStream(channel.B));
        await guest.OpenAsync(1, 80);
        await Eventually.True(() => echo.Open == 1, "the first stream is connected");

        switch (malformed)
        {
            case "unknown type": await guest.SendAsync((GatewayMuxFrameType)9, 1); break;
            case "longer than the most": await guest.SendAsync(GatewayMuxFrameType.Data, 1, declaredLength: GatewayMux.MaxData + 1); break;
            case "open skips an id": await guest.OpenAsync(3, 80); break;
            case "data for a stream never opened": await guest.SendAsync(GatewayMuxFrameType.Data, 7, "x"u8.ToArray()); break;
            case "credit never owed": await guest.CreditAsync(1, 1); break;
            case "empty data": await guest.SendAsync(GatewayMuxFrameType.Data, 1); break;
            case "fin with a payload": await guest.SendAsync(GatewayMuxFrameType.Fin, 1, [1]); break;
            case "second fin":
                // In one write: sent apart, the echo's close after the first could end the stream first, and a frame
                // for a stream that is gone is dropped by design (it may have been on its way).
                await guest.SendAsync(GatewayMuxFrameType.Fin, 1, times: 2);
                break;
            case "open with a short payload": await guest.SendAsync(GatewayMuxFrameType.Open, 2, [80]); break;
            case "channel ends inside a frame":
                await guest.SendAsync(GatewayMuxFrameType.Data, 1, "abc"u8.ToArray(), declaredLength: 10);
                channel.B.Shutdown(SocketShutdown.Send);
                break;
        }

        await Should.ThrowAsync<GuestProtocolException>(() => host.Completion.WaitAsync(Bound));
        await Eventually.True(() => echo.Open == 0 && host.OpenStreams == 0, "the broken mux closes its streams");
    }

    [Fact]
    public async Task AGuestThatSendsPastItsCreditIsCutOffBeforeTheHostBuffersMoreThanAWindow()
    {
        // The gateway never reads: whatever the host holds for it stays held. Once the socket's own buffers are
        // full the host holds at most a window, and a guest that sends on regardless breaks the protocol.
        var release = new TaskCompletionSource();
        using var sink = new StubTcpServer(_ => release.Task);
        using var channel = await LoopbackPair.ConnectAsync();
        await using var host = GatewayMux.Host(new NetworkStream(channel.A), new NetworkStream(channel.A), (_, ct) => ConnectTo(sink.Port, ct), _ => { });
        var guest = new RawMuxPeer(new NetworkStream(channel.B));
        // Once the host has ended it reads nothing more: a send that filled the socket buffers in the meantime would
        // wait for ever, so the host's end stops the guest's sending.
        _ = host.Completion.ContinueWith(_ => guest.Stop.Cancel(), TaskScheduler.Default);
        await guest.OpenAsync(1, 80);
        var chunk = new byte[GatewayMux.MaxData];
        long sent = 0;
        try
        {
            while (!host.Completion.IsCompleted && sent < (256L << 20))
            {
                await guest.SendAsync(GatewayMuxFrameType.Data, 1, chunk);
                sent += chunk.Length;
            }
        }
        catch (IOException) { /* the host hung up */ }
        catch (SocketException) { }
        catch (OperationCanceledException) when (host.Completion.IsCompleted) { /* the host ended mid-send */ }
        finally { release.TrySetResult(); }

        var error = await Should.ThrowAsync<GuestProtocolException>(() => host.Completion.WaitAsync(Bound));
        error.Message.ShouldContain("credit");
        sent.ShouldBeLessThan(64L << 20, "the host stopped taking data after the socket buffers and one window");
    }

    [Fact]
    public async Task AStreamWhoseGuestNeverCreditsGetsOneWindowAndDoesNotStallTheOthers()
    {
        // Stream 1 leads to a server that writes without end; the guest reads its frames but never gives credit back.
        long written = 0;
        using var firehose = new StubTcpServer(async s =>
        {
            var block = new byte[1 << 16];
            while (written < (256L << 20))
            {
                await s.SendAsync(block);
                Interlocked.Add(ref written, block.Length);
            }
        });
        using var echo = StubTcpServer.Echo();
        using var channel = await LoopbackPair.ConnectAsync();
        await using var host = GatewayMux.Host(new NetworkStream(channel.A), new NetworkStream(channel.A),
            (port, ct) => ConnectTo(port == 1 ? firehose.Port : echo.Port, ct), _ => { });
        var guest = new RawMuxPeer(new NetworkStream(channel.B));
        await guest.OpenAsync(1, 1);

        long stalled = 0;
        while (stalled < GatewayMux.Window)
        {
            var frame = (await guest.ReadAsync())!.Value;
            (frame.Type, frame.Id).ShouldBe((GatewayMuxFrameType.Data, 1u));
            stalled += frame.Payload.Length;
        }
        stalled.ShouldBe(GatewayMux.Window);

        // Stream 2 flows while stream 1 waits for credit; nothing more of stream 1 arrives meanwhile.
        await guest.OpenAsync(2, 2);
        for (var round = 0; round < 3; round++)
        {
            await guest.SendAsync(GatewayMuxFrameType.Data, 2, "ping"u8.ToArray());
            // The credit for "ping" and its echo, in either order, and nothing of stream 1.
            var frames = new[] { (await guest.ReadAsync())!.Value, (await guest.ReadAsync())!.Value };
            frames.Select(f => (f.Type, f.Id)).Order().ShouldBe([(GatewayMuxFrameType.Data, 2u), (GatewayMuxFrameType.Credit, 2u)]);
            Encoding.ASCII.GetString(frames.Single(f => f.Type == GatewayMuxFrameType.Data).Payload).ShouldBe("ping");
            await guest.CreditAsync(2, 4);
        }
        Interlocked.Read(ref written).ShouldBeLessThan(64L << 20, "the firehose is held back by TCP, not buffered by the host");

        // One credit lets exactly that much more through.
        await guest.CreditAsync(1, 100);
        var more = (await guest.ReadAsync())!.Value;
        (more.Type, more.Id, more.Payload.Length).ShouldBe((GatewayMuxFrameType.Data, 1u, 100));
    }
}
