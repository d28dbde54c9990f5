namespace NanoClaw.Storage;

/// <summary>A chat seen on any channel, registered or not.</summary>
public sealed record Chat(string Jid, string Name, DateTimeOffset LastMessageTime);

/// <summary>One message as stored; the (Id, ChatJid) pair is unique. <see cref="Attachment"/> is the photo, voice note or
/// file it carries (stored in the group's folder before the row), and <see cref="Content"/> then its caption.</summary>
public sealed record StoredMessage(
    string Id, string ChatJid, string Sender, string SenderName, string Content,
    DateTimeOffset Timestamp, bool IsFromMe, bool IsBotMessage, NanoClaw.Media.Attachment? Attachment = null);

/// <summary>A chat the assistant acts in. <see cref="Folder"/> names <c>groups/&lt;folder&gt;/</c>.</summary>
public sealed record RegisteredGroup(
    string Jid, string Name, string Folder, string TriggerPattern, DateTimeOffset AddedAt,
    bool RequiresTrigger, bool IsMain, string? ContainerConfigJson = null);

public enum ScheduleType { Cron, Interval, Once }
public enum ContextMode { Group, Isolated }
public enum TaskStatus { Active, Paused, Completed, Cancelled }

/// <summary>A task the scheduler runs: the record, the <c>scheduled_tasks</c> row and what the scheduler handles.</summary>
public sealed record ScheduledTask(
    string Id, string GroupFolder, string ChatJid, string Prompt,
    ScheduleType ScheduleType, string ScheduleValue, ContextMode ContextMode,
    DateTimeOffset? NextRun, DateTimeOffset? LastRun, string? LastResult,
    TaskStatus Status, DateTimeOffset CreatedAt);

/// <summary>One run of a task (a <c>task_run_logs</c> row). <see cref="RunAt"/> is when it was claimed, then when it started.</summary>
public sealed record TaskRunLog(
    long Id, string TaskId, DateTimeOffset RunAt, TimeSpan Duration, string Status, string? Result, string? Error,
    string Kind = "scheduled", string? Note = null);
