using System.Collections.Concurrent;
using NanoClaw.Channels;
using NanoClaw.Conversations;

namespace NanoClaw.Outbound;

/// <summary>
/// How a channel wakes the <see cref="Outbox"/> without holding it: built before the channels (which the outbox needs
/// to send), so each channel gets "connected again" at construction. The outbox's next pass applies
/// <see cref="Outbox.RetryNow"/> for each channel told here, before it sends.
/// </summary>
public sealed class OutboxSignal(TimeProvider time)
{
    readonly ConcurrentQueue<IChannel> _reconnected = new();

    /// <summary>What the outbox's loop sleeps on.</summary>
    public WakeSignal Wake { get; } = new(time);

    /// <summary><paramref name="channel"/> (re)connected: its chats' replies that wait for a retry are due now.</summary>
    public void Reconnected(IChannel channel)
    {
        _reconnected.Enqueue(channel);
        Wake.Set();
    }

    internal bool TryTakeReconnected(out IChannel channel) => _reconnected.TryDequeue(out channel!);
}
