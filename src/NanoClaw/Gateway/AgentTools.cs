using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NanoClaw.Messaging;
using NanoClaw.Storage;
using TaskStatus = NanoClaw.Storage.TaskStatus;

namespace NanoClaw.Gateway;

/// <summary>
/// What the agent tools do, for a caller whose identity the gateway took from its run token. Each tool:
/// 1. authorizes with <see cref="ToolAuthorization.Check"/> before looking at anything else;
/// 2. validates every argument, strictly;
/// 3. makes its one change (a stored row), or none at all, and says what happened.
/// Every refusal and bad input comes back as a <see cref="ToolResult.Error"/> with the reason.
/// </summary>
public sealed partial class AgentTools(Database db, Outbox outbox, Config config, string? templatesDir, TimeProvider time, ILogger<AgentTools> log)
{
    /// <summary>Chat messages are short; anything bigger is a mistake (or a dump) and is refused, not split into dozens.</summary>
    public const int MaxMessageBytes = 16 * 1024;
    public const int MaxPromptBytes = 32 * 1024;
    const int MaxNameLength = 200;
    const int MaxJidLength = 256;

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = false };
    readonly TaskCommands tasks = new(db);

    // ---- send_message ------------------------------------------------------------------------

    public ToolResult SendMessage(RunIdentity caller, string? text, string? targetGroupJid = null)
    {
        var target = targetGroupJid is null ? ToolTarget.Own : new ToolTarget.Chat(targetGroupJid);
        if (ToolAuthorization.Check(caller, AgentTool.SendMessage, target) is { } refused) return Refuse(caller, AgentTool.SendMessage, refused);
        var jid = targetGroupJid ?? caller.ChatJid;
        if (targetGroupJid is not null && db.GroupByJid(targetGroupJid) is null)
            return Invalid(caller, AgentTool.SendMessage, $"{targetGroupJid} is not a registered chat; list_chats shows the chats and which are registered.");
        if (string.IsNullOrWhiteSpace(text)) return Invalid(caller, AgentTool.SendMessage, "text is empty.");
        if (Encoding.UTF8.GetByteCount(text) is var bytes and > MaxMessageBytes)
            return Invalid(caller, AgentTool.SendMessage, $"text is {bytes} bytes; a message may be at most {MaxMessageBytes} bytes. Send a summary, or write the details to a file.");

        var parts = outbox.Enqueue(jid, text);
        if (parts == 0) return Invalid(caller, AgentTool.SendMessage, "nothing to send: the text is empty once <internal> spans are removed.");
        return Done(caller, AgentTool.SendMessage, $"Message queued for {jid}" + (parts > 1 ? $" (in {parts} parts)." : "."));
    }

    // ---- schedule_task -----------------------------------------------------------------------

    public ToolResult ScheduleTask(RunIdentity caller, string? prompt, string? scheduleType, string? scheduleValue, string? contextMode, string? targetGroupJid = null)
    {
        const AgentTool tool = AgentTool.ScheduleTask;
        var target = targetGroupJid is null ? ToolTarget.Own : new ToolTarget.Chat(targetGroupJid);
        if (ToolAuthorization.Check(caller, tool, target) is { } refused) return Refuse(caller, tool, refused);
        var (folder, jid) = (caller.GroupFolder, caller.ChatJid);
        if (targetGroupJid is not null)
        {
            if (db.GroupByJid(targetGroupJid) is not { } group)
                return Invalid(caller, tool, $"{targetGroupJid} is not a registered group; register it first (register_group) or check list_chats.");
            (folder, jid) = (group.Folder, group.Jid);
        }
        if (string.IsNullOrWhiteSpace(prompt)) return Invalid(caller, tool, "prompt is empty: say what the task should do when it runs.");
        if (Encoding.UTF8.GetByteCount(prompt) > MaxPromptBytes) return Invalid(caller, tool, $"prompt is longer than {MaxPromptBytes} bytes.");
        if (TaskScheduleInput.ParseType(scheduleType) is not { } type)
            return Invalid(caller, tool, $"schedule_type \"{scheduleType}\" is not one of cron, interval, once.");
        var mode = ContextMode.Group;
        if (contextMode is not null)
        {
            if (TaskScheduleInput.ParseContextMode(contextMode) is not { } parsedMode)
                return Invalid(caller, tool, $"context_mode \"{contextMode}\" is not one of group (resume the group's conversation), isolated (a fresh one).");
            mode = parsedMode;
        }
        var now = time.GetUtcNow();
        var (schedule, error) = TaskScheduleInput.Parse(type, scheduleValue, now, config.TimeZone);
        if (schedule is null) return Invalid(caller, tool, "schedule_value: " + error);

        var task = new ScheduledTask("task-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)), folder, jid, prompt,
            schedule.Type, schedule.Value, mode, schedule.NextRun, LastRun: null, LastResult: null, TaskStatus.Active, now);
        db.CreateTask(task);
        return Done(caller, tool, JsonSerializer.Serialize(new
        {
            task_id = task.Id,
            group_folder = folder,
            next_run = LocalTime(schedule.NextRun),
        }, Json));
    }

    // ---- list_tasks, pause_task, resume_task, cancel_task -----------------------------------

    public ToolResult ListTasks(RunIdentity caller)
    {
        if (ToolAuthorization.Check(caller, AgentTool.ListTasks, ToolTarget.Own) is { } refused) return Refuse(caller, AgentTool.ListTasks, refused);
        var list = db.ListTasks(ToolAuthorization.TaskListScope(caller)).Select(t => new
        {
            task_id = t.Id,
            group_folder = t.GroupFolder,
            status = t.Status.ToString().ToLowerInvariant(),
            schedule_type = t.ScheduleType.ToString().ToLowerInvariant(),
            schedule_value = t.ScheduleValue,
            context_mode = t.ContextMode.ToString().ToLowerInvariant(),
            next_run = t.NextRun is { } n ? LocalTime(n) : null,
            last_run = t.LastRun is { } l ? LocalTime(l) : null,
            prompt = t.Prompt,
        });
        return Done(caller, AgentTool.ListTasks, JsonSerializer.Serialize(list, Json));
    }

    public ToolResult PauseTask(RunIdentity caller, string? taskId) =>
        ChangeTask(caller, AgentTool.PauseTask, taskId, TaskStatus.Paused, task => task.Status switch
        {
            TaskStatus.Active => null,
            TaskStatus.Paused => $"task {task.Id} is already paused.",
            _ => $"task {task.Id} is {Name(task.Status)}; only an active task can be paused.",
        });

    public ToolResult ResumeTask(RunIdentity caller, string? taskId) =>
        ChangeTask(caller, AgentTool.ResumeTask, taskId, TaskStatus.Active, task => task.Status switch
        {
            TaskStatus.Paused => null,
            TaskStatus.Active => $"task {task.Id} is not paused; it is already active.",
            _ => $"task {task.Id} is {Name(task.Status)}; only a paused task can be resumed.",
        });

    public ToolResult CancelTask(RunIdentity caller, string? taskId) =>
        ChangeTask(caller, AgentTool.CancelTask, taskId, TaskStatus.Cancelled, task => task.Status switch
        {
            TaskStatus.Active or TaskStatus.Paused => null,
            _ => $"task {task.Id} is already {Name(task.Status)}.",
        });

    /// <summary>1. find the task; 2. authorize on the group it belongs to; 3. check its status allows the change;
    /// 4. change it only if its status is still the one checked.</summary>
    ToolResult ChangeTask(RunIdentity caller, AgentTool tool, string? taskId, TaskStatus to, Func<ScheduledTask, string?> statusProblem)
    {
        if (string.IsNullOrWhiteSpace(taskId)) return Invalid(caller, tool, "task_id is empty; list_tasks shows the task ids.");
        // 1.
        if (tasks.Find(taskId) is not { } task)
            return Invalid(caller, tool, $"there is no task {taskId}; list_tasks shows the task ids.");
        // 2.
        if (ToolAuthorization.Check(caller, tool, new ToolTarget.GroupFolder(task.GroupFolder)) is { } refused) return Refuse(caller, tool, refused);
        // 3.
        if (statusProblem(task) is { } problem) return Invalid(caller, tool, problem);
        // 4. A resumed repeating task starts again from now rather than catching up on every run it missed.
        var now = time.GetUtcNow();
        DateTimeOffset? nextRun = to == TaskStatus.Active && task.NextRun is { } due && due < now
            ? TaskScheduleInput.NextAfter(task.ScheduleType, task.ScheduleValue, now, config.TimeZone)
            : null;
        if (!tasks.TryChangeStatus(task.Id, task.Status, to, nextRun))
            return Invalid(caller, tool, $"task {task.Id} changed while this call ran; check list_tasks and try again.");
        return Done(caller, tool, $"task {task.Id} is now {Name(to)}.");
    }

    // ---- list_chats, register_group (main only) ----------------------------------------------

    public ToolResult ListChats(RunIdentity caller)
    {
        if (ToolAuthorization.Check(caller, AgentTool.ListChats, ToolTarget.Own) is { } refused) return Refuse(caller, AgentTool.ListChats, refused);
        var registered = db.RegisteredGroups().ToDictionary(g => g.Jid);
        var chats = db.ListChats().Select(c => new
        {
            jid = c.Jid,
            name = c.Name,
            last_message_time = LocalTime(c.LastMessageTime),
            registered = registered.ContainsKey(c.Jid),
            folder = registered.TryGetValue(c.Jid, out var g) ? g.Folder : null,
        });
        return Done(caller, AgentTool.ListChats, JsonSerializer.Serialize(chats, Json));
    }

    public ToolResult RegisterGroup(RunIdentity caller, string? jid, string? name, string? folder, string? trigger = null, bool? requiresTrigger = null)
    {
        const AgentTool tool = AgentTool.RegisterGroup;
        if (ToolAuthorization.Check(caller, tool, ToolTarget.Own) is { } refused) return Refuse(caller, tool, refused);
        if (PlainText(jid, MaxJidLength, allowSpaces: false) is { } badJid) return Invalid(caller, tool, "jid " + badJid);
        if (PlainText(name, MaxNameLength, allowSpaces: true) is { } badName) return Invalid(caller, tool, "name " + badName);
        if (folder is null) return Invalid(caller, tool, "folder is missing.");
        if (GroupFolder.Validate(folder) is { } badFolder) return Invalid(caller, tool, badFolder);
        trigger ??= Trigger.DefaultPattern(config.AssistantName);
        if (PlainText(trigger, 64, allowSpaces: false) is { } badTrigger) return Invalid(caller, tool, "trigger " + badTrigger);

        var group = new RegisteredGroup(jid!, name!.Trim(), folder, trigger, time.GetUtcNow(), requiresTrigger ?? true, IsMain: false);
        if (db.RegisterGroup(group) is RegisterResult.Refused r) return Invalid(caller, tool, r.Reason);
        // The folder is made now so its memory starts from the template; a run would create it anyway.
        try { GroupFolder.Ensure(config, folder, templatesDir); }
        catch (IOException ex) { LogFolderNotCreated(log, folder, ex.Message); }
        return Done(caller, tool, $"registered {group.Jid} as \"{group.Name}\" with folder {folder}; " +
            (group.RequiresTrigger ? $"messages starting with {trigger} wake the assistant there." : "every message there wakes the assistant."));
    }

    // ---- helpers -----------------------------------------------------------------------------

    /// <summary>Null when <paramref name="value"/> is present, short enough and free of control characters.</summary>
    static string? PlainText(string? value, int maxLength, bool allowSpaces) =>
        string.IsNullOrWhiteSpace(value) ? "is missing."
        : value.Length > maxLength ? $"is longer than {maxLength} characters."
        : value.Any(char.IsControl) ? "contains control characters."
        : !allowSpaces && value.Any(char.IsWhiteSpace) ? "contains spaces."
        : null;

    string LocalTime(DateTimeOffset t) => TimeZoneInfo.ConvertTime(t, config.TimeZone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);

    static string Name(TaskStatus status) => status.ToString().ToLowerInvariant();

    ToolResult Done(RunIdentity caller, AgentTool tool, string text)
    {
        LogDone(log, caller.RunId, caller.GroupFolder, ToolNames.Of(tool));
        return new ToolResult.Ok(text);
    }

    ToolResult Refuse(RunIdentity caller, AgentTool tool, string reason)
    {
        LogRefused(log, caller.RunId, caller.GroupFolder, ToolNames.Of(tool), reason);
        return new ToolResult.Error("Refused: " + reason);
    }

    ToolResult Invalid(RunIdentity caller, AgentTool tool, string reason)
    {
        LogInvalid(log, caller.RunId, caller.GroupFolder, ToolNames.Of(tool), reason);
        return new ToolResult.Error($"{ToolNames.Of(tool)} failed: {reason}");
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Run {RunId} ({Group}) {Tool}: done")]
    static partial void LogDone(ILogger logger, string runId, string group, string tool);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Run {RunId} ({Group}) {Tool}: refused: {Reason}")]
    static partial void LogRefused(ILogger logger, string runId, string group, string tool, string reason);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "Run {RunId} ({Group}) {Tool}: bad call: {Reason}")]
    static partial void LogInvalid(ILogger logger, string runId, string group, string tool, string reason);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "Registered group folder {Folder} could not be created now ({Reason}); its first run creates it")]
    static partial void LogFolderNotCreated(ILogger logger, string folder, string reason);
}
