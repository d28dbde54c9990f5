namespace NanoClaw.Channels;

/// <summary>A send that <see cref="OutboundRateLimiter"/> refused: when it may go, and which limit held it.</summary>
public sealed record SendHold(DateTimeOffset Until, string Reason);
