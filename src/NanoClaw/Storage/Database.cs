using System.Globalization;
using Microsoft.Data.Sqlite;

namespace NanoClaw.Storage;

/// <summary>
/// The one SQLite file (<c>store/messages.db</c>, WAL). Every inbound message is stored here before anything
/// else happens, so a crash loses nothing. Each call opens a pooled connection: callers on any thread are safe.
/// </summary>
public sealed partial class Database
{
    readonly string _connectionString;

    Database(string connectionString) => _connectionString = connectionString;

    public string Path { get; private init; } = "";

    /// <summary>Opens (creating if needed) the database and brings its schema up to date.</summary>
    /// <exception cref="StoreException">The file or its folder cannot be used, or its schema is newer than this build.</exception>
    public static Database Open(string path)
    {
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
            var cs = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
            var db = new Database(cs) { Path = path };
            using var connection = db.Connect();
            Exec(connection, "PRAGMA journal_mode = WAL;");
            Migrations.Apply(connection);
            return db;
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            // The usual causes: a store folder that is a file or not writable, a file that is not SQLite, a full disk.
            throw new StoreException($"Cannot open the store {path} ({ex.Message.TrimEnd('.')}): check that its folder is writable " +
                "and the file is a NanoClaw database, or move it aside to start an empty one.", ex);
        }
    }

    public int SchemaVersion
    {
        get { using var c = Connect(); return Convert.ToInt32(Scalar(c, "PRAGMA user_version;")); }
    }

    SqliteConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // FULL: a stored message survives a power cut, not only a process crash.
        // busy_timeout: SQLite waits for a concurrent writer itself, in short steps. Without it the driver's own
        // retry sleeps a fixed 150 ms, which put every message ~150 ms behind (measured: median 152 ms -> 2.3 ms).
        Exec(connection, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
        return connection;
    }

    // ---- chats -------------------------------------------------------------------------------

    public void UpsertChat(string jid, string name, DateTimeOffset lastMessageTime) =>
        Execute("""
            INSERT INTO chats (jid, name, last_message_time) VALUES ($jid, $name, $time)
            ON CONFLICT (jid) DO UPDATE SET
              name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE chats.name END,
              last_message_time = MAX(chats.last_message_time, excluded.last_message_time)
            """, ("$jid", jid), ("$name", name), ("$time", Iso(lastMessageTime)));

    public IReadOnlyList<Chat> ListChats() =>
        Query("SELECT jid, name, last_message_time FROM chats ORDER BY last_message_time DESC",
            r => new Chat(r.GetString(0), r.GetString(1), ParseIso(r.GetString(2))));

    // ---- messages ----------------------------------------------------------------------------

    /// <summary>Stores a message; returns its sequence number (rowid), or null when it was already stored.</summary>
    public long? StoreMessage(StoredMessage m)
    {
        using var c = Connect();
        using var cmd = Command(c, """
            INSERT OR IGNORE INTO messages (id, chat_jid, sender, sender_name, content, timestamp, is_from_me, is_bot_message, attachment)
            VALUES ($id, $chat, $sender, $name, $content, $ts, $me, $bot, $attachment)
            RETURNING rowid
            """, ("$id", m.Id), ("$chat", m.ChatJid), ("$sender", m.Sender), ("$name", m.SenderName),
            ("$content", m.Content), ("$ts", Iso(m.Timestamp)), ("$me", m.IsFromMe), ("$bot", m.IsBotMessage),
            ("$attachment", m.Attachment is { } a ? Media.AttachmentJson.Write(a) : null));
        return cmd.ExecuteScalar() is long seq ? seq : null;
    }

    /// <summary>Messages of one chat after a sequence number, oldest first; the assistant's own messages excluded.</summary>
    public IReadOnlyList<SequencedMessage> MessagesAfter(string chatJid, long afterSeq, int limit = 1000) =>
        Query("""
            SELECT rowid, id, chat_jid, sender, sender_name, content, timestamp, is_from_me, is_bot_message, attachment
            FROM messages WHERE chat_jid = $chat AND rowid > $after AND is_bot_message = 0
            ORDER BY rowid LIMIT $limit
            """, ReadSequenced, ("$chat", chatJid), ("$after", afterSeq), ("$limit", limit));

    /// <summary>Messages of any chat after a sequence number, oldest first; the assistant's own messages excluded.</summary>
    public IReadOnlyList<SequencedMessage> AllMessagesAfter(long afterSeq, int limit = 1000) =>
        Query("""
            SELECT rowid, id, chat_jid, sender, sender_name, content, timestamp, is_from_me, is_bot_message, attachment
            FROM messages WHERE rowid > $after AND is_bot_message = 0
            ORDER BY rowid LIMIT $limit
            """, ReadSequenced, ("$after", afterSeq), ("$limit", limit));

    static SequencedMessage ReadSequenced(SqliteDataReader r) => new(r.GetInt64(0), new StoredMessage(
        r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
        ParseIso(r.GetString(6)), r.GetInt64(7) != 0, r.GetInt64(8) != 0, r.IsDBNull(9) ? null : Media.AttachmentJson.Read(r.GetString(9))));

    // ---- router state (cursors) --------------------------------------------------------------

    public string? GetState(string key) => ScalarOf("SELECT value FROM router_state WHERE key = $k", ("$k", key)) as string;

    public void SetState(string key, string value) =>
        Execute("INSERT INTO router_state (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            ("$k", key), ("$v", value));

    // ---- registered groups -------------------------------------------------------------------

    public IReadOnlyList<RegisteredGroup> RegisteredGroups() =>
        Query("SELECT jid, name, folder, trigger_pattern, added_at, requires_trigger, is_main, container_config FROM registered_groups ORDER BY added_at",
            ReadGroup);

    public RegisteredGroup? GroupByJid(string jid) =>
        Query("SELECT jid, name, folder, trigger_pattern, added_at, requires_trigger, is_main, container_config FROM registered_groups WHERE jid = $jid",
            ReadGroup, ("$jid", jid)).FirstOrDefault();

    /// <summary>Registers a group. Fails with a reason (not an exception) when the jid or folder is taken.</summary>
    public RegisterResult RegisterGroup(RegisteredGroup g)
    {
        using var c = Connect();
        using var tx = c.BeginTransaction();
        if (Scalar(c, "SELECT name FROM registered_groups WHERE jid = $j", tx, ("$j", g.Jid)) is string existing)
            return new RegisterResult.Refused($"{g.Jid} is already registered as \"{existing}\".");
        if (Scalar(c, "SELECT jid FROM registered_groups WHERE folder = $f", tx, ("$f", g.Folder)) is string owner)
            return new RegisterResult.Refused($"folder \"{g.Folder}\" already belongs to {owner}; choose another folder name.");
        if (g.IsMain && Scalar(c, "SELECT jid FROM registered_groups WHERE is_main = 1", tx) is string main)
            return new RegisterResult.Refused($"{main} is already the main chat; there is only one.");
        using (var cmd = Command(c, """
            INSERT INTO registered_groups (jid, name, folder, trigger_pattern, added_at, requires_trigger, is_main, container_config)
            VALUES ($jid, $name, $folder, $trigger, $added, $requires, $main, $config)
            """, ("$jid", g.Jid), ("$name", g.Name), ("$folder", g.Folder), ("$trigger", g.TriggerPattern),
            ("$added", Iso(g.AddedAt)), ("$requires", g.RequiresTrigger), ("$main", g.IsMain), ("$config", g.ContainerConfigJson)))
        {
            cmd.Transaction = tx;
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return new RegisterResult.Registered(g);
    }

    /// <summary>Replaces a group's <c>container_config</c> JSON (null clears it). False when no group has that jid.</summary>
    public bool SetContainerConfig(string jid, string? containerConfigJson) =>
        ExecuteCount("UPDATE registered_groups SET container_config = $c WHERE jid = $j", ("$c", containerConfigJson), ("$j", jid)) == 1;

    static RegisteredGroup ReadGroup(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), ParseIso(r.GetString(4)),
        r.GetInt64(5) != 0, r.GetInt64(6) != 0, r.IsDBNull(7) ? null : r.GetString(7));

    // ---- sessions ----------------------------------------------------------------------------

    public string? GetSession(string groupFolder) =>
        ScalarOf("SELECT session_id FROM sessions WHERE group_folder = $f", ("$f", groupFolder)) as string;

    public void SetSession(string groupFolder, string sessionId) =>
        Execute("INSERT INTO sessions (group_folder, session_id) VALUES ($f, $s) ON CONFLICT (group_folder) DO UPDATE SET session_id = excluded.session_id",
            ("$f", groupFolder), ("$s", sessionId));

    // ---- helpers -----------------------------------------------------------------------------

    internal static string Iso(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseIso(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var c = Connect();
        using var cmd = Command(c, sql, parameters);
        cmd.ExecuteNonQuery();
    }

    int ExecuteCount(string sql, params (string Name, object? Value)[] parameters)
    {
        using var c = Connect();
        using var cmd = Command(c, sql, parameters);
        return cmd.ExecuteNonQuery();
    }

    object? ScalarOf(string sql, params (string Name, object? Value)[] parameters)
    {
        using var c = Connect();
        using var cmd = Command(c, sql, parameters);
        return cmd.ExecuteScalar();
    }

    IReadOnlyList<T> Query<T>(string sql, Func<SqliteDataReader, T> read, params (string Name, object? Value)[] parameters)
    {
        using var c = Connect();
        using var cmd = Command(c, sql, parameters);
        using var reader = cmd.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }

    static SqliteCommand Command(SqliteConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    static object? Scalar(SqliteConnection c, string sql, SqliteTransaction? tx = null, params (string Name, object? Value)[] parameters)
    {
        using var cmd = Command(c, sql, parameters);
        cmd.Transaction = tx;
        return cmd.ExecuteScalar();
    }

    static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = Command(c, sql);
        cmd.ExecuteNonQuery();
    }
}

/// <summary>A stored message with its sequence number (rowid), which orders messages and backs the cursors.</summary>
public sealed record SequencedMessage(long Seq, StoredMessage Message);

public abstract record RegisterResult
{
    private RegisterResult() { }
    public sealed record Registered(RegisteredGroup Group) : RegisterResult;
    public sealed record Refused(string Reason) : RegisterResult;
}
