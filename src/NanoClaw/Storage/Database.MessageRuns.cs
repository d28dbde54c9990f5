using Microsoft.Data.Sqlite;

namespace NanoClaw.Storage;

public sealed partial class Database
{
    /// <summary>
    /// Hands messages <paramref name="firstSeq"/>..<paramref name="lastSeq"/> of a chat to a run: records the hand-over
    /// and moves the chat's agent cursor past them in one transaction. Its attempts are one more than the host deaths
    /// already recorded over any of these messages (<see cref="MessageRunState.Crashed"/> rows).
    /// </summary>
    public MessageRun TakeMessages(string chatJid, long firstSeq, long lastSeq, DateTimeOffset now)
    {
        using var c = Connect();
        using var tx = c.BeginTransaction();
        var crashes = Convert.ToInt32(Scalar(c, """
            SELECT COALESCE(MAX(attempts), 0) FROM message_runs
            WHERE chat_jid = $jid AND state = 'crashed' AND last_seq >= $first AND first_seq <= $last
            """, tx, ("$jid", chatJid), ("$first", firstSeq), ("$last", lastSeq)));
        var id = (long)Scalar(c, """
            INSERT INTO message_runs (chat_jid, first_seq, last_seq, state, attempts, started_at)
            VALUES ($jid, $first, $last, 'started', $attempts, $now) RETURNING id
            """, tx, ("$jid", chatJid), ("$first", firstSeq), ("$last", lastSeq), ("$attempts", crashes + 1), ("$now", Iso(now)))!;
        SetCursor(c, tx, chatJid, lastSeq);
        tx.Commit();
        return new MessageRun(id, chatJid, firstSeq, lastSeq, MessageRunState.Started, crashes + 1);
    }

    /// <summary>Moves hand-overs from <paramref name="from"/> to <paramref name="to"/> (rows in another state are left alone).</summary>
    public void SetMessageRunState(IEnumerable<long> ids, string from, string to)
    {
        using var c = Connect();
        using var tx = c.BeginTransaction();
        SetMessageRunState(c, tx, ids, from, to);
        tx.Commit();
    }

    static void SetMessageRunState(SqliteConnection c, SqliteTransaction tx, IEnumerable<long> ids, string from, string to)
    {
        foreach (var id in ids)
            using (var cmd = Command(c, "UPDATE message_runs SET state = $to WHERE id = $id AND state = $from", ("$id", id), ("$from", from), ("$to", to)))
            {
                cmd.Transaction = tx;
                cmd.ExecuteNonQuery();
            }
    }

    /// <summary>
    /// Gives hand-overs back: they get <paramref name="state"/> and the chat's agent cursor moves to
    /// <paramref name="cursor"/> (before them, so their messages are pending again, or past them), in one transaction.
    /// </summary>
    public void ReturnMessages(string chatJid, IEnumerable<long> ids, string state, long cursor)
    {
        using var c = Connect();
        using var tx = c.BeginTransaction();
        foreach (var id in ids)
            using (var cmd = Command(c, "UPDATE message_runs SET state = $state WHERE id = $id", ("$id", id), ("$state", state)))
            {
                cmd.Transaction = tx;
                cmd.ExecuteNonQuery();
            }
        SetCursor(c, tx, chatJid, cursor);
        tx.Commit();
    }

    public IReadOnlyList<MessageRun> MessageRunsIn(string state) =>
        Query("SELECT id, chat_jid, first_seq, last_seq, state, attempts FROM message_runs WHERE state = $state ORDER BY id",
            r => new MessageRun(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetString(4), (int)r.GetInt64(5)), ("$state", state));

    public IReadOnlyList<MessageRun> MessageRunsOf(string chatJid) =>
        Query("SELECT id, chat_jid, first_seq, last_seq, state, attempts FROM message_runs WHERE chat_jid = $jid ORDER BY id",
            r => new MessageRun(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetString(4), (int)r.GetInt64(5)), ("$jid", chatJid));

    /// <summary>How far a chat's messages have been handed to runs (<c>agent_seq:&lt;jid&gt;</c>).</summary>
    public long AgentCursor(string chatJid) => long.TryParse(GetState(AgentCursorKey(chatJid)), out var v) ? v : 0;

    public void SetAgentCursor(string chatJid, long seq) => SetState(AgentCursorKey(chatJid), seq.ToString(System.Globalization.CultureInfo.InvariantCulture));

    static string AgentCursorKey(string chatJid) => "agent_seq:" + chatJid;

    static void SetCursor(Microsoft.Data.Sqlite.SqliteConnection c, Microsoft.Data.Sqlite.SqliteTransaction tx, string chatJid, long seq)
    {
        using var cmd = Command(c, "INSERT INTO router_state (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            ("$k", AgentCursorKey(chatJid)), ("$v", seq.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        cmd.Transaction = tx;
        cmd.ExecuteNonQuery();
    }
}
