namespace NanoClaw.Channels.Telegram;

/// <summary>
/// Telegram's documented bot limits, kept before it has to answer 429: about one message a second to a chat,
/// 20 a minute to a group, 30 a second overall. The per-second windows are checked first: a send they allow but
/// the group's minute window refuses was counted in a window that empties within a second, while the other order
/// would count a send that never happened against the group for a whole minute.
/// </summary>
public sealed class TelegramSendLimits(TimeProvider time)
{
    readonly OutboundRateLimiter _perSecond = new(1, 30, time, TimeSpan.FromSeconds(1),
        "Telegram's limit for one chat", "Telegram's limit for all chats");
    readonly OutboundRateLimiter _groupsPerMinute = new(20, int.MaxValue, time, TimeSpan.FromMinutes(1),
        "Telegram's limit for a group", "unused");

    /// <summary>Counts a send to <paramref name="chatJid"/> now and returns null, or returns until when it must wait.</summary>
    public SendResult.Held? TryTake(string chatJid) =>
        _perSecond.TryTake(chatJid) ?? (TelegramJid.IsGroup(chatJid) ? _groupsPerMinute.TryTake(chatJid) : null);
}
