using System.Buffers.Binary;
using NanoClaw.Guest;

namespace NanoClaw.Tests.Guest;

/// <summary>A hand-driven end of a gateway-streams channel: writes any frame, well-formed or not, and reads frames.</summary>
sealed class RawMuxPeer(Stream stream)
{
    public async Task SendAsync(GatewayMuxFrameType type, uint id, byte[]? payload = null, int? declaredLength = null)
    {
        payload ??= [];
        var frame = new byte[GatewayMux.HeaderBytes + payload.Length];
        frame[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), id);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(5), (ushort)(declaredLength ?? payload.Length));
        payload.CopyTo(frame, GatewayMux.HeaderBytes);
        await stream.WriteAsync(frame);
        await stream.FlushAsync();
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
    public async Task<(GatewayMuxFrameType Type, uint Id, byte[] Payload)?> ReadAsync(CancellationToken ct = default)
    {
        var header = new byte[GatewayMux.HeaderBytes];
        try { await stream.ReadExactlyAsync(header, ct); }
        catch (EndOfStreamException) { return null; }
        catch (IOException) { return null; }
        var payload = new byte[BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(5))];
        await stream.ReadExactlyAsync(payload, ct);
        return ((GatewayMuxFrameType)header[0], BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1)), payload);
    }
}
