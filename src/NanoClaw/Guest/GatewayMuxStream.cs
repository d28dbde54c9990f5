using System.Net.Sockets;
using System.Threading.Channels;

namespace NanoClaw.Guest;

/// <summary>One stream of a <see cref="GatewayMux"/>: its TCP socket and the credit each way. The counters are
/// guarded by the instance itself (lock).</summary>
sealed class GatewayMuxStream(uint id, ushort port)
{
    public uint Id { get; } = id;
    public ushort Port { get; } = port;
    public Socket? Socket { get; set; }
    /// <summary>Bytes from the peer, not yet written to the socket; at most <see cref="GatewayMux.Window"/> in total
    /// (the peer's credit), so an unbounded channel is bounded by the accounting in <see cref="Buffered"/>.</summary>
    public Channel<byte[]> Inbound { get; } = Channel.CreateUnbounded<byte[]>(new() { SingleReader = true, SingleWriter = true });
    public int Buffered { get; set; }
    public bool FinReceived { get; set; }
    /// <summary>How many more bytes this side may send to the peer.</summary>
    public int SendCredit { get; set; } = GatewayMux.Window;
    public SemaphoreSlim CreditArrived { get; } = new(0, 1);
    public CancellationTokenSource Abort { get; } = new();
    public bool ResetReceived { get; set; }
}
