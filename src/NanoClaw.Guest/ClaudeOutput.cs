using System.Text.Json;

namespace NanoClaw.Guest;

/// <summary>The lines of Claude Code's <c>--output-format stream-json</c> that the agent acts on.</summary>
abstract record ClaudeOutput
{
    private ClaudeOutput() { }

    /// <summary><c>{"type":"system","subtype":"init","session_id":...}</c>: a turn started in this session.</summary>
    public sealed record Init(string SessionId) : ClaudeOutput;

    /// <summary><c>{"type":"result",...}</c>: a turn ended. <see cref="Errors"/> holds the CLI's own error texts.</summary>
    public sealed record Result(bool IsError, string Subtype, string? Text, IReadOnlyList<string> Errors) : ClaudeOutput;

    /// <summary>
    /// <c>{"type":"control_response","response":{"subtype":"success"|"error","request_id":...,"error":...,"response":{"status":...}}}</c>:
    /// the answer to a control request on stdin (the claim of a parked Claude Code, its move into the group folder).
    /// </summary>
    public sealed record ControlResponse(string? RequestId, bool Success, string? Error, string? Status = null) : ClaudeOutput;

    /// <summary><c>{"type":"assistant","message":{"id":...,"content":[...]},"parent_tool_use_id":...}</c>: a content block of
    /// a message of the model's, as it completes. <see cref="Text"/> is the block's text when it is a text block, null
    /// otherwise (a tool call, thinking). <see cref="Nested"/>: a sub-agent's, not the session's own.</summary>
    public sealed record Assistant(string? MessageId, string? Text, bool Nested) : ClaudeOutput;

    /// <summary><c>{"type":"stream_event","event":{"type":"message_delta","delta":{"stop_reason":...}},"api_message_id":...}</c>
    /// (with <c>--include-partial-messages</c>): the model's message <see cref="MessageId"/> is complete and says why it
    /// stopped. <c>end_turn</c> on the session's own message means its last text block is the turn's answer.</summary>
    public sealed record MessageEnded(string? MessageId, string? StopReason, bool Nested) : ClaudeOutput;

    /// <summary>Anything else (user messages, hooks, ...): not needed by the agent.</summary>
    public sealed record Other : ClaudeOutput;

    /// <summary>A line that is not a JSON object: reported, not fatal.</summary>
    public sealed record Unreadable(string Reason) : ClaudeOutput;

    public static ClaudeOutput Parse(string line)
    {
        // Partial messages are one line per streamed token; only a message's end is needed, so the rest is not parsed.
        if (line.StartsWith("{\"type\":\"stream_event\"", StringComparison.Ordinal) && !line.Contains("\"message_delta\"", StringComparison.Ordinal))
            return new Other();
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new Unreadable("not a JSON object");
            return String(root, "type") switch
            {
                "system" when String(root, "subtype") == "init" && String(root, "session_id") is { Length: > 0 } id => new Init(id),
                "assistant" => ParseAssistant(root),
                "stream_event" when root.TryGetProperty("event", out var ev) && ev.ValueKind == JsonValueKind.Object && String(ev, "type") == "message_delta" =>
                    new MessageEnded(String(root, "api_message_id"),
                        ev.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object ? String(delta, "stop_reason") : null, IsNested(root)),
                "result" => new Result(
                    IsError: root.TryGetProperty("is_error", out var e) && e.ValueKind == JsonValueKind.True,
                    Subtype: String(root, "subtype") ?? "",
                    Text: String(root, "result"),
                    Errors: root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array
                        ? errors.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : x.GetRawText()).ToList()
                        : []),
                "control_response" when root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object =>
                    new ControlResponse(String(response, "request_id"), String(response, "subtype") == "success",
                        String(response, "error") ?? (response.TryGetProperty("error", out var error) ? error.GetRawText() : null),
                        response.TryGetProperty("response", out var payload) && payload.ValueKind == JsonValueKind.Object ? String(payload, "status") : null),
                "control_response" => new ControlResponse(null, false, "no 'response' object"),
                _ => new Other(),
            };
        }
        catch (JsonException e)
        {
            return new Unreadable(e.Message);
        }
    }

    static Assistant ParseAssistant(JsonElement root)
    {
        if (!root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
            return new Assistant(null, null, IsNested(root));
        string? text = null;
        if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array && content.GetArrayLength() > 0)
        {
            var last = content[content.GetArrayLength() - 1];
            if (last.ValueKind == JsonValueKind.Object && String(last, "type") == "text") text = String(last, "text");
        }
        return new Assistant(String(message, "id"), text, IsNested(root));
    }

    static bool IsNested(JsonElement root) => root.TryGetProperty("parent_tool_use_id", out var parent) && parent.ValueKind != JsonValueKind.Null;

    static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
