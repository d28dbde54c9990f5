using NanoClaw.Storage;
using TaskStatus = NanoClaw.Storage.TaskStatus;

namespace NanoClaw.Scheduling;

/// <summary>
/// The one way to create and change scheduled tasks: used by the agent tools, the CLI and the host. Expected
/// failures (a bad schedule, an unknown task, a task of another group) are <see cref="TaskResult.Rejected"/>
/// with a message meant for the agent or the user, never exceptions.
/// </summary>
/// <remarks>
/// Operations that take <c>onlyGroupFolder</c> act only on tasks of that group when it is given (a non-main
/// group acting on itself); pass null for the main chat and the CLI, which may act on any task.
/// <paramref name="changed"/> is told the task id after every change, so a running scheduler re-plans at once
/// (and stops a cancelled task's run).
/// </remarks>
public sealed class TaskService(Database db, TimeZoneInfo zone, TimeProvider time, Action<string>? changed = null)
{
    /// <summary>Most active or paused tasks one group may have. Each task is an agent run on the host's budget; without a
    /// cap a group's agent could schedule thousands and starve every other group.</summary>
    public const int MaxLiveTasksPerGroup = 50;

    public TimeZoneInfo TimeZone => zone;

    /// <summary>Checks a schedule as the agent spells it and computes its first run, without creating anything.</summary>
    public ScheduleCheck Validate(string scheduleType, string scheduleValue) =>
        Schedule.Parse(scheduleType, scheduleValue, zone, time.GetUtcNow());

    /// <summary>Creates an active task. The result carries its id and first run (<see cref="ScheduledTask.NextRun"/>, UTC).</summary>
    public TaskResult Create(NewTask request)
    {
        if (string.IsNullOrWhiteSpace(request.Prompt))
            return new TaskResult.Rejected("prompt is empty; say what the task should do when it runs.");
        if (!TryParseContextMode(request.ContextMode, out var mode))
            return new TaskResult.Rejected($"context_mode \"{request.ContextMode}\" is not known; use group (resume the group's conversation) or isolated (start fresh).");
        if (db.GroupByJid(request.Group.Jid) is not { } group)
            return new TaskResult.Rejected($"{request.Group.Jid} is not a registered group; register it before scheduling tasks for it.");
        var live = db.ListTasks(group.Folder).Count(t => t.Status is TaskStatus.Active or TaskStatus.Paused);
        if (live >= MaxLiveTasksPerGroup)
            return new TaskResult.Rejected($"group {group.Folder} already has {live} active or paused tasks, the most a group may have ({MaxLiveTasksPerGroup});"
                + " cancel tasks it no longer needs first (list_tasks shows them, cancel_task ends one; or `nanoclaw tasks cancel <id>`).");
        var now = time.GetUtcNow();
        var check = Schedule.Parse(request.ScheduleType, request.ScheduleValue, zone, now);
        if (check is ScheduleCheck.Invalid invalid) return new TaskResult.Rejected(invalid.Error);
        var valid = (ScheduleCheck.Valid)check;

        var task = new ScheduledTask(
            "task-" + Guid.NewGuid().ToString("N")[..12], group.Folder, group.Jid, request.Prompt.Trim(),
            Enum.Parse<ScheduleType>(request.ScheduleType.Trim(), ignoreCase: true), Normalize(valid.Schedule, request.ScheduleValue),
            mode, valid.FirstRun, null, null, TaskStatus.Active, now);
        db.CreateTask(task);
        changed?.Invoke(task.Id);
        return new TaskResult.Ok(task);
    }

    /// <summary>All tasks, or one group's.</summary>
    public IReadOnlyList<ScheduledTask> List(string? groupFolder = null) => db.ListTasks(groupFolder);

    /// <summary>The most recent runs of a task, newest first.</summary>
    public IReadOnlyList<TaskRunLog> RunLog(string id, int limit = 20) => db.TaskRunLogs(id, limit);

