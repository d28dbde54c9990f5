namespace NanoClaw.Gateway.Tools;

/// <summary>The wire names of the agent tools (MCP <c>tools/call</c> names).</summary>
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

    public static string Of(AgentTool tool) => tool switch
    {
        AgentTool.SendMessage => SendMessage,
        AgentTool.ScheduleTask => ScheduleTask,
        AgentTool.ListTasks => ListTasks,
        AgentTool.PauseTask => PauseTask,
        AgentTool.ResumeTask => ResumeTask,
        AgentTool.CancelTask => CancelTask,
        AgentTool.ListChats => ListChats,
        AgentTool.RegisterGroup => RegisterGroup,
        AgentTool.Usage => Usage,
        _ => throw new ArgumentOutOfRangeException(nameof(tool)),
    };
}
