namespace NanoClaw.Storage;

/// <summary>A reply waiting to be sent (or sent). Stored before sending so an outage loses nothing.</summary>
public sealed record OutboxEntry(long Id, string ChatJid, string Text, DateTimeOffset CreatedAt, int Attempts);

public sealed partial class Database
{
    public long EnqueueOutbound(string chatJid, string text, DateTimeOffset now)
    {
        using var c = Connect();
        using var cmd = Command(c, """
            INSERT INTO outbox (chat_jid, text, created_at, next_attempt_at) VALUES ($jid, $text, $now, $now) RETURNING id
            """, ("$jid", chatJid), ("$text", text), ("$now", Iso(now)));
        return (long)cmd.ExecuteScalar()!;
    }

    // Only the oldest unsent entry of each chat may be attempted: a later reply never overtakes an earlier one.
    const string HeadOfEachChat = "sent_at IS NULL AND NOT EXISTS (SELECT 1 FROM outbox earlier WHERE earlier.chat_jid = outbox.chat_jid AND earlier.sent_at IS NULL AND earlier.id < outbox.id)";

    /// <summary>The head of each chat's queue, where its next attempt is due; oldest first.</summary>
    public IReadOnlyList<OutboxEntry> DueOutbound(DateTimeOffset now, int limit = 100) =>
        Query($"""
            SELECT id, chat_jid, text, created_at, attempts FROM outbox
            WHERE {HeadOfEachChat} AND next_attempt_at <= $now ORDER BY id LIMIT $limit
            """, r => new OutboxEntry(r.GetInt64(0), r.GetString(1), r.GetString(2), ParseIso(r.GetString(3)), (int)r.GetInt64(4)),
            ("$now", Iso(now)), ("$limit", limit));

    /// <summary>When the earliest unsent entry is due, or null when nothing waits.</summary>
    public DateTimeOffset? NextOutboundDue() =>
        ScalarOf($"SELECT MIN(next_attempt_at) FROM outbox WHERE {HeadOfEachChat}") is string s ? ParseIso(s) : null;

    public int PendingOutboundCount() => Convert.ToInt32(ScalarOf("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"));

    public void MarkOutboundSent(long id, DateTimeOffset now) =>
        Execute("UPDATE outbox SET sent_at = $now, attempts = attempts + 1 WHERE id = $id", ("$id", id), ("$now", Iso(now)));

    public void MarkOutboundFailed(long id, string error, DateTimeOffset nextAttempt) =>
        Execute("UPDATE outbox SET attempts = attempts + 1, last_error = $e, next_attempt_at = $next WHERE id = $id",
            ("$id", id), ("$e", error), ("$next", Iso(nextAttempt)));

    /// <summary>Moves the next attempt without counting one: the channel held the message back (a rate limit), or
    /// came back and the retry should not wait for its backoff.</summary>
    public void DeferOutbound(long id, DateTimeOffset nextAttempt) =>
        Execute("UPDATE outbox SET next_attempt_at = $next WHERE id = $id", ("$id", id), ("$next", Iso(nextAttempt)));
}
