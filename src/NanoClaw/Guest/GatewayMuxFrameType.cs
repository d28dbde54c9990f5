namespace NanoClaw.Guest;

/// <summary>The frame types of the gateway stream multiplexer (docs/gateway-streams.md).</summary>
public enum GatewayMuxFrameType : byte
{
    /// <summary>Guest to host: a new stream to a guest gateway port (payload: the port, 2 bytes big-endian).</summary>
    Open = 1,
    /// <summary>Either way: bytes of a stream (payload: 1 to <see cref="GatewayMux.MaxData"/> bytes).</summary>
    Data = 2,
    /// <summary>Either way: the sender sends no more data on the stream (a TCP half-close).</summary>
    Fin = 3,
    /// <summary>Either way: the stream is aborted, or (host to guest, answering an open) refused.</summary>
    Reset = 4,
    /// <summary>Either way: the sender consumed that many more bytes of the stream (payload: 4 bytes big-endian).</summary>
    Credit = 5,
}
