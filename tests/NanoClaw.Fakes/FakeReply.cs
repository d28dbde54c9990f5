using System.Text.Json;
using System.Text.Json.Nodes;

namespace NanoClaw.Tests.Fakes;

/// <summary>
/// What the fake model answers to one Messages API request: text and/or tool calls, or an API error.
/// Build with <see cref="Text"/>, <see cref="ToolUse"/>, <see cref="Of"/> or <see cref="Error"/>.
/// </summary>
public sealed record FakeReply
{
    FakeReply(IReadOnlyList<FakeBlock> content) => Content = content;

    public IReadOnlyList<FakeBlock> Content { get; }

    /// <summary>Non-null for an error reply: the HTTP status and the Anthropic error type (e.g. 429, "rate_limit_error").</summary>
    public (int Status, string Type, string Message)? ApiError { get; private init; }

    /// <summary>
    /// Awaited before each streamed delta with its 0-based sequence number across the whole reply.
    /// Lets a test hold the stream open between two events to prove they travel one by one.
    /// </summary>
    public Func<int, Task>? BeforeDelta { get; init; }

    /// <summary>The usage the answer reports (cache tokens included); null: estimated from the sizes, no cache tokens.</summary>
    public FakeUsage? Usage { get; init; }

    /// <summary>Streaming only: the connection is cut after this many content deltas (no <c>message_delta</c>, no <c>message_stop</c>).</summary>
    public int? CutAfterDeltas { get; init; }

    public string StopReason => Content.Any(b => b is FakeToolUse) ? "tool_use" : "end_turn";

    /// <summary>A text answer; several chunks are streamed as several <c>text_delta</c> events.</summary>
    public static FakeReply Text(params string[] chunks) =>
        chunks.Length == 0 ? throw new ArgumentException("Give at least one text chunk.", nameof(chunks)) : new([new FakeText(chunks)]);

    /// <summary>One tool call. <paramref name="input"/> is anything JSON-serializable (an anonymous object is fine).</summary>
    public static FakeReply ToolUse(string name, object input) => new([FakeBlock.ToolUse(name, input)]);

    /// <summary>An assistant message of several blocks, e.g. text followed by two tool calls.</summary>
    public static FakeReply Of(params FakeBlock[] blocks) =>
        blocks.Length == 0 ? throw new ArgumentException("Give at least one block.", nameof(blocks)) : new(blocks);

    /// <summary>An Anthropic-shaped error response. Note: the CLI retries 429 and 5xx with backoff.</summary>
    public static FakeReply Error(int status, string type, string message) =>
        new([]) { ApiError = (status, type, message) };
}

/// <summary>One content block of a <see cref="FakeReply"/>.</summary>
public abstract record FakeBlock
{
    public static FakeText Text(params string[] chunks) => new(chunks);

    public static FakeToolUse ToolUse(string name, object input) => new(name, ToJsonObject(input));

    internal static JsonObject ToJsonObject(object input) => input switch
    {
        JsonObject o => (JsonObject)o.DeepClone(),
        string json => JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException("Tool input JSON must be an object.", nameof(input)),
        _ => JsonSerializer.SerializeToNode(input) as JsonObject ?? throw new ArgumentException("Tool input must serialize to a JSON object.", nameof(input)),
    };
}

public sealed record FakeText(IReadOnlyList<string> Chunks) : FakeBlock
{
    public string Whole => string.Concat(Chunks);
}

/// <summary>A tool call. <paramref name="Id"/> is normally left null: the fake assigns an id unique for its lifetime.</summary>
public sealed record FakeToolUse(string Name, JsonObject Input, string? Id = null) : FakeBlock;
