namespace NanoClaw.Channels.Telegram;

/// <summary>How long getUpdates waits for news, and the pauses after failures (the last one repeats). Tests shorten them.</summary>
public sealed record TelegramTimings
{
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public IReadOnlyList<TimeSpan> RetryDelays { get; init; } =
        [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60)];
    /// <summary>Telegram shows "typing..." for about 5 s per sendChatAction; it is repeated this often while a run works.</summary>
    public TimeSpan TypingRefresh { get; init; } = TimeSpan.FromSeconds(4);
}
