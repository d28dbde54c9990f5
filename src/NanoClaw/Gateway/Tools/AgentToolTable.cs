namespace NanoClaw.Gateway.Tools;

/// <summary>
/// The one table of the agent tools. <see cref="ToolNames.Of"/> and <see cref="ToolAuthorization"/> read it; the names
/// are <see cref="ToolNames"/> constants only because the MCP attributes of <see cref="NanoClawMcpTools"/> need constants,
/// and a test checks that the MCP server registers exactly these names, one per <see cref="AgentTool"/>.
/// What each tool may act on beyond this (its own chat, any chat for main) is <see cref="ToolAuthorization.Check"/>.
/// </summary>
public static class AgentToolTable
{
    public static IReadOnlyList<AgentToolSpec> All { get; } =
    [
        new(AgentTool.SendMessage, ToolNames.SendMessage, MainOnly: false),
        new(AgentTool.ScheduleTask, ToolNames.ScheduleTask, MainOnly: false),
        new(AgentTool.ListTasks, ToolNames.ListTasks, MainOnly: false),
        new(AgentTool.PauseTask, ToolNames.PauseTask, MainOnly: false),
        new(AgentTool.ResumeTask, ToolNames.ResumeTask, MainOnly: false),
        new(AgentTool.CancelTask, ToolNames.CancelTask, MainOnly: false),
        // Main only: the chats the assistant has seen, joining one, and what every group spent.
        new(AgentTool.ListChats, ToolNames.ListChats, MainOnly: true),
        new(AgentTool.RegisterGroup, ToolNames.RegisterGroup, MainOnly: true),
        new(AgentTool.Usage, ToolNames.Usage, MainOnly: true),
    ];

    static readonly Dictionary<AgentTool, AgentToolSpec> ByTool = All.ToDictionary(spec => spec.Tool);

    public static AgentToolSpec Of(AgentTool tool) =>
        ByTool.TryGetValue(tool, out var spec) ? spec : throw new ArgumentOutOfRangeException(nameof(tool));
}
