using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NanoClaw.Conversations;
using NanoClaw.Files;
using NanoClaw.Outbound;
using NanoClaw.Scheduling;
using NanoClaw.Storage;
using TaskStatus = NanoClaw.Storage.TaskStatus;

namespace NanoClaw.Gateway.Tools;

/// <summary>
/// What the agent tools do, for a caller whose identity the gateway took from its run token. Each tool:
/// 1. authorizes with <see cref="ToolAuthorization.Check"/> before looking at anything else;
/// 2. validates every argument, strictly;
/// 3. makes its one change, or none at all, and says what happened. Task changes go through
/// <see cref="TaskService"/> (its rules, and it wakes the scheduler); the tools add only who may make them.
/// Every refusal and bad input comes back as a <see cref="ToolResult.Error"/> with the reason.
/// </summary>
public sealed partial class AgentTools(Database db, TaskService tasks, Outbox outbox, Config config, string? templatesDir, TimeProvider time, ILogger<AgentTools> log,
    OutboundFiles? files = null)
{
    /// <summary>Chat messages are short; anything bigger is a mistake (or a dump) and is refused, not split into dozens.</summary>
    public const int MaxMessageBytes = 16 * 1024;
    public const int MaxPromptBytes = 32 * 1024;
    /// <summary>A file's caption: Telegram takes 1024 characters, and the "Andy: " prefix may be added.</summary>
    public const int MaxCaptionChars = 1000;
    const int MaxNameLength = 200;
    const int MaxJidLength = 256;

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = false };

    // ---- send_message ------------------------------------------------------------------------

    /// <summary>Files the agent sends, which the runner carries out after each sync; null where runs have no VM.</summary>
    public OutboundFiles? Files => files;

    public ToolResult SendMessage(RunIdentity caller, string? text, string? targetGroupJid = null, string? attachment = null)
    {
        var target = targetGroupJid is null ? ToolTarget.Own : new ToolTarget.Chat(targetGroupJid);
        if (ToolAuthorization.Check(caller, AgentTool.SendMessage, target) is { } refused) return Refuse(caller, AgentTool.SendMessage, refused);
        var jid = targetGroupJid ?? caller.ChatJid;
        if (targetGroupJid is not null && db.GroupByJid(targetGroupJid) is null)
            return Invalid(caller, AgentTool.SendMessage, $"{targetGroupJid} is not a registered chat; list_chats shows the chats and which are registered.");
        if (attachment is not null) return SendFile(caller, jid, text ?? "", attachment);
        if (string.IsNullOrWhiteSpace(text)) return Invalid(caller, AgentTool.SendMessage, "text is empty.");
        if (Encoding.UTF8.GetByteCount(text) is var bytes and > MaxMessageBytes)
            return Invalid(caller, AgentTool.SendMessage, $"text is {bytes} bytes; a message may be at most {MaxMessageBytes} bytes. Send a summary, or write the details to a file.");

        var parts = outbox.Enqueue(jid, text);
        if (parts == 0) return Invalid(caller, AgentTool.SendMessage, "nothing to send: the text is empty once <internal> spans are removed.");
        return Done(caller, AgentTool.SendMessage, $"Message queued for {jid}" + (parts > 1 ? $" (in {parts} parts)." : "."));
    }

    /// <summary>1. judge the path (the group's own folder only, the sync-back rules); 2. check the caption; 3. record it for
    /// after the turn's sync, when the file is on the host (<see cref="OutboundFiles"/> checks the file itself then).</summary>
    ToolResult SendFile(RunIdentity caller, string jid, string caption, string attachment)
    {
        const AgentTool tool = AgentTool.SendMessage;
        if (files is null) return Invalid(caller, tool, "sending files is not available in this setup; send the text without attachment.");
        // 1.
        if (AttachmentPath.Parse(attachment, out var problem) is not { } segments) return Invalid(caller, tool, problem!);
        // 2.
        if (caption.Length > MaxCaptionChars)
            return Invalid(caller, tool, $"text (the file's caption) is {caption.Length} characters; with an attachment it may be at most {MaxCaptionChars}. Send the long text as its own message.");
        if (caption.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            return Invalid(caller, tool, "text (the file's caption) contains control characters.");
        // 3. The group is the caller's, from its token: the path can only ever name a file in the caller's own folder.
        var request = new FileRequest(caller.RunId, caller.GroupFolder, jid, segments, caption);
        if (files.Request(request) is { } full) return Invalid(caller, tool, full);
        return Done(caller, tool, $"File {AttachmentPath.GroupPrefix}{request.Relative} will be sent to {jid} when this turn ends (that is when your files reach the host; " +
            "write the file before this call, and do not change it until then). If it cannot be sent (not a regular file, larger than " +
            $"{OutboundFiles.MaxFileBytes / (1 << 20)} MB, empty, gone), the chat gets the caption and the reason instead.");
    }

    // ---- schedule_task -----------------------------------------------------------------------

    /// <summary>1. authorize on the target; 2. check the prompt's size; 3. resolve the group the task runs for;
    /// 4. create it through <see cref="TaskService"/>, which checks the schedule and wakes the scheduler.</summary>
    public ToolResult ScheduleTask(RunIdentity caller, string? prompt, string? scheduleType, string? scheduleValue, string? contextMode, string? targetGroupJid = null)
    {
        const AgentTool tool = AgentTool.ScheduleTask;
        // 1.
        var target = targetGroupJid is null ? ToolTarget.Own : new ToolTarget.Chat(targetGroupJid);
        if (ToolAuthorization.Check(caller, tool, target) is { } refused) return Refuse(caller, tool, refused);
        // 2.
        if (Encoding.UTF8.GetByteCount(prompt ?? "") > MaxPromptBytes) return Invalid(caller, tool, $"prompt is longer than {MaxPromptBytes} bytes.");
        // 3.
        if (db.GroupByJid(targetGroupJid ?? caller.ChatJid) is not { } group)
            return Invalid(caller, tool, $"{targetGroupJid ?? caller.ChatJid} is not a registered group; register it first (register_group) or check list_chats.");
        // 4.
        var created = tasks.Create(new NewTask(group, prompt ?? "", scheduleType ?? "", scheduleValue ?? "", contextMode ?? "group"));
        if (created is TaskResult.Rejected rejected) return Invalid(caller, tool, rejected.Error);
        var task = ((TaskResult.Ok)created).Task;
        return Done(caller, tool, JsonSerializer.Serialize(new
        {
            task_id = task.Id,
            group_folder = task.GroupFolder,
            next_run = task.NextRun is { } next ? LocalTime(next) : null,
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

    public ToolResult PauseTask(RunIdentity caller, string? taskId) => ChangeTask(caller, AgentTool.PauseTask, taskId, id => tasks.Pause(id));

    /// <summary>A resumed repeating task runs at its next slot after now; the runs it missed while paused are not made up.</summary>
    public ToolResult ResumeTask(RunIdentity caller, string? taskId) => ChangeTask(caller, AgentTool.ResumeTask, taskId, id => tasks.Resume(id));

    public ToolResult CancelTask(RunIdentity caller, string? taskId) => ChangeTask(caller, AgentTool.CancelTask, taskId, id => tasks.Cancel(id));

    /// <summary>1. find the task; 2. authorize on the group it belongs to; 3. let <see cref="TaskService"/> make the
    /// change, which refuses one the task's status does not allow.</summary>
    ToolResult ChangeTask(RunIdentity caller, AgentTool tool, string? taskId, Func<string, TaskResult> change)
    {
        if (string.IsNullOrWhiteSpace(taskId)) return Invalid(caller, tool, "task_id is empty; list_tasks shows the task ids.");
        // 1.
        var found = tasks.Find(taskId);
        if (found is TaskResult.Rejected unknown) return Invalid(caller, tool, unknown.Error);
        var task = ((TaskResult.Ok)found).Task;
        // 2.
        if (ToolAuthorization.Check(caller, tool, new ToolTarget.GroupFolder(task.GroupFolder)) is { } refused) return Refuse(caller, tool, refused);
        // 3.
        return change(task.Id) switch
        {
            TaskResult.Ok(var changed) => Done(caller, tool, $"task {changed.Id} is now {Name(changed.Status)}."),
            TaskResult.Rejected(var error) => Invalid(caller, tool, error),
            _ => throw new InvalidOperationException("unknown task result"),
        };
    }

    // ---- list_chats, register_group (main only) ----------------------------------------------

    // ---- usage -------------------------------------------------------------------------------

    /// <summary>Main only: what the Messages API calls cost since a time (all groups, or one), by day, group, task or run,
    /// with the top tasks by cost and each task's prompt, so "what did the Monday briefing cost this month?" can be answered.</summary>
    public ToolResult Usage(RunIdentity caller, string? since, string? by, string? groupFolder)
    {
        if (ToolAuthorization.Check(caller, AgentTool.Usage, ToolTarget.Own) is { } refused) return Refuse(caller, AgentTool.Usage, refused);
        var grouping = by ?? "task";
        if (!NanoClaw.Usage.UsageReport.Groupings.Contains(grouping)) return Invalid(caller, AgentTool.Usage, $"by is day, group, task or run, not \"{by}\".");
        if (NanoClaw.Usage.UsageReport.ParseSince(since ?? "month", time.GetUtcNow(), config.TimeZone, out var problem) is not { } from)
            return Invalid(caller, AgentTool.Usage, problem!);
        var report = NanoClaw.Usage.UsageReport.Build(db, from, groupFolder, grouping, config.TimeZone);
        return Done(caller, AgentTool.Usage, report.ToJson(indented: false));
    }

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
        LogRefused(log, caller.RunId, caller.GroupFolder, ToolNames.Of(tool), NanoClaw.Guest.GuestText.Escape(reason)); // the reason quotes the agent's arguments
        return new ToolResult.Error("Refused: " + reason);
    }

    ToolResult Invalid(RunIdentity caller, AgentTool tool, string reason)
    {
        LogInvalid(log, caller.RunId, caller.GroupFolder, ToolNames.Of(tool), NanoClaw.Guest.GuestText.Escape(reason));
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
