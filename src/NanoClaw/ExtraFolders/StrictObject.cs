using System.Text.Json;

namespace NanoClaw.ExtraFolders;

/// <summary>Reads a JSON object whose keys must be known and unique: a typo must fail loudly, not be ignored.</summary>
internal static class StrictObject
{
    public static Dictionary<string, JsonElement> Read(JsonElement element, string where, params string[] known)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new FormatException($"{where} must be a JSON object, not {element.ValueKind.ToString().ToLowerInvariant()}.");
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
                throw new FormatException($"{where} has an unknown key \"{property.Name}\"; the known keys are {string.Join(", ", known)}.");
            if (!result.TryAdd(property.Name, property.Value))
                throw new FormatException($"{where} has the key \"{property.Name}\" twice.");
        }
        return result;
    }
}
