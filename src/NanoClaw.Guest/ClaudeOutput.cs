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

    /// <summary><c>{"type":"assistant",...}</c>: a message of the model's; only timed (the answer is the turn's result).</summary>
    public sealed record Assistant : ClaudeOutput;

    /// <summary>Anything else (user messages, hooks, ...): not needed by the agent.</summary>
    public sealed record Other : ClaudeOutput;

    /// <summary>A line that is not a JSON object: reported, not fatal.</summary>
    public sealed record Unreadable(string Reason) : ClaudeOutput;

    public static ClaudeOutput Parse(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new Unreadable("not a JSON object");
            return String(root, "type") switch
            {
                "system" when String(root, "subtype") == "init" && String(root, "session_id") is { Length: > 0 } id => new Init(id),
                "assistant" => new Assistant(),
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

    static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
