using System.Text.Json;
using NanoClaw.Usage;

namespace NanoClaw.Usage;

/// <summary>
/// Reads the usage of one Messages API answer from the bytes as they are relayed, without holding them back:
/// <list type="bullet">
/// <item>SSE (<c>text/event-stream</c>): <c>data:</c> lines are split as bytes arrive; only <c>message_start</c>,
/// <c>message_delta</c> and <c>message_stop</c> events are parsed (a substring test skips the many content deltas).
/// <c>message_start.message.usage</c> gives the first numbers, each <c>message_delta.usage</c> running totals: a field
/// present in a later event replaces the earlier value, never adds to it.</item>
/// <item>JSON: the body is kept (up to <see cref="MaxJsonBytes"/>) and its <c>usage</c> read at the end.</item>
/// </list>
/// An answer cut off before <c>message_stop</c> (or before its JSON ended) is <see cref="Partial"/>: what was seen counts.
/// </summary>
public sealed class UsageObserver
{
    const int MaxLineBytes = 1024 * 1024;
    const int MaxJsonBytes = 8 * 1024 * 1024;

    readonly bool sse;
    readonly MemoryStream pending = new();
    bool skippingLine;
    bool ended;
    bool sawStop;
    bool jsonRead;
    long? input, output, cacheCreation, cacheWrite5m, cacheWrite1h, cacheRead;

    public UsageObserver(string? mediaType) => sse = string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);

    /// <summary>The model the answer names (null until seen).</summary>
    public string? Model { get; private set; }

    /// <summary>Whether any usage numbers were seen.</summary>
    public bool SawUsage => input is not null || output is not null;

    public bool Partial => !ended || (sse ? !sawStop : !jsonRead);

    public TokenUsage Tokens
    {
        get
        {
            var write1h = cacheWrite1h ?? 0;
            var write5m = cacheWrite5m ?? 0;
            // Only a total known for cache writes (no breakdown, or a later total than the breakdown): the rest is 5 m.
            if (cacheCreation is { } total && total > write5m + write1h) write5m = total - write1h;
            return new TokenUsage(input ?? 0, output ?? 0, write5m, write1h, cacheRead ?? 0);
        }
    }

    /// <summary>Bytes relayed to the client, in order.</summary>
    public void Observe(ReadOnlySpan<byte> bytes)
    {
        if (!sse)
        {
            if (pending.Length + bytes.Length <= MaxJsonBytes) pending.Write(bytes);
            else skippingLine = true; // too big to be a Messages API answer we can price; counted as no usage
            return;
        }
        while (bytes.Length > 0)
        {
            var newline = bytes.IndexOf((byte)'\n');
            var piece = newline < 0 ? bytes : bytes[..newline];
            if (!skippingLine)
            {
                if (pending.Length + piece.Length > MaxLineBytes) { skippingLine = true; pending.SetLength(0); }
                else pending.Write(piece);
            }
            if (newline < 0) return;
            if (!skippingLine) Line(pending.GetBuffer().AsSpan(0, (int)pending.Length));
            pending.SetLength(0);
            skippingLine = false;
            bytes = bytes[(newline + 1)..];
        }
    }

    /// <summary>The upstream's body ended normally.</summary>
    public void End()
    {
        ended = true;
        if (sse)
        {
            if (pending.Length > 0 && !skippingLine) Line(pending.GetBuffer().AsSpan(0, (int)pending.Length));
            return;
        }
        if (skippingLine) return;
        try
        {
            using var doc = JsonDocument.Parse(pending.GetBuffer().AsMemory(0, (int)pending.Length));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return;
            if (doc.RootElement.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String) Model = model.GetString();
            if (doc.RootElement.TryGetProperty("usage", out var usage)) ReadUsage(usage);
            jsonRead = true;
        }
        catch (JsonException) { }
    }

    void Line(ReadOnlySpan<byte> line)
    {
        if (line.EndsWith("\r"u8)) line = line[..^1];
        if (!line.StartsWith("data:"u8)) return;
        var data = line[5..];
        if (data.Length > 0 && data[0] == (byte)' ') data = data[1..];
        if (data.IndexOf("\"message_"u8) < 0) return; // content deltas and pings: not ours to parse
        try
        {
            var reader = new Utf8JsonReader(data);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type)) return;
            switch (type.GetString())
            {
                case "message_start" when root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object:
                    if (message.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String) Model = model.GetString();
                    if (message.TryGetProperty("usage", out var startUsage)) ReadUsage(startUsage);
                    break;
                case "message_delta" when root.TryGetProperty("usage", out var deltaUsage):
                    ReadUsage(deltaUsage);
                    break;
                case "message_stop":
                    sawStop = true;
                    break;
            }
        }
        catch (JsonException) { }
    }

    void ReadUsage(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object) return;
        input = Count(usage, "input_tokens") ?? input;
        output = Count(usage, "output_tokens") ?? output;
        cacheCreation = Count(usage, "cache_creation_input_tokens") ?? cacheCreation;
        cacheRead = Count(usage, "cache_read_input_tokens") ?? cacheRead;
        if (usage.TryGetProperty("cache_creation", out var breakdown) && breakdown.ValueKind == JsonValueKind.Object)
        {
            cacheWrite5m = Count(breakdown, "ephemeral_5m_input_tokens") ?? cacheWrite5m;
            cacheWrite1h = Count(breakdown, "ephemeral_1h_input_tokens") ?? cacheWrite1h;
        }
    }

    static long? Count(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n >= 0 ? n : null;

    public override string ToString() => $"{Model ?? "?"} {Tokens}{(Partial ? " partial" : "")}" + (sse ? " (sse)" : " (json)");
}
