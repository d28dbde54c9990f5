using System.Buffers.Binary;
using NanoClaw.Guest;

namespace NanoClaw.Tests.Guest;

/// <summary>A hand-driven end of a gateway-streams channel: writes any frame, well-formed or not, and reads frames.
/// Every write and read is bounded: a peer that stops reading fails the test instead of hanging the suite.</summary>
sealed class RawMuxPeer(Stream stream)
{
    static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    /// <summary>Cancelled, every pending and later write fails at once: for a test whose other end stops reading.</summary>
    public CancellationTokenSource Stop { get; } = new();

    /// <param name="times">The frame this many times in one write: back to back, so the other end reads the second
    /// before anything it does about the first (closing the stream, say) can happen.</param>
    public async Task SendAsync(GatewayMuxFrameType type, uint id, byte[]? payload = null, int? declaredLength = null, int times = 1)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(Stop.Token);
        bound.CancelAfter(Bound);
        payload ??= [];
        var size = GatewayMux.HeaderBytes + payload.Length;
        var frames = new byte[size * times];
        for (var i = 0; i < times; i++)
        {
            var frame = frames.AsSpan(i * size, size);
            frame[0] = (byte)type;
            BinaryPrimitives.WriteUInt32BigEndian(frame[1..], id);
            BinaryPrimitives.WriteUInt16BigEndian(frame[5..], (ushort)(declaredLength ?? payload.Length));
            payload.CopyTo(frame[GatewayMux.HeaderBytes..]);
        }
        await stream.WriteAsync(frames, bound.Token);
        await stream.FlushAsync(bound.Token);
    }

    public Task OpenAsync(uint id, ushort port)
    {
        var payload = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(payload, port);
        return SendAsync(GatewayMuxFrameType.Open, id, payload);
    }

    public Task CreditAsync(uint id, uint bytes)
    {
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, bytes);
        return SendAsync(GatewayMuxFrameType.Credit, id, payload);
    }

    /// <summary>The next frame, or null at the end of the channel.</summary>
    public async Task<(GatewayMuxFrameType Type, uint Id, byte[] Payload)?> ReadAsync()
    {
        using var bound = new CancellationTokenSource(Bound);
        var ct = bound.Token;
        var header = new byte[GatewayMux.HeaderBytes];
        try { await stream.ReadExactlyAsync(header, ct); }
        catch (EndOfStreamException) { return null; }
        catch (IOException) { return null; }
        var payload = new byte[BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(5))];
        await stream.ReadExactlyAsync(payload, ct);
        return ((GatewayMuxFrameType)header[0], BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1)), payload);
    }
}
