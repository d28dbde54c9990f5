namespace NanoClaw.Channels;

/// <summary>
/// What a channel's send came to: an expected outcome, so a value. A real failure (refused, no answer) is an exception,
/// which the outbox retries with backoff.
/// </summary>
public abstract record SendResult
{
    private SendResult() { }

    /// <summary>The channel took the message.</summary>
    public sealed record Sent : SendResult;

    /// <summary>
    /// Nothing was sent: a rate limit (the channel's own, or the network's answer) holds the message until
    /// <paramref name="Until"/>. Not a failure: the outbox keeps it, tries again then and does not count an attempt, so
    /// the error backoff of a later real failure stays short. <paramref name="Reason"/> names the limit.
    /// </summary>
    public sealed record Held(DateTimeOffset Until, string Reason) : SendResult;

    /// <summary>For channels whose sends complete at once.</summary>
    public static Task<SendResult> SentTask { get; } = Task.FromResult<SendResult>(new Sent());
}
