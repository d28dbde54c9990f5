namespace NanoClaw.Channels;

/// <summary>
/// Sliding windows (one minute unless told otherwise) over sends: one per chat and one over all chats. A send that
/// would exceed either is refused with the time its slot frees up, instead of waiting here, so a held chat never
/// blocks another chat or the caller (the outbox tries again then). Only allowed sends are counted. The reasons
/// name the settings that set the limits (<paramref name="perChatSetting"/>, <paramref name="overallSetting"/>).
/// </summary>
public sealed class OutboundRateLimiter(int perChatPerMinute, int overallPerMinute, TimeProvider time, TimeSpan? window = null,
    string perChatSetting = "WHATSAPP_SEND_PER_CHAT_PER_MINUTE", string overallSetting = "WHATSAPP_SEND_PER_MINUTE")
{
    readonly TimeSpan _window = window ?? TimeSpan.FromMinutes(1);
    readonly Lock _lock = new();
    readonly Queue<DateTimeOffset> _all = new();
    readonly Dictionary<string, Queue<DateTimeOffset>> _chats = new(StringComparer.Ordinal);

    /// <summary>Counts a send to <paramref name="chatJid"/> now and returns null, or returns why and until when it must wait.</summary>
    public SendResult.Held? TryTake(string chatJid)
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
                return new SendResult.Held(chat.Peek() + _window,
                    $"{perChatPerMinute} messages went to this chat in the last {WindowName} ({perChatSetting})");
            if (_all.Count >= overallPerMinute)
                return new SendResult.Held(_all.Peek() + _window,
                    $"{overallPerMinute} messages went out in the last {WindowName} ({overallSetting})");
            if (chat is null) _chats[chatJid] = chat = new Queue<DateTimeOffset>();
            chat.Enqueue(now);
            _all.Enqueue(now);
            return null;
        }
    }

    string WindowName => _window == TimeSpan.FromMinutes(1) ? "minute" : _window == TimeSpan.FromSeconds(1) ? "second" : _window.ToString();

    void Prune(Queue<DateTimeOffset> sends, DateTimeOffset now)
    {
        while (sends.Count > 0 && sends.Peek() + _window <= now) sends.Dequeue();
    }
}
