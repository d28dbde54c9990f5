namespace NanoClaw.Gateway.Tools;

/// <summary>The tools the <c>nanoclaw</c> MCP server offers an agent (seen by the model as <c>mcp__nanoclaw__&lt;name&gt;</c>).</summary>
public enum AgentTool
{
    SendMessage,
    ScheduleTask,
    ListTasks,
    PauseTask,
    ResumeTask,
    CancelTask,
    ListChats,
    RegisterGroup,
    Usage,
}
