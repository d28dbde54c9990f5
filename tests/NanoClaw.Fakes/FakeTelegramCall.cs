using System.Text.Json.Nodes;

namespace NanoClaw.Tests.Fakes;

/// <summary>One Bot API call the fake received: the method (e.g. <c>sendMessage</c>), its parameters, the files uploaded
/// with it (multipart parts, by field name), and what it answered.</summary>
public sealed record FakeTelegramCall(string Method, JsonObject Parameters, int Status, DateTimeOffset At,
    IReadOnlyDictionary<string, FakeTelegramUpload>? Uploads = null)
{
    public long? ChatId => Parameters["chat_id"] is { } id ? long.Parse(id.ToString(), System.Globalization.CultureInfo.InvariantCulture) : null;
    public string? Text => Parameters["text"]?.GetValue<string>();
}
