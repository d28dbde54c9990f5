namespace NanoClaw.Gateway.Tools;

/// <summary>What a tool call returns to the agent: a text, or an error with the reason (an MCP <c>isError</c> result).
/// Expected failures (refused, bad input, unknown task) are values, not exceptions.</summary>
public abstract record ToolResult(string Text)
{
    public sealed record Ok(string Text) : ToolResult(Text);
    public sealed record Error(string Text) : ToolResult(Text);

    public bool IsError => this is Error;
}
