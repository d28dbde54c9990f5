using System.Text.Json;

namespace NanoClaw.Media;

/// <summary>The <c>messages.attachment</c> column: an <see cref="Attachment"/> as a small JSON object the host wrote itself.</summary>
public static class AttachmentJson
{
    public static string Write(Attachment a)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", MediaNames.KindName(a.Kind));
            if (a.RelativePath is { } path) w.WriteString("path", path);
            w.WriteString("mime", a.Mime);
            w.WriteNumber("size", a.Size);
            if (a.Note is { } note) w.WriteString("note", note);
            if (a.Transcript is { } transcript) w.WriteString("transcript", transcript);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <exception cref="JsonException">Not an attachment this host wrote.</exception>
    public static Attachment Read(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var e = doc.RootElement;
        if (!Enum.TryParse<AttachmentKind>(e.GetProperty("kind").GetString(), ignoreCase: true, out var kind))
            throw new JsonException("attachment.kind is unknown");
        return new Attachment(kind, Optional(e, "path"), e.GetProperty("mime").GetString() ?? "", e.GetProperty("size").GetInt64(),
            Optional(e, "note"), Optional(e, "transcript"));
    }

    static string? Optional(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
