using NanoClaw.Media;
using NanoClaw.Storage;

namespace NanoClaw.Channels;

/// <summary>
/// What a channel hands things to, given at construction: the store-and-wake of inbound messages (the signature of
/// <see cref="NanoClaw.Conversations.Inbox.Deliver"/>), "connected again" for the outbox
/// (<see cref="NanoClaw.Outbound.OutboxSignal.Reconnected"/>), and where inbound files go (null: downloads are off).
/// </summary>
public sealed record ChannelInbound(Func<StoredMessage, string?, bool> Deliver, Action<IChannel> Reconnected, InboundMedia? Media = null);
