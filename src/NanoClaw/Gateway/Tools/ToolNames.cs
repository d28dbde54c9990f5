namespace NanoClaw.Gateway.Tools;

/// <summary>The wire names of the agent tools (MCP <c>tools/call</c> names), as constants for the MCP attributes;
/// which tool has which is <see cref="AgentToolTable"/>.</summary>
public static class ToolNames
{
    public const string SendMessage = "send_message";
    public const string ScheduleTask = "schedule_task";
    public const string ListTasks = "list_tasks";
    public const string PauseTask = "pause_task";
    public const string ResumeTask = "resume_task";
    public const string CancelTask = "cancel_task";
    public const string ListChats = "list_chats";
    public const string RegisterGroup = "register_group";
    public const string Usage = "usage";

    public static string Of(AgentTool tool) => AgentToolTable.Of(tool).Name;
}
