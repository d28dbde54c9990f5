namespace NanoClaw.Storage;

public sealed partial class Database
{
    public void CreateTask(ScheduledTask t) =>
        Execute("""
            INSERT INTO scheduled_tasks (id, group_folder, chat_jid, prompt, schedule_type, schedule_value, context_mode, next_run, last_run, last_result, status, created_at)
            VALUES ($id, $folder, $jid, $prompt, $type, $value, $mode, $next, $last, $result, $status, $created)
            """, ("$id", t.Id), ("$folder", t.GroupFolder), ("$jid", t.ChatJid), ("$prompt", t.Prompt),
            ("$type", t.ScheduleType.ToString().ToLowerInvariant()), ("$value", t.ScheduleValue),
            ("$mode", t.ContextMode.ToString().ToLowerInvariant()), ("$next", t.NextRun is { } n ? Iso(n) : null),
            ("$last", t.LastRun is { } l ? Iso(l) : null), ("$result", t.LastResult),
            ("$status", t.Status.ToString().ToLowerInvariant()), ("$created", Iso(t.CreatedAt)));

    /// <summary>All tasks, or one group's when <paramref name="groupFolder"/> is given.</summary>
    public IReadOnlyList<ScheduledTask> ListTasks(string? groupFolder = null) =>
        Query("""
            SELECT id, group_folder, chat_jid, prompt, schedule_type, schedule_value, context_mode, next_run, last_run, last_result, status, created_at
            FROM scheduled_tasks WHERE $folder IS NULL OR group_folder = $folder ORDER BY created_at
            """, r => new ScheduledTask(
                r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
                Enum.Parse<ScheduleType>(r.GetString(4), ignoreCase: true), r.GetString(5),
                Enum.Parse<ContextMode>(r.GetString(6), ignoreCase: true),
                r.IsDBNull(7) ? null : ParseIso(r.GetString(7)), r.IsDBNull(8) ? null : ParseIso(r.GetString(8)),
                r.IsDBNull(9) ? null : r.GetString(9), Enum.Parse<TaskStatus>(r.GetString(10), ignoreCase: true),
                ParseIso(r.GetString(11))),
            ("$folder", groupFolder));
}
