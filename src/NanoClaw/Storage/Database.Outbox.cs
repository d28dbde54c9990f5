using Microsoft.Data.Sqlite;
using NanoClaw.Files;

namespace NanoClaw.Storage;

/// <summary>A reply waiting to be sent (or sent). Stored before sending so an outage loses nothing. With a
/// <paramref name="File"/>, <paramref name="Text"/> is its caption (possibly empty).</summary>
public sealed record OutboxEntry(long Id, string ChatJid, string Text, DateTimeOffset CreatedAt, int Attempts, OutboundFile? File = null);

public sealed partial class Database
{
    public long EnqueueOutbound(string chatJid, string text, DateTimeOffset now, OutboundFile? file = null)
    {
        using var c = Connect();
        return InsertOutbound(c, null, chatJid, text, now, file);
    }

    /// <summary>
    /// Stores a reply's parts and marks the message runs it answers <c>output_sent</c>, in one transaction: after a crash
    /// either the whole reply waits in the outbox and its messages count as answered (never run again), or neither is
    /// stored and the messages are run again. Never half a reply, never a reply whose messages are answered twice.
    /// </summary>
    public void EnqueueReply(string chatJid, IReadOnlyList<string> parts, DateTimeOffset now, IReadOnlyCollection<long> answeredRuns)
    {
        using var c = Connect();
        using var tx = c.BeginTransaction();
        foreach (var part in parts) InsertOutbound(c, tx, chatJid, part, now, file: null);
        SetMessageRunState(c, tx, answeredRuns, MessageRunState.Started, MessageRunState.OutputSent);
        tx.Commit();
    }

    static long InsertOutbound(SqliteConnection c, SqliteTransaction? tx, string chatJid, string text, DateTimeOffset now, OutboundFile? file)
    {
        using var cmd = Command(c, """
            INSERT INTO outbox (chat_jid, text, created_at, next_attempt_at, file_path, file_kind, file_mime, file_name, file_bytes)
            VALUES ($jid, $text, $now, $now, $path, $kind, $mime, $name, $bytes) RETURNING id
            """, ("$jid", chatJid), ("$text", text), ("$now", Iso(now)),
            ("$path", file?.SpoolPath), ("$kind", file is null ? null : file.Kind == FileKind.Image ? "image" : "document"),
            ("$mime", file?.MimeType), ("$name", file?.FileName), ("$bytes", file?.Bytes));
        cmd.Transaction = tx;
        return (long)cmd.ExecuteScalar()!;
    }

    // Only the oldest unsent entry of each chat may be attempted: a later reply never overtakes an earlier one.
    const string HeadOfEachChat = "sent_at IS NULL AND NOT EXISTS (SELECT 1 FROM outbox earlier WHERE earlier.chat_jid = outbox.chat_jid AND earlier.sent_at IS NULL AND earlier.id < outbox.id)";

    /// <summary>The head of each chat's queue, where its next attempt is due; oldest first.</summary>
    public IReadOnlyList<OutboxEntry> DueOutbound(DateTimeOffset now, int limit = 100) =>
        Query($"""
            SELECT id, chat_jid, text, created_at, attempts, file_path, file_kind, file_mime, file_name, file_bytes FROM outbox
            WHERE {HeadOfEachChat} AND next_attempt_at <= $now ORDER BY id LIMIT $limit
            """, r => new OutboxEntry(r.GetInt64(0), r.GetString(1), r.GetString(2), ParseIso(r.GetString(3)), (int)r.GetInt64(4),
                r.IsDBNull(5) ? null : new OutboundFile(r.GetString(5), r.GetString(6) == "image" ? FileKind.Image : FileKind.Document,
                    r.GetString(7), r.GetString(8), r.GetInt64(9))),
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
