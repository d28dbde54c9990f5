namespace NanoClaw.Gateway.Tools;

/// <summary>One row of <see cref="AgentToolTable"/>: a tool, its wire name, and whether only the main chat may use it.</summary>
public sealed record AgentToolSpec(AgentTool Tool, string Name, bool MainOnly);
