using NanoClaw.Storage;

namespace NanoClaw.Scheduling;

/// <summary>
/// A task to create, spelled as the agent tools give it. <paramref name="Group"/> is the group the task runs
/// for and whose chat gets its output; the caller has already decided the requester may target it
/// (for the agent tools, <see cref="NanoClaw.Gateway.Tools.ToolAuthorization"/>).
/// </summary>
/// <param name="ScheduleType"><c>cron</c>, <c>interval</c> or <c>once</c>.</param>
/// <param name="ScheduleValue">See <see cref="Schedule"/>: a cron expression, milliseconds, or a local time without offset.</param>
/// <param name="ContextMode"><c>group</c> (resume the group's session) or <c>isolated</c> (a fresh session each run).</param>
public sealed record NewTask(RegisteredGroup Group, string Prompt, string ScheduleType, string ScheduleValue, string ContextMode = "isolated");
