using System.Text.Json;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace NanoClaw.Gateway.Tools;

/// <summary>
/// Tool arguments are checked against the tool's own schema before the tool runs: an unknown argument (a typo, or
/// an argument the agent hopes exists, like a group to act as) or a missing required one is an error with the
/// reason, never silently ignored.
/// </summary>
public static class StrictToolArguments
{
    /// <summary>Null when <paramref name="arguments"/> names only properties of <paramref name="inputSchema"/> and has
    /// every required one; otherwise what is wrong.</summary>
    public static string? Problem(JsonElement inputSchema, IEnumerable<string> arguments)
    {
        var known = inputSchema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
            ? properties.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal)
            : [];
        var given = arguments.ToHashSet(StringComparer.Ordinal);
        var unknown = given.Where(a => !known.Contains(a)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
            return $"unknown argument{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown)}; this tool takes: {(known.Count > 0 ? string.Join(", ", known.Order(StringComparer.Ordinal)) : "no arguments")}.";
        var missing = inputSchema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array
            ? required.EnumerateArray().Select(r => r.GetString()!).Where(r => !given.Contains(r)).ToList()
            : [];
        return missing.Count > 0 ? $"missing required argument{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}." : null;
    }

    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        (context, cancellationToken) =>
        {
            if (context.MatchedPrimitive is McpServerTool tool && context.Params is { } call
                && Problem(tool.ProtocolTool.InputSchema, call.Arguments?.Keys ?? Enumerable.Empty<string>()) is { } problem)
                return ValueTask.FromResult(NanoClawMcpTools.ToCallToolResult(new ToolResult.Error($"{call.Name} failed: {problem}")));
            return next(context, cancellationToken);
        };
}
