namespace NanoClaw.Gateway.Tools;

/// <summary>
/// Where the MCP server finds the <see cref="AgentTools"/>. The gateway starts before the assistant (the agent runner
/// needs the gateway, the tools need the assistant's outbox), so the assistant attaches its tools once it exists.
/// </summary>
public sealed class AgentToolsSlot
{
    volatile AgentTools? tools;

    public AgentTools? Current => tools;

    public void Attach(AgentTools agentTools) => tools = agentTools ?? throw new ArgumentNullException(nameof(agentTools));
}
