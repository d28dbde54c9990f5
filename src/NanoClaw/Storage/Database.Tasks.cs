using Microsoft.Data.Sqlite;

namespace NanoClaw.Storage;

public sealed partial class Database
{
    const string TaskColumns = "id, group_folder, chat_jid, prompt, schedule_type, schedule_value, context_mode, next_run, last_run, last_result, status, created_at";

    public void CreateTask(ScheduledTask t) =>
        Execute("""
            INSERT INTO scheduled_tasks (id, group_folder, chat_jid, prompt, schedule_type, schedule_value, context_mode, next_run, last_run, last_result, status, created_at)
            VALUES ($id, $folder, $jid, $prompt, $type, $value, $mode, $next, $last, $result, $status, $created)
            """, ("$id", t.Id), ("$folder", t.GroupFolder), ("$jid", t.ChatJid), ("$prompt", t.Prompt),
            ("$type", t.ScheduleType.ToString().ToLowerInvariant()), ("$value", t.ScheduleValue),
            ("$mode", t.ContextMode.ToString().ToLowerInvariant()), ("$next", t.NextRun is { } n ? Iso(n) : null),
            ("$last", t.LastRun is { } l ? Iso(l) : null), ("$result", t.LastResult),
            ("$status", Lower(t.Status)), ("$created", Iso(t.CreatedAt)));

    /// <summary>All tasks, or one group's when <paramref name="groupFolder"/> is given.</summary>
    public IReadOnlyList<ScheduledTask> ListTasks(string? groupFolder = null) =>
        Query($"SELECT {TaskColumns} FROM scheduled_tasks WHERE $folder IS NULL OR group_folder = $folder ORDER BY created_at",
            ReadTask, ("$folder", groupFolder));

    public ScheduledTask? GetTask(string id) =>
        Query($"SELECT {TaskColumns} FROM scheduled_tasks WHERE id = $id", ReadTask, ("$id", id)).FirstOrDefault();

    /// <summary>
    /// Moves a task to <paramref name="status"/> with a new next run, only when it is currently in one of
    /// <paramref name="from"/>. Any extra run (retry, run now) and failure count are cleared. False when the task
    /// was not in such a state (it changed meanwhile or does not exist).
    /// </summary>
    public bool SetTaskStatus(string id, TaskStatus status, DateTimeOffset? nextRun, params TaskStatus[] from)
    {
        using var c = Connect();
        using var cmd = Command(c, $"""
            UPDATE scheduled_tasks SET status = $status, next_run = $next, pending_run_at = NULL, failed_attempts = 0
            WHERE id = $id AND status IN ({string.Join(", ", from.Select(f => "'" + Lower(f) + "'"))})
            """, ("$id", id), ("$status", Lower(status)), ("$next", nextRun is { } n ? Iso(n) : null));
        return cmd.ExecuteNonQuery() == 1;
    }

    /// <summary>Asks for an extra run of an active or paused task at <paramref name="at"/> that does not move its schedule.</summary>
    public bool SetTaskPendingRun(string id, DateTimeOffset? at, int failedAttempts)
    {
        using var c = Connect();
        using var cmd = Command(c, """
            UPDATE scheduled_tasks SET pending_run_at = $at, failed_attempts = $attempts
            WHERE id = $id AND status IN ('active', 'paused')
            """, ("$id", id), ("$at", at is { } a ? Iso(a) : null), ("$attempts", failedAttempts));
        return cmd.ExecuteNonQuery() == 1;
    }

    /// <summary>What the scheduler needs of every task that may run: active tasks, and paused ones with an extra run asked for.</summary>
    public IReadOnlyList<TaskTiming> TaskTimings() =>
        Query("""
            SELECT id, chat_jid, status, next_run, pending_run_at, failed_attempts FROM scheduled_tasks
            WHERE status = 'active' OR (status = 'paused' AND pending_run_at IS NOT NULL)
            """, r => new TaskTiming(r.GetString(0), r.GetString(1), Enum.Parse<TaskStatus>(r.GetString(2), ignoreCase: true),
                r.IsDBNull(3) ? null : ParseIso(r.GetString(3)), r.IsDBNull(4) ? null : ParseIso(r.GetString(4)), r.GetInt32(5)));

