using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace NanoClaw.Gateway.Tools;

/// <summary>
/// The <c>nanoclaw</c> MCP server's tools, as the agent sees them (names, descriptions, argument schema). Each one only
/// takes the caller from the request (<see cref="McpAuthentication"/>) and hands over to <see cref="AgentTools"/>.
/// Argument names are the wire names, hence snake_case.
/// </summary>
[McpServerToolType]
[SuppressMessage("Style", "IDE1006:Naming Styles", Justification = "Parameter names are the MCP argument names the model uses.")]
/// <param name="tools">The gateway's, given at its start; null where a gateway has none (tests of other parts).</param>
public sealed class NanoClawMcpTools(IHttpContextAccessor http, AgentTools? tools = null)
{
    [McpServerTool(Name = ToolNames.SendMessage, Destructive = false, OpenWorld = false)]
    [Description("Send a message to the chat right away, while you keep working (progress updates, or several messages). " +
        "Your final answer is sent anyway; do not repeat it here. The main chat may send to any registered chat with target_group_jid. " +
        "To send a file (an image shows as a picture, anything else as a document), write it in your group folder first, then give its path " +
        "as attachment, with text as its caption; it is sent when this turn ends, when your files reach the host (at most 25 MB).")]
    public CallToolResult SendMessage(
        [Description("The message text (at most 16 KB); with an attachment, its caption (at most 1000 characters, may be left out).")] string? text = null,
        [Description("Main chat only: the jid of another registered chat to send to. Leave out for this chat.")] string? target_group_jid = null,
        [Description("A file in your group folder to send, e.g. \"/workspace/group/out/chart.png\" (or relative to it).")] string? attachment = null) =>
        Call((tools, caller) => tools.SendMessage(caller, text, target_group_jid, attachment));

    [McpServerTool(Name = ToolNames.ScheduleTask, Destructive = false, OpenWorld = false)]
    [Description("Schedule a task: the prompt runs later as a new agent run for the group, and its answer is sent to the group's chat. " +
        "Returns the task id and its next run.")]
    public CallToolResult ScheduleTask(
        [Description("What to do when the task runs, written as an instruction to yourself with all context needed.")] string prompt,
        [Description("cron (recurring, e.g. \"0 9 * * 1-5\"), interval (recurring, every N milliseconds) or once (a single local time).")] string schedule_type,
        [Description("For cron: five fields in local time. For interval: milliseconds, from 60000 to 31622400000 (366 days), e.g. \"3600000\" for hourly. " +
            "For once: local time \"yyyy-MM-ddTHH:mm:ss\" (no Z), in the future.")] string schedule_value,
        [Description("group: run in this group's conversation, with its history. isolated: a fresh conversation (the prompt must say everything). Default group.")] string? context_mode = null,
        [Description("Main chat only: the jid of another registered group to schedule the task for.")] string? target_group_jid = null) =>
        Call((tools, caller) => tools.ScheduleTask(caller, prompt, schedule_type, schedule_value, context_mode, target_group_jid));

    [McpServerTool(Name = ToolNames.ListTasks, ReadOnly = true, OpenWorld = false)]
    [Description("List scheduled tasks with their ids, status, schedule and next run. A group sees its own tasks; the main chat sees all.")]
    public CallToolResult ListTasks() => Call((tools, caller) => tools.ListTasks(caller));

    [McpServerTool(Name = ToolNames.PauseTask, Idempotent = false, OpenWorld = false)]
    [Description("Pause an active scheduled task (it stops running until resumed).")]
    public CallToolResult PauseTask([Description("The task id, from list_tasks.")] string task_id) =>
        Call((tools, caller) => tools.PauseTask(caller, task_id));

    [McpServerTool(Name = ToolNames.ResumeTask, Idempotent = false, OpenWorld = false)]
    [Description("Resume a paused scheduled task.")]
    public CallToolResult ResumeTask([Description("The task id, from list_tasks.")] string task_id) =>
        Call((tools, caller) => tools.ResumeTask(caller, task_id));

    [McpServerTool(Name = ToolNames.CancelTask, Destructive = true, OpenWorld = false)]
    [Description("Cancel a scheduled task for good.")]
    public CallToolResult CancelTask([Description("The task id, from list_tasks.")] string task_id) =>
        Call((tools, caller) => tools.CancelTask(caller, task_id));

    [McpServerTool(Name = ToolNames.ListChats, ReadOnly = true, OpenWorld = false)]
    [Description("Main chat only: list the chats the assistant has seen (jid, name, last activity) and which are registered groups.")]
    public CallToolResult ListChats() => Call((tools, caller) => tools.ListChats(caller));

    [McpServerTool(Name = ToolNames.RegisterGroup, Destructive = false, OpenWorld = false)]
    [Description("Main chat only: register (join) a chat so the assistant answers there. It gets its own folder and memory.")]
    public CallToolResult RegisterGroup(
        [Description("The chat's jid, from list_chats.")] string jid,
        [Description("A display name for the group.")] string name,
        [Description("Folder name for the group's files and memory: letters, digits, '-' or '_', e.g. \"family-chat\".")] string folder,
        [Description("The word that wakes the assistant there; default @<assistant name>.")] string? trigger = null,
        [Description("false: every message wakes the assistant (e.g. a chat with one person). Default true.")] bool? requires_trigger = null) =>
        Call((tools, caller) => tools.RegisterGroup(caller, jid, name, folder, trigger, requires_trigger));

    [McpServerTool(Name = ToolNames.Usage, ReadOnly = true, OpenWorld = false)]
    [Description("Main chat only: what the assistant's Messages API calls cost (USD, priced from a dated table; null cost = a model without a price) " +
        "and their tokens, since a time, per task (with each task's prompt), day, group or run, plus the top tasks by cost. " +
        "Subscription plans are not billed per token: the numbers are then what the same calls would cost at API prices.")]
    public CallToolResult Usage(
        [Description("month (default: since the 1st, local time), today, 7d, 24h, or a date like 2026-12-01.")] string? since = null,
        [Description("task (default), day, group or run.")] string? by = null,
        [Description("Only this group's calls (its folder). Leave out for all groups.")] string? group_folder = null) =>
        Call((tools, caller) => tools.Usage(caller, since, by, group_folder));

    /// <summary>What a tool call answers when the VM's token is not bound to a run yet (a warm VM's parked Claude Code).</summary>
    public const string NoRunYet = "This VM has no run yet: tools work once a run has claimed it.";

    CallToolResult Call(Func<AgentTools, RunIdentity, ToolResult> call)
    {
        // No caller: the middleware let an unbound token through for the handshake only. A tool error, not an
        // exception, so the agent sees a plain answer and nothing is done on anyone's behalf.
        var caller = http.HttpContext is { } context ? McpAuthentication.Caller(context) : null;
        var result = caller is null ? new ToolResult.Error(NoRunYet)
            : tools is { } agentTools ? call(agentTools, caller)
            : new ToolResult.Error("This gateway serves no agent tools.");
        return ToCallToolResult(result);
    }

    public static CallToolResult ToCallToolResult(ToolResult result) => new()
    {
        Content = [new TextContentBlock { Text = result.Text }],
        IsError = result.IsError,
    };
}
