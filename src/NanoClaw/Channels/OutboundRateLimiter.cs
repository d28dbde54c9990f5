namespace NanoClaw.Channels;

/// <summary>
/// Sliding one-minute windows over sends: one per chat and one over all chats. A send that would exceed either
/// is refused with the time its slot frees up, instead of waiting here, so a held chat never blocks another
/// chat or the caller (the outbox tries again then). Only allowed sends are counted.
/// </summary>
public sealed class OutboundRateLimiter(int perChatPerMinute, int overallPerMinute, TimeProvider time)
{
    static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    readonly Lock _lock = new();
    readonly Queue<DateTimeOffset> _all = new();
    readonly Dictionary<string, Queue<DateTimeOffset>> _chats = new(StringComparer.Ordinal);

    /// <summary>Counts a send to <paramref name="chatJid"/> now and returns null, or returns why and until when it must wait.</summary>
    public SendHold? TryTake(string chatJid)
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            Prune(_all, now);
            foreach (var (jid, sends) in _chats)
            {
                Prune(sends, now);
                if (sends.Count == 0) _chats.Remove(jid); // keeps the map as small as the chats of the last minute
            }
            var chat = _chats.GetValueOrDefault(chatJid);
            // The per-chat limit first: when both apply, the chat's own reason is the more useful one to log.
            if (chat is not null && chat.Count >= perChatPerMinute)
                return new SendHold(chat.Peek() + Window,
                    $"{perChatPerMinute} messages went to this chat in the last minute (WHATSAPP_SEND_PER_CHAT_PER_MINUTE)");
            if (_all.Count >= overallPerMinute)
                return new SendHold(_all.Peek() + Window,
                    $"{overallPerMinute} messages went out in the last minute (WHATSAPP_SEND_PER_MINUTE)");
            if (chat is null) _chats[chatJid] = chat = new Queue<DateTimeOffset>();
            chat.Enqueue(now);
            _all.Enqueue(now);
            return null;
        }
    }

    static void Prune(Queue<DateTimeOffset> sends, DateTimeOffset now)
    {
        while (sends.Count > 0 && sends.Peek() + Window <= now) sends.Dequeue();
    }
}