    /// <summary>
    /// Claims one run of a task, in one transaction, before anything runs: the task's timing moves on
    /// (<paramref name="nextRun"/>, the extra run cleared when <paramref name="clearPendingRun"/>) and a run log row
    /// with status <c>claimed</c> is written. Only succeeds when the task still has exactly the timing
    /// <paramref name="seen"/> (so two schedulers, or a scheduler and a user edit, cannot both claim it).
    /// Returns the run log id, or null when the claim lost.
    /// </summary>
    public long? ClaimTaskRun(TaskTiming seen, DateTimeOffset? nextRun, bool clearPendingRun, int failedAttempts, string kind, string? note, DateTimeOffset now)
    {
        using var c = Connect();
        using var tx = c.BeginTransaction();
        using (var update = Command(c, """
            UPDATE scheduled_tasks SET next_run = $next, pending_run_at = CASE WHEN $clear THEN NULL ELSE pending_run_at END,
              failed_attempts = $attempts
            WHERE id = $id AND status = $status AND next_run IS $seenNext AND pending_run_at IS $seenPending
            """, ("$id", seen.Id), ("$status", Lower(seen.Status)), ("$next", nextRun is { } n ? Iso(n) : null),
            ("$clear", clearPendingRun), ("$attempts", failedAttempts),
            ("$seenNext", seen.NextRun is { } sn ? Iso(sn) : null), ("$seenPending", seen.PendingRunAt is { } sp ? Iso(sp) : null)))
        {
            update.Transaction = tx;
            if (update.ExecuteNonQuery() != 1) return null;
        }
        long id;
        using (var insert = Command(c, """
            INSERT INTO task_run_logs (task_id, run_at, duration_ms, status, kind, note) VALUES ($task, $at, 0, 'claimed', $kind, $note)
            RETURNING id
            """, ("$task", seen.Id), ("$at", Iso(now)), ("$kind", kind), ("$note", note)))
        {
            insert.Transaction = tx;
            id = (long)insert.ExecuteScalar()!;
        }
        tx.Commit();
        return id;
    }

    /// <summary>Marks a claimed run as started. Once this is stored, a crash means the run is not repeated.</summary>
    public void StartTaskRun(long runId, DateTimeOffset at) =>
        Execute("UPDATE task_run_logs SET status = 'running', run_at = $at WHERE id = $id", ("$id", runId), ("$at", Iso(at)));

    /// <summary>Records how a run ended, and the task's last run and result.</summary>
    public void FinishTaskRun(long runId, string taskId, DateTimeOffset startedAt, TimeSpan duration, string status, string? result, string? error)
    {
        using var c = Connect();
        using var tx = c.BeginTransaction();
        Run(c, tx, "UPDATE task_run_logs SET status = $status, duration_ms = $ms, result = $result, error = $error WHERE id = $id",
            ("$id", runId), ("$status", status), ("$ms", (long)duration.TotalMilliseconds), ("$result", result), ("$error", error));
        Run(c, tx, "UPDATE scheduled_tasks SET last_run = $at, last_result = $last WHERE id = $id",
            ("$id", taskId), ("$at", Iso(startedAt)), ("$last", error is null ? result : "error: " + error));
        tx.Commit();
    }

    /// <summary>Run log rows in a given status (e.g. <c>claimed</c> or <c>running</c> left behind by a crash), oldest first.</summary>
    public IReadOnlyList<TaskRunLog> TaskRunsInStatus(string status) =>
        Query("SELECT id, task_id, run_at, duration_ms, status, result, error, kind, note FROM task_run_logs WHERE status = $s ORDER BY id",
            ReadRunLog, ("$s", status));

    /// <summary>Changes a run log row's status and note (e.g. a claimed run that is re-dispatched after a restart).</summary>
    public void SetTaskRunStatus(long runId, string status, string? error = null) =>
        Execute("UPDATE task_run_logs SET status = $s, error = COALESCE($e, error) WHERE id = $id", ("$id", runId), ("$s", status), ("$e", error));

    /// <summary>The most recent runs of a task, newest first.</summary>
    public IReadOnlyList<TaskRunLog> TaskRunLogs(string taskId, int limit = 20) =>
        Query("SELECT id, task_id, run_at, duration_ms, status, result, error, kind, note FROM task_run_logs WHERE task_id = $t ORDER BY id DESC LIMIT $n",
            ReadRunLog, ("$t", taskId), ("$n", limit));

    static TaskRunLog ReadRunLog(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), ParseIso(r.GetString(2)), TimeSpan.FromMilliseconds(r.GetInt64(3)), r.GetString(4),
        r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8));

    static ScheduledTask ReadTask(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
        Enum.Parse<ScheduleType>(r.GetString(4), ignoreCase: true), r.GetString(5),
        Enum.Parse<ContextMode>(r.GetString(6), ignoreCase: true),
        r.IsDBNull(7) ? null : ParseIso(r.GetString(7)), r.IsDBNull(8) ? null : ParseIso(r.GetString(8)),
        r.IsDBNull(9) ? null : r.GetString(9), Enum.Parse<TaskStatus>(r.GetString(10), ignoreCase: true),
        ParseIso(r.GetString(11)));

    static string Lower(TaskStatus s) => s.ToString().ToLowerInvariant();

    static void Run(SqliteConnection c, SqliteTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = Command(c, sql, parameters);
        cmd.Transaction = tx;
        cmd.ExecuteNonQuery();
    }
}

/// <summary>When a task may next run: its scheduled slot and any extra run (a retry or "run now").</summary>
public sealed record TaskTiming(string Id, string ChatJid, TaskStatus Status, DateTimeOffset? NextRun, DateTimeOffset? PendingRunAt, int FailedAttempts)
{
    /// <summary>The earliest time this task wants to run; a paused task's schedule does not count, only an extra run.</summary>
    public DateTimeOffset? DueAt => Status == TaskStatus.Active && NextRun is { } n
        ? (PendingRunAt is { } p && p < n ? p : n)
        : PendingRunAt;
}
