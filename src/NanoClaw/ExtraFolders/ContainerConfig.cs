using System.Text.Json;
using System.Text.Json.Nodes;

namespace NanoClaw.ExtraFolders;

/// <summary>
/// A group's <c>container_config</c> JSON (the <c>registered_groups</c> column), of which this reads and
/// writes <c>additionalMounts[{hostPath, containerPath?, readonly?}]</c>. Other top-level keys are kept as
/// they are, so later settings can live beside the mounts; the mount entries themselves are parsed strictly.
/// </summary>
public static class ContainerConfig
{
    const string MountsKey = "additionalMounts";

    public static ContainerConfigRead Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return new ContainerConfigRead.Parsed([]);
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return new ContainerConfigRead.Invalid("container_config must be a JSON object.");
            if (!doc.RootElement.TryGetProperty(MountsKey, out var mounts) || mounts.ValueKind == JsonValueKind.Null)
                return new ContainerConfigRead.Parsed([]);
            if (mounts.ValueKind != JsonValueKind.Array)
                return new ContainerConfigRead.Invalid($"container_config.{MountsKey} must be an array.");
            var result = new List<AdditionalMount>();
            var index = 0;
            foreach (var element in mounts.EnumerateArray())
                result.Add(ParseMount(element, $"container_config.{MountsKey}[{index++}]"));
            return new ContainerConfigRead.Parsed(result);
        }
        catch (JsonException e) { return new ContainerConfigRead.Invalid($"container_config is not valid JSON ({e.Message})."); }
        catch (FormatException e) { return new ContainerConfigRead.Invalid(e.Message); }
    }

    /// <summary>
    /// <paramref name="json"/> with its <c>additionalMounts</c> replaced (removed when empty), other keys untouched.
    /// Throws <see cref="ArgumentException"/> when <paramref name="json"/> is not a JSON object: fix it before editing.
    /// </summary>
    public static string? WithMounts(string? json, IReadOnlyList<AdditionalMount> mounts)
    {
        JsonObject root;
        try
        {
            root = string.IsNullOrWhiteSpace(json) ? new JsonObject()
                : JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException("container_config is not a JSON object; fix or clear it first.", nameof(json));
        }
        catch (JsonException e) { throw new ArgumentException($"container_config is not valid JSON ({e.Message}); fix or clear it first.", nameof(json), e); }

        root.Remove(MountsKey);
        if (mounts.Count > 0)
        {
            var array = new JsonArray();
            foreach (var m in mounts)
            {
                var entry = new JsonObject { ["hostPath"] = m.HostPath };
                if (m.ContainerPath is not null) entry["containerPath"] = m.ContainerPath;
                if (m.ReadOnly is not null) entry["readonly"] = m.ReadOnly.Value;
                array.Add(entry);
            }
            root[MountsKey] = array;
        }
        return root.Count == 0 ? null : root.ToJsonString();
    }

    static AdditionalMount ParseMount(JsonElement element, string where)
    {
        var fields = StrictObject.Read(element, where, "hostPath", "containerPath", "readonly");
        if (!fields.TryGetValue("hostPath", out var host) || host.ValueKind != JsonValueKind.String)
            throw new FormatException($"{where}.hostPath must be a string.");
        string? name = null;
        if (fields.TryGetValue("containerPath", out var c) && c.ValueKind != JsonValueKind.Null)
            name = c.ValueKind == JsonValueKind.String ? c.GetString() : throw new FormatException($"{where}.containerPath must be a string.");
        bool? readOnly = null;
        if (fields.TryGetValue("readonly", out var r) && r.ValueKind != JsonValueKind.Null)
            readOnly = r.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new FormatException($"{where}.readonly must be true or false."),
            };
        return new AdditionalMount(host.GetString()!, name, readOnly);
    }
}
