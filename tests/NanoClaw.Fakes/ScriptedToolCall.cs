using System.Text.Json.Nodes;

namespace NanoClaw.Tests.Fakes;

/// <summary>
/// A tool call the fake model will make, from <see cref="FakeMessagesApi.ScriptToolCall"/>.
/// Await <see cref="WaitForResultAsync"/> to get the <c>tool_result</c> the CLI sent back.
/// </summary>
public sealed class ScriptedToolCall
{
    readonly TaskCompletionSource<FakeToolResult> result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    bool searched;

    internal ScriptedToolCall(string toolName, JsonObject input) => (ToolName, Input) = (toolName, input);

    public string ToolName { get; }
    public JsonObject Input { get; }

    /// <summary>The <c>tool_use</c> id, once the fake has sent the call.</summary>
    public string? Id { get; private set; }

    /// <summary>True when the tool was deferred and the fake first had to call <c>ToolSearch</c> to load it.</summary>
    public bool UsedToolSearch => searched;

    /// <summary>Completes when a request carries the <c>tool_result</c> for this call.</summary>
    public Task<FakeToolResult> ToolResult => result.Task;

    public async Task<FakeToolResult> WaitForResultAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? FakeMessagesApi.DefaultTimeout;
        try { return await result.Task.WaitAsync(limit); }
        catch (TimeoutException)
        {
            throw new TimeoutException(Id is null
                ? $"The fake never got a request to answer with the {ToolName} call within {limit}: is the script ahead of it used up, or did the CLI fail? Check fake.Requests."
                : $"No tool_result for {ToolName} ({Id}) arrived within {limit}. Check the CLI's output and fake.Requests.");
        }
    }

    /// <summary>
    /// Answers one main request. Deferred MCP tools (absent from <c>tools</c> while <c>ToolSearch</c> is offered)
    /// are first loaded the way a real model does: <c>ToolSearch {"query":"select:NAME","max_results":5}</c>.
    /// </summary>
    internal (FakeReply Reply, bool Done) Answer(FakeRequest request, Func<string> newToolUseId)
    {
        var tools = request.ToolNames;
        if (!searched && ToolName.StartsWith("mcp__", StringComparison.Ordinal) && !tools.Contains(ToolName) && tools.Contains("ToolSearch"))
        {
            searched = true;
            var search = new JsonObject { ["query"] = $"select:{ToolName}", ["max_results"] = 5 };
            return (FakeReply.Of(new FakeToolUse("ToolSearch", search, newToolUseId())), false);
        }
        Id = newToolUseId();
        return (FakeReply.Of(new FakeToolUse(ToolName, (JsonObject)Input.DeepClone(), Id)), true);
    }

    /// <summary>Looks for this call's result in a request (the whole history travels with every request).</summary>
    internal void Observe(FakeRequest request)
    {
        if (Id is null || result.Task.IsCompleted) return;
        var found = request.ToolResults.FirstOrDefault(r => r.ToolUseId == Id);
        if (found is not null) result.TrySetResult(found);
    }
}
