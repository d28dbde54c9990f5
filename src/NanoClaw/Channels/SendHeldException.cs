namespace NanoClaw.Channels;

/// <summary>
/// Thrown by <see cref="IChannel.SendAsync"/> when a message may not go out yet (a rate limit), before anything
/// was sent. Not a failure: the outbox keeps the message, tries again at <see cref="Until"/> and does not count
/// it as an attempt, so the error backoff of a later real failure stays short.
/// </summary>
public sealed class SendHeldException(DateTimeOffset until, string reason) : Exception($"held until {until:O}: {reason}")
{
    public DateTimeOffset Until { get; } = until;
    public string Reason { get; } = reason;
}
