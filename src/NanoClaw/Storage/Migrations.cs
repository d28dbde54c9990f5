using Microsoft.Data.Sqlite;

namespace NanoClaw.Storage;

/// <summary>
/// Schema steps, applied in order; <c>PRAGMA user_version</c> records how many ran. Append new steps,
/// never edit shipped ones. A failing step rolls back and stops start-up with the error: nothing is swallowed.
/// </summary>
static class Migrations
{
    public static readonly string[] Steps =
    [
        // 1: the original's tables, same names and columns.
        """
        CREATE TABLE chats (
            jid TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            last_message_time TEXT NOT NULL
        );
        CREATE TABLE messages (
            id TEXT NOT NULL,
            chat_jid TEXT NOT NULL,
            sender TEXT NOT NULL,
            sender_name TEXT NOT NULL,
            content TEXT NOT NULL,
            timestamp TEXT NOT NULL,
            is_from_me INTEGER NOT NULL DEFAULT 0,
            is_bot_message INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (id, chat_jid)
        );
        CREATE INDEX idx_messages_chat ON messages (chat_jid, timestamp);
        CREATE TABLE registered_groups (
            jid TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            folder TEXT NOT NULL UNIQUE,
            trigger_pattern TEXT NOT NULL,
            added_at TEXT NOT NULL,
            requires_trigger INTEGER NOT NULL DEFAULT 1,
            is_main INTEGER NOT NULL DEFAULT 0,
            container_config TEXT
        );
        CREATE TABLE sessions (
            group_folder TEXT PRIMARY KEY,
            session_id TEXT NOT NULL
        );
        CREATE TABLE router_state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE scheduled_tasks (
            id TEXT PRIMARY KEY,
            group_folder TEXT NOT NULL,
            chat_jid TEXT NOT NULL,
            prompt TEXT NOT NULL,
            schedule_type TEXT NOT NULL,
            schedule_value TEXT NOT NULL,
            context_mode TEXT NOT NULL DEFAULT 'isolated',
            next_run TEXT,
            last_run TEXT,
            last_result TEXT,
            status TEXT NOT NULL DEFAULT 'active',
            created_at TEXT NOT NULL
        );
        CREATE INDEX idx_tasks_next_run ON scheduled_tasks (status, next_run);
        CREATE TABLE task_run_logs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            task_id TEXT NOT NULL,
            run_at TEXT NOT NULL,
            duration_ms INTEGER NOT NULL,
            status TEXT NOT NULL,
            result TEXT,
            error TEXT
        );
        CREATE INDEX idx_task_run_logs ON task_run_logs (task_id, run_at);
        """,
        // 2: the durable outbox: a reply is stored before it is sent, so a channel outage or a crash loses nothing.
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chat_jid TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            last_error TEXT,
            sent_at TEXT
        );
        CREATE INDEX idx_outbox_pending ON outbox (sent_at, next_attempt_at);
        """,
        // 3: scheduling. pending_run_at is an extra run outside the schedule (a retry or "run now") that does not
        // move next_run; failed_attempts counts failures of the current occurrence. A run log row is written when
        // a run is claimed (kind says scheduled/catch-up/retry/manual; note says e.g. how many slots were missed).
        """
        ALTER TABLE scheduled_tasks ADD COLUMN pending_run_at TEXT;
        ALTER TABLE scheduled_tasks ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE task_run_logs ADD COLUMN kind TEXT NOT NULL DEFAULT 'scheduled';
        ALTER TABLE task_run_logs ADD COLUMN note TEXT;
        CREATE INDEX idx_task_run_logs_status ON task_run_logs (status);
        """,
        // 4: message runs. One row per hand-over of messages to a run (its first prompt or a follow-up), written in
        // the same transaction that moves the agent cursor past them, so a crash never leaves messages handed over
        // with no record of who took them. state: started (no output yet), output_sent (a reply is in the durable
        // outbox), done, failed (given up), crashed (the host died before any output; re-run once at start-up).
        // attempts counts host deaths over these messages: a second one gives up instead of looping.
        """
        CREATE TABLE message_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chat_jid TEXT NOT NULL,
            first_seq INTEGER NOT NULL,
            last_seq INTEGER NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1,
            started_at TEXT NOT NULL
        );
        CREATE INDEX idx_message_runs_state ON message_runs (state, chat_jid);
        """,
        // 5: usage and budgets. One api_calls row per Messages API call the gateway forwarded with a 2xx answer: tokens as the
        // API reported them (the last running totals of a stream), the cost priced when the call ended (nano-USD, exact;
        // NULL for a model the price table does not know), partial = the stream was cut before message_stop.
        // budgets: a group's limits in USD as decimal text; group_folder '*' is the default for every group.
        """
        CREATE TABLE api_calls (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL,
            group_folder TEXT NOT NULL,
            task_id TEXT,
            model TEXT NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_creation_5m_tokens INTEGER NOT NULL,
            cache_creation_1h_tokens INTEGER NOT NULL,
            cache_read_tokens INTEGER NOT NULL,
            cost_nano_usd INTEGER,
            started_at TEXT NOT NULL,
            partial INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX idx_api_calls_group_time ON api_calls (group_folder, started_at);
        CREATE INDEX idx_api_calls_time ON api_calls (started_at);
        CREATE TABLE budgets (
            group_folder TEXT PRIMARY KEY,
            daily_usd TEXT,
            monthly_usd TEXT
        );
        """,
        // 6: the photo, voice note or file a message carries (Media/AttachmentJson: kind, path under the group's folder,
        // mime, size, note, transcript); null for plain text. The file is written before the row (Media/MediaStore).
        """
        ALTER TABLE messages ADD COLUMN attachment TEXT;
        """,
        // 7: files from the assistant. A reply may carry a file: the host's own copy (file_path, in data/outbox-files, never the
        // group's file), how it is sent (file_kind: image or document), its MIME type and the name the chat shows. text is then the caption.
        """
        ALTER TABLE outbox ADD COLUMN file_path TEXT;
        ALTER TABLE outbox ADD COLUMN file_kind TEXT;
        ALTER TABLE outbox ADD COLUMN file_mime TEXT;
        ALTER TABLE outbox ADD COLUMN file_name TEXT;
        ALTER TABLE outbox ADD COLUMN file_bytes INTEGER;
        """,
    ];

    public static int LatestVersion => Steps.Length;

    public static void Apply(SqliteConnection connection)
    {
        var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;"));
        if (version > Steps.Length)
            throw new StoreException(
                $"The database schema is version {version}, newer than this build knows ({Steps.Length}). Update NanoClaw or restore an older store/messages.db.");

        for (var step = version; step < Steps.Length; step++)
        {
            using var tx = connection.BeginTransaction();
            using (var cmd = connection.CreateCommand())
            {
                cmd.Transaction = tx;
                cmd.CommandText = Steps[step] + $"\nPRAGMA user_version = {step + 1};";
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    static object? Scalar(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}
