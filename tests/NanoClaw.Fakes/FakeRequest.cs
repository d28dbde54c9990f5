using System.Text.Json.Nodes;

namespace NanoClaw.Tests.Fakes;

/// <summary>A request the fake received, exactly as it arrived (headers, raw body), with helpers to read a Messages API body.</summary>
public sealed class FakeRequest
{
    public required string Method { get; init; }
    /// <summary>Path without the query, e.g. <c>/v1/messages</c>.</summary>
    public required string Path { get; init; }
    /// <summary>Query including the leading '?', or empty; Claude Code sends <c>?beta=true</c>.</summary>
    public required string Query { get; init; }
    /// <summary>All headers, case-insensitive names; repeated headers joined with ", ".</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }
    public required string RawBody { get; init; }
    /// <summary>The body parsed as a JSON object, or null when it was empty or not an object.</summary>
    public JsonObject? Body { get; init; }
    /// <summary>True for requests the fake answered without consuming the script (e.g. title generation: no tools offered).</summary>
    public bool IsSide { get; init; }
    /// <summary>When the request's body had been read (host clock); benchmarks split a run's time with it.</summary>
    public DateTimeOffset ReceivedAt { get; init; }
    /// <summary>When the fake had written (and flushed) the whole reply (host clock); null until then.</summary>
    public DateTimeOffset? AnsweredAt { get; set; }

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public string? Model => Body?["model"]?.GetValue<string>();

    public bool Stream => Body?["stream"]?.GetValue<bool>() ?? false;

    /// <summary>Names in the request's <c>tools</c> array (Claude Code's built-ins, <c>ToolSearch</c>, MCP tools when not deferred).</summary>
    public IReadOnlyList<string> ToolNames =>
        Body?["tools"] is JsonArray tools
            ? [.. tools.Select(t => t?["name"]?.GetValue<string>()).OfType<string>()]
            : [];

    public JsonArray Messages => Body?["messages"] as JsonArray ?? [];

    /// <summary>Every <c>tool_result</c> block in the conversation, oldest first.</summary>
    public IReadOnlyList<FakeToolResult> ToolResults =>
        [.. ContentBlocks("user").Where(b => (string?)b["type"] == "tool_result").Select(FakeToolResult.From)];

    /// <summary>The text blocks of the last user message, joined by newlines (includes system reminders Claude Code adds).</summary>
    public string LastUserText
    {
        get
        {
            var last = Messages.LastOrDefault(m => (string?)m?["role"] == "user");
            return last is null ? "" : string.Join("\n", Blocks(last).Where(b => (string?)b["type"] == "text").Select(b => (string?)b["text"]));
        }
    }

    /// <summary>True when any message or system text contains <paramref name="text"/>.</summary>
    public bool Mentions(string text) => RawBody.Contains(text, StringComparison.Ordinal);

    IEnumerable<JsonObject> ContentBlocks(string role) =>
        Messages.Where(m => (string?)m?["role"] == role).SelectMany(m => Blocks(m!));

    static IEnumerable<JsonObject> Blocks(JsonNode message) => message["content"] switch
    {
        JsonArray blocks => blocks.OfType<JsonObject>(),
        JsonValue text => [new JsonObject { ["type"] = "text", ["text"] = text.ToString() }],
        _ => [],
    };

    public override string ToString() =>
        $"{Method} {Path}{Query}{(Model is { } m ? $" model={m}" : "")}{(IsSide ? " (side)" : "")}";
}

/// <summary>A <c>tool_result</c> block the CLI sent back; <paramref name="Content"/> is its text (text blocks joined).</summary>
public sealed record FakeToolResult(string ToolUseId, string Content, bool IsError)
{
    internal static FakeToolResult From(JsonObject block) => new(
        (string?)block["tool_use_id"] ?? "",
        block["content"] switch
        {
            JsonArray parts => string.Join("\n", parts.Select(p => (string?)p?["text"]).OfType<string>()),
            JsonValue v => v.ToString(),
            _ => "",
        },
        block["is_error"]?.GetValue<bool>() ?? false);
}
