using System.Text.Json;
using System.Text.Json.Nodes;

namespace NanoClaw.Gateway.Egress;

/// <summary>
/// A group's web access rules: host patterns to allow and to deny. A deny match always wins; when
/// <see cref="Allow"/> is not empty, only hosts that match it may be reached. A pattern is an exact host name
/// (<c>example.com</c>) or <c>*.</c> and a domain (<c>*.example.com</c>: every name below it, not the domain itself).
/// Names compare case-insensitively, without a trailing dot. The address checks of <see cref="EgressAddress"/>
/// apply on top of these rules, always.
/// Stored in the group's <c>container_config</c> (SQLite, key <c>egress</c>), never in the group folder a VM writes back.
/// </summary>
public sealed record EgressRules(IReadOnlyList<string> Allow, IReadOnlyList<string> Deny)
{
    const string Key = "egress";

    public static EgressRules None { get; } = new([], []);

    /// <summary>Set when the stored rules could not be read: then every destination is refused (fail closed).</summary>
    public string? Broken { get; init; }

    /// <summary>Null when <paramref name="host"/> may be reached under these rules; otherwise why not.</summary>
    public string? RefusalReason(string host)
    {
        if (Broken is { } broken) return "the group's egress rules cannot be read (" + broken + ")";
        var name = Normalize(host);
        if (Deny.FirstOrDefault(p => Matches(p, name)) is { } denied) return $"{name} is denied by the group's rule {denied}";
        if (Allow.Count > 0 && !Allow.Any(p => Matches(p, name))) return $"{name} is not in the group's allow list";
        return null;
    }

    /// <summary>Does <paramref name="pattern"/> (<c>host</c> or <c>*.domain</c>) match <paramref name="host"/>?</summary>
    public static bool Matches(string pattern, string host)
    {
        var p = Normalize(pattern);
        var h = Normalize(host);
        return p.StartsWith("*.", StringComparison.Ordinal)
            ? h.Length > p.Length - 1 && h.EndsWith(p[1..], StringComparison.Ordinal)
            : h == p;
    }

    /// <summary>Null when <paramref name="pattern"/> is a pattern these rules accept; otherwise what is wrong with it.</summary>
    public static string? ValidatePattern(string pattern)
    {
        var p = Normalize(pattern);
        var name = p.StartsWith("*.", StringComparison.Ordinal) ? p[2..] : p;
        if (name.Length == 0 || name.Length > 253) return $"\"{pattern}\" is not a host name";
        foreach (var label in name.Split('.'))
            if (label.Length is 0 or > 63 || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') || label[0] == '-' || label[^1] == '-')
                return $"\"{pattern}\" is not a host name or *.domain pattern (letters, digits, '-' and '.' only; '*' only as the first label)";
        return null;
    }

    static string Normalize(string host) => host.Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>The rules in a group's <c>container_config</c> JSON; <see cref="None"/> when it has none.</summary>
    public static EgressRules FromContainerConfig(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return None;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return None with { Broken = "container_config is not a JSON object" };
            if (!doc.RootElement.TryGetProperty(Key, out var egress) || egress.ValueKind == JsonValueKind.Null) return None;
            if (egress.ValueKind != JsonValueKind.Object) return None with { Broken = "container_config.egress is not an object" };
            var allow = new List<string>();
            var deny = new List<string>();
            foreach (var property in egress.EnumerateObject())
            {
                var list = property.Name switch
                {
                    "allow" => allow,
                    "deny" => deny,
                    _ => null,
                };
                if (list is null) return None with { Broken = $"unknown key container_config.egress.{property.Name}" };
                if (property.Value.ValueKind != JsonValueKind.Array) return None with { Broken = $"container_config.egress.{property.Name} is not an array" };
                foreach (var item in property.Value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String || ValidatePattern(item.GetString()!) is not null)
                        return None with { Broken = $"container_config.egress.{property.Name} holds an invalid pattern" };
                    list.Add(Normalize(item.GetString()!));
                }
            }
            return new EgressRules(allow, deny);
        }
        catch (JsonException e) { return None with { Broken = "container_config is not valid JSON: " + e.Message }; }
    }

    /// <summary><paramref name="json"/> with its <c>egress</c> key replaced by these rules (removed when empty), other keys untouched.</summary>
    public string? WriteInto(string? json)
    {
        JsonObject root;
        try
        {
            root = string.IsNullOrWhiteSpace(json) ? new JsonObject()
                : JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException("container_config is not a JSON object; fix or clear it first.", nameof(json));
        }
        catch (JsonException e) { throw new ArgumentException($"container_config is not valid JSON ({e.Message}); fix or clear it first.", nameof(json), e); }
        root.Remove(Key);
        if (Allow.Count > 0 || Deny.Count > 0)
        {
            var egress = new JsonObject();
            if (Allow.Count > 0) egress["allow"] = new JsonArray([.. Allow.Select(p => (JsonNode)JsonValue.Create(p))]);
            if (Deny.Count > 0) egress["deny"] = new JsonArray([.. Deny.Select(p => (JsonNode)JsonValue.Create(p))]);
            root[Key] = egress;
        }
        return root.Count == 0 ? null : root.ToJsonString();
    }

    public override string ToString() =>
        Broken is not null ? "broken: " + Broken
        : Allow.Count == 0 && Deny.Count == 0 ? "any public host"
        : $"allow {(Allow.Count == 0 ? "any" : string.Join(", ", Allow))}; deny {(Deny.Count == 0 ? "none" : string.Join(", ", Deny))}";
}
