using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace NanoClaw.Tests.Fakes;

/// <summary>Writes a <see cref="FakeReply"/> the way the Messages API does: an SSE event stream, or one JSON message.</summary>
static class FakeReplyWriter
{
    public static async Task WriteAsync(HttpContext context, FakeRequest request, FakeReply reply, string messageId, Func<string> newToolUseId)
    {
        context.Response.Headers["request-id"] = "req_" + messageId;
        if (reply.ApiError is { } error)
        {
            await WriteErrorAsync(context, error.Status, error.Type, error.Message);
            return;
        }
        // Ids are fixed once, so the streamed and the JSON form agree and a scripted id is kept.
        var blocks = reply.Content.Select(b => b is FakeToolUse { Id: null } t ? t with { Id = newToolUseId() } : b).ToList();
        var model = request.Model ?? "claude-fake";
        var usage = reply.Usage ?? new FakeUsage(Math.Max(1, request.RawBody.Length / 4), Math.Max(1, blocks.Sum(b => b is FakeText t ? t.Whole.Length / 4 + 1 : 10)));

        if (!request.Stream)
        {
            var message = Message(messageId, model, [.. blocks.Select(CompleteBlock)], reply.StopReason, usage, usage.Output);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(message.ToJsonString());
            return;
        }

        // Streaming: message_start, ping, per block start/deltas/stop, message_delta, message_stop.
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        await SendAsync(context, "message_start", new JsonObject
        {
            ["type"] = "message_start",
            ["message"] = Message(messageId, model, [], null, usage, 1),
        });
        await SendAsync(context, "ping", new JsonObject { ["type"] = "ping" });
        var delta = 0;
        for (var index = 0; index < blocks.Count; index++)
        {
            var (start, deltas) = blocks[index] switch
            {
                FakeText t => (new JsonObject { ["type"] = "text", ["text"] = "" },
                    t.Chunks.Select(c => new JsonObject { ["type"] = "text_delta", ["text"] = c })),
                FakeToolUse u => (new JsonObject { ["type"] = "tool_use", ["id"] = u.Id, ["name"] = u.Name, ["input"] = new JsonObject() },
                    SplitJson(u.Input.ToJsonString()).Select(p => new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = p })),
                var other => throw new InvalidOperationException($"Unknown block {other}."),
            };
            await SendAsync(context, "content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = index, ["content_block"] = start });
            foreach (var d in deltas)
            {
                if (reply.BeforeDelta is { } gate) await gate(delta);
                if (reply.CutAfterDeltas == delta)
                {
                    context.Abort(); // a mid-stream cut: the client sees the connection end without message_stop
                    return;
                }
                delta++;
                await SendAsync(context, "content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = d });
            }
            await SendAsync(context, "content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index });
        }
        await SendAsync(context, "message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = reply.StopReason, ["stop_sequence"] = null },
            ["usage"] = UsageJson(usage, usage.Output),
        });
        await SendAsync(context, "message_stop", new JsonObject { ["type"] = "message_stop" });
    }

    public static Task WriteErrorAsync(HttpContext context, int status, string type, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = new JsonObject
        {
            ["type"] = "error",
            ["error"] = new JsonObject { ["type"] = type, ["message"] = message },
        };
        return context.Response.WriteAsync(body.ToJsonString());
    }

    static JsonObject UsageJson(FakeUsage usage, long outputTokens) => new()
    {
        ["input_tokens"] = usage.Input,
        ["cache_creation_input_tokens"] = usage.CacheWrite5m + usage.CacheWrite1h,
        ["cache_read_input_tokens"] = usage.CacheRead,
        ["cache_creation"] = new JsonObject { ["ephemeral_5m_input_tokens"] = usage.CacheWrite5m, ["ephemeral_1h_input_tokens"] = usage.CacheWrite1h },
        ["output_tokens"] = outputTokens,
    };

    static JsonObject Message(string id, string model, JsonArray content, string? stopReason, FakeUsage usage, long outputTokens) => new()
    {
        ["id"] = id,
        ["type"] = "message",
        ["role"] = "assistant",
        ["model"] = model,
        ["content"] = content,
        ["stop_reason"] = stopReason,
        ["stop_sequence"] = null,
        ["usage"] = UsageJson(usage, outputTokens),
    };

    static JsonNode CompleteBlock(FakeBlock block) => block switch
    {
        FakeText t => new JsonObject { ["type"] = "text", ["text"] = t.Whole },
        FakeToolUse u => new JsonObject { ["type"] = "tool_use", ["id"] = u.Id, ["name"] = u.Name, ["input"] = u.Input.DeepClone() },
        _ => throw new InvalidOperationException($"Unknown block {block}."),
    };

    /// <summary>Two pieces, as the real API streams tool input in fragments that are not JSON on their own.</summary>
    static IEnumerable<string> SplitJson(string json) => json.Length < 2 ? [json] : [json[..(json.Length / 2)], json[(json.Length / 2)..]];

    static async Task SendAsync(HttpContext context, string eventName, JsonObject data)
    {
        var frame = Encoding.UTF8.GetBytes($"event: {eventName}\ndata: {data.ToJsonString()}\n\n");
        await context.Response.Body.WriteAsync(frame, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }
}