    /// <summary>Stops an active task from running until it is resumed. A run already going finishes.</summary>
    public TaskResult Pause(string id, string? onlyGroupFolder = null)
    {
        if (Find(id, onlyGroupFolder) is not TaskResult.Ok(var task)) return Find(id, onlyGroupFolder);
        if (task.Status != TaskStatus.Active) return new TaskResult.Rejected($"task {id} is {Word(task.Status)}, not active; only an active task can be paused.");
        return Changed(id, db.SetTaskStatus(id, TaskStatus.Paused, task.NextRun, TaskStatus.Active));
    }

    /// <summary>Makes a paused task active again. It runs at its next slot after now; slots missed while paused are not run.
    /// A <c>once</c> task whose time passed while paused runs now.</summary>
    public TaskResult Resume(string id, string? onlyGroupFolder = null)
    {
        if (Find(id, onlyGroupFolder) is not TaskResult.Ok(var task)) return Find(id, onlyGroupFolder);
        if (task.Status != TaskStatus.Paused) return new TaskResult.Rejected($"task {id} is {Word(task.Status)}, not paused; only a paused task can be resumed.");
        var now = time.GetUtcNow();
        DateTimeOffset? next = Schedule.Of(task, zone) switch
        {
            Schedule.Once once => once.At > now ? once.At : now,
            { } schedule => schedule.NextAfter(task.NextRun ?? now, now, zone),
            null => null,
        };
        if (next is null) return new TaskResult.Rejected($"task {id} has a schedule that no longer parses (\"{task.ScheduleValue}\"); cancel it and create a new one.");
        return Changed(id, db.SetTaskStatus(id, TaskStatus.Active, next, TaskStatus.Paused));
    }

    /// <summary>Ends a task for good. A run of it that is going is stopped.</summary>
    public TaskResult Cancel(string id, string? onlyGroupFolder = null)
    {
        if (Find(id, onlyGroupFolder) is not TaskResult.Ok(var task)) return Find(id, onlyGroupFolder);
        if (task.Status is TaskStatus.Cancelled or TaskStatus.Completed) return new TaskResult.Rejected($"task {id} is already {Word(task.Status)}.");
        return Changed(id, db.SetTaskStatus(id, TaskStatus.Cancelled, null, TaskStatus.Active, TaskStatus.Paused));
    }

    /// <summary>Runs an active or paused task as soon as its group is free, without moving its schedule.</summary>
    public TaskResult RunNow(string id, string? onlyGroupFolder = null)
    {
        if (Find(id, onlyGroupFolder) is not TaskResult.Ok(var task)) return Find(id, onlyGroupFolder);
        if (task.Status is TaskStatus.Cancelled or TaskStatus.Completed) return new TaskResult.Rejected($"task {id} is {Word(task.Status)}; create a new task instead.");
        return Changed(id, db.SetTaskPendingRun(id, time.GetUtcNow(), 0));
    }

    /// <summary>The task if it exists and (when <paramref name="onlyGroupFolder"/> is given) belongs to that group.</summary>
    public TaskResult Find(string id, string? onlyGroupFolder = null) =>
        db.GetTask(id?.Trim() ?? "") is { } t && (onlyGroupFolder is null || t.GroupFolder == onlyGroupFolder)
            ? new TaskResult.Ok(t)
            // The same answer whether the task is missing or another group's: a group learns nothing about others.
            : new TaskResult.Rejected($"no task {id}{(onlyGroupFolder is null ? "" : " in this group")}; list_tasks shows the ids.");

    TaskResult Changed(string id, bool updated)
    {
        if (!updated) return new TaskResult.Rejected($"task {id} changed at the same moment; look at it again and retry.");
        changed?.Invoke(id);
        return new TaskResult.Ok(db.GetTask(id)!);
    }

    static bool TryParseContextMode(string? value, out ContextMode mode)
    {
        mode = ContextMode.Isolated;
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or "isolated": return true;
            case "group": mode = ContextMode.Group; return true;
            default: return false;
        }
    }

    /// <summary>Stores the value in one spelling: a <c>once</c> time with seconds, others trimmed.</summary>
    static string Normalize(Schedule schedule, string value) =>
        schedule is Schedule.Once once ? once.LocalTime.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) : value.Trim();

    static string Word(TaskStatus s) => s.ToString().ToLowerInvariant();
}
