using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NanoClaw.Channels.WhatsApp;

/// <summary>
/// The sidecar's wire format in one place (docs/whatsapp-bridge.md): strict parsing of event lines into
/// <see cref="BridgeEvent"/>s and serialization of <see cref="BridgeCommand"/>s. A line that is not valid JSON,
/// has an unknown <c>type</c> or lacks a field becomes <see cref="BridgeParseResult.Invalid"/> with a reason that
/// names the field; the caller logs it and keeps reading.
/// </summary>
public static class BridgeProtocol
{
    public static BridgeParseResult ParseEvent(string line)
    {
        if (string.IsNullOrWhiteSpace(line)) return new BridgeParseResult.Blank();
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return new BridgeParseResult.Invalid($"expected a JSON object, got {doc.RootElement.ValueKind}");
            return new BridgeParseResult.Parsed(ParseObject(doc.RootElement));
        }
        catch (JsonException e) { return new BridgeParseResult.Invalid("not valid JSON: " + e.Message); }
        catch (FieldException e) { return new BridgeParseResult.Invalid(e.Message); }
        // NOTE: valid JSON can still fail to become a string: a lone surrogate escape ("\ud800") passes the parser and
        // throws InvalidOperationException from GetString(). Any failure on one line is that line's problem, never the reader's.
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            return new BridgeParseResult.Invalid($"unreadable ({e.GetType().Name}: {e.Message})");
        }
    }

    static BridgeEvent ParseObject(JsonElement e)
    {
        var type = RequiredString(e, "type");
        return type switch
        {
            "qr" => new BridgeEvent.Qr(RequiredString(e, "qr")),
            "pairing_code" => new BridgeEvent.PairingCode(RequiredString(e, "code")),
            "connected" => new BridgeEvent.Connected(RequiredString(e, "jid"), OptionalString(e, "lid"), OptionalString(e, "name")),
            "closed" => new BridgeEvent.Closed(RequiredString(e, "reason"), RequiredBool(e, "will_reconnect"),
                OptionalInt(e, "status_code"), OptionalString(e, "detail")),
            "message" => ParseMessage(e),
            "chat" => new BridgeEvent.Chat(RequiredString(e, "jid"), NullableString(e, "name"), RequiredBool(e, "is_group")),
            "groups" => new BridgeEvent.Groups(ParseGroups(e)),
            "ack" => new BridgeEvent.Ack(NullableString(e, "ref"), RequiredBool(e, "ok"), OptionalString(e, "error"), OptionalString(e, "id"),
                OptionalString(e, "file"), OptionalLong(e, "size")),
            "error" => new BridgeEvent.SidecarError(RequiredString(e, "message")),
            _ => throw new FieldException($"unknown event type \"{type}\""),
        };
    }

    static BridgeEvent.Message ParseMessage(JsonElement e)
    {
        var timestampText = RequiredString(e, "timestamp");
        if (!DateTimeOffset.TryParse(timestampText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var timestamp))
            throw new FieldException($"message.timestamp \"{timestampText}\" is not an ISO 8601 time");
        QuotedMessage? quoted = null;
        if (e.TryGetProperty("quoted", out var q) && q.ValueKind != JsonValueKind.Null)
        {
            if (q.ValueKind != JsonValueKind.Object) throw new FieldException("message.quoted must be an object");
            quoted = new QuotedMessage(RequiredString(q, "id", "quoted.id"), RequiredString(q, "sender_jid", "quoted.sender_jid"),
                RequiredString(q, "text", "quoted.text"));
        }
        MessageMedia? media = null;
        if (e.TryGetProperty("media", out var md) && md.ValueKind != JsonValueKind.Null)
        {
            if (md.ValueKind != JsonValueKind.Object) throw new FieldException("message.media must be an object");
            var kind = RequiredString(md, "kind", "media.kind") switch
            {
                "image" => Media.AttachmentKind.Image,
                "voice" => Media.AttachmentKind.Voice,
                "audio" => Media.AttachmentKind.Audio,
                "video" => Media.AttachmentKind.Video,
                "document" => Media.AttachmentKind.Document,
                var other => throw new FieldException($"message.media.kind \"{other}\" is not image, voice, audio, video or document"),
            };
            media = new MessageMedia(kind, OptionalString(md, "mime"), OptionalSize(md, "size"));
        }
        return new BridgeEvent.Message(RequiredString(e, "id"), RequiredString(e, "chat_jid"), RequiredString(e, "sender_jid"),
            RequiredString(e, "sender_name"), RequiredString(e, "text"), timestamp.ToUniversalTime(), RequiredBool(e, "is_from_me"), quoted, media);
    }

    static List<GroupInfo> ParseGroups(JsonElement e)
    {
        if (!e.TryGetProperty("groups", out var list) || list.ValueKind != JsonValueKind.Array)
            throw new FieldException("groups.groups must be an array");
        var groups = new List<GroupInfo>();
        foreach (var g in list.EnumerateArray())
        {
            if (g.ValueKind != JsonValueKind.Object) throw new FieldException("groups.groups entries must be objects");
            groups.Add(new GroupInfo(RequiredString(g, "jid", "groups[].jid"), NullableString(g, "name") ?? ""));
        }
        return groups;
    }

    /// <summary>One command line (without the newline), carrying <paramref name="reference"/> as its <c>ref</c>.</summary>
    public static string SerializeCommand(BridgeCommand command, string reference)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", command.Type);
            w.WriteString("ref", reference);
            switch (command)
            {
                case BridgeCommand.Send s: w.WriteString("chat_jid", s.ChatJid); w.WriteString("text", s.Text); break;
                case BridgeCommand.SendFile f:
                    w.WriteString("chat_jid", f.ChatJid);
                    w.WriteString("path", f.Path);
                    w.WriteString("kind", f.Kind);
                    w.WriteString("mimetype", f.MimeType);
                    w.WriteString("file_name", f.FileName);
                    w.WriteString("caption", f.Caption);
                    break;
                case BridgeCommand.Typing t: w.WriteString("chat_jid", t.ChatJid); w.WriteBoolean("on", t.On); break;
                case BridgeCommand.MarkRead m:
                    w.WriteString("chat_jid", m.ChatJid);
                    w.WriteStartArray("message_ids");
                    foreach (var id in m.MessageIds) w.WriteStringValue(id);
                    w.WriteEndArray();
                    break;
                case BridgeCommand.Pair p: w.WriteString("phone", p.Phone); break;
                case BridgeCommand.Download d:
                    w.WriteString("chat_jid", d.ChatJid); w.WriteString("id", d.Id); w.WriteNumber("max_bytes", d.MaxBytes);
                    break;
                case BridgeCommand.SyncGroups or BridgeCommand.Logout: break;
            }
            w.WriteEndObject();
        }
        // Utf8JsonWriter escapes control characters, so a newline in a text can never split the line.
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    static string RequiredString(JsonElement e, string name, string? label = null) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new FieldException($"{Label(e, label ?? name)} is missing or not a string");

    /// <summary>A field that must be present but may be null (<c>chat.name</c>, <c>ack.ref</c>).</summary>
    static string? NullableString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.String or JsonValueKind.Null
            ? v.GetString()
            : throw new FieldException($"{Label(e, name)} is missing or not a string or null");

    static string? OptionalString(JsonElement e, string name) =>
        !e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : throw new FieldException($"{Label(e, name)} is not a string");

    static bool RequiredBool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean()
            : throw new FieldException($"{Label(e, name)} is missing or not a boolean");

    static int? OptionalInt(JsonElement e, string name) =>
        !e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n
        : throw new FieldException($"{Label(e, name)} is not a whole number");

    /// <summary>A byte count: absent or null, or a whole number from 0 up (a negative or fractional one is a parse error).</summary>
    static long? OptionalSize(JsonElement e, string name) =>
        !e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 0 ? n
        : throw new FieldException($"{Label(e, name)} is not a size in bytes");

    /// <summary>Any whole number (a <c>download</c> ack's size, checked by <see cref="MediaSpool"/> so a bad one still answers the command).</summary>
    static long? OptionalLong(JsonElement e, string name) =>
        !e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n
        : throw new FieldException($"{Label(e, name)} is not a whole number");

    static string Label(JsonElement e, string field) =>
        e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? $"{t.GetString()}.{field}" : field;

    /// <summary>Carries a field error to <see cref="ParseEvent"/>, which turns it into a result; never escapes this class.</summary>
    sealed class FieldException(string message) : Exception(message);
}
