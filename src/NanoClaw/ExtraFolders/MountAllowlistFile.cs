using System.Text.Json;

namespace NanoClaw.ExtraFolders;

/// <summary>
/// Reads <c>~/.config/nanoclaw/mount-allowlist.json</c> strictly:
/// <code>
/// { "allowedRoots": [ { "path": "~/vaults", "allowReadWrite": false, "description": "Obsidian" } ],
///   "blockedPatterns": [ "private" ], "nonMainReadOnly": true }
/// </code>
/// Any doubt (missing file, bad JSON, a wrong type, an unknown key, a relative root) makes the whole file
/// unusable, so no group gets extra folders: half-reading a security file is how holes start.
/// Comments and trailing commas are allowed because people edit this file by hand.
/// </summary>
public static class MountAllowlistFile
{
    public const string EnvironmentVariable = "NANOCLAW_MOUNT_ALLOWLIST";

    /// <summary><c>$NANOCLAW_MOUNT_ALLOWLIST</c> when set, else <c>&lt;userHome&gt;/.config/nanoclaw/mount-allowlist.json</c>.</summary>
    public static string DefaultPath(string userHome, string? overridePath = null) =>
        string.IsNullOrWhiteSpace(overridePath)
            ? Path.Combine(userHome, ".config", "nanoclaw", "mount-allowlist.json")
            : Path.GetFullPath(ExpandHome(overridePath.Trim(), userHome));

    /// <summary>Reads and validates the file at <paramref name="path"/>; <c>~</c> in root paths expands to <paramref name="userHome"/>.</summary>
    public static AllowlistLoad Load(string path, string userHome)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new AllowlistLoad.Unavailable(path, $"no mount allowlist at {path}, so no group gets extra folders; create it (allowedRoots, blockedPatterns, nonMainReadOnly) to allow some.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new AllowlistLoad.Unavailable(path, $"the mount allowlist {path} cannot be read ({e.Message}), so no group gets extra folders; fix its permissions.");
        }
        try
        {
            return new AllowlistLoad.Loaded(path, Parse(text, userHome));
        }
        catch (JsonException e)
        {
            return new AllowlistLoad.Unavailable(path, $"the mount allowlist {path} is not valid JSON ({e.Message}), so no group gets extra folders; fix the file.");
        }
        catch (FormatException e)
        {
            return new AllowlistLoad.Unavailable(path, $"the mount allowlist {path} is invalid: {e.Message} No group gets extra folders until it is fixed.");
        }
    }

    /// <summary>Parses the file's text. Throws <see cref="JsonException"/> for bad JSON and <see cref="FormatException"/> for a wrong shape.</summary>
    internal static MountAllowlist Parse(string text, string userHome)
    {
        using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var top = StrictObject.Read(doc.RootElement, "the file", "allowedRoots", "blockedPatterns", "nonMainReadOnly");

        if (!top.TryGetValue("allowedRoots", out var rootsElement))
            throw new FormatException("\"allowedRoots\" is missing; it must be an array of {\"path\", \"allowReadWrite\", \"description\"}.");
        if (rootsElement.ValueKind != JsonValueKind.Array)
            throw new FormatException($"\"allowedRoots\" must be an array, not {Kind(rootsElement)}.");
        var roots = new List<AllowedRoot>();
        var index = 0;
        foreach (var element in rootsElement.EnumerateArray())
            roots.Add(ParseRoot(element, $"allowedRoots[{index++}]", userHome));

        var blocked = new List<string>(MountAllowlist.DefaultBlockedPatterns);
        if (top.TryGetValue("blockedPatterns", out var patterns))
        {
            if (patterns.ValueKind != JsonValueKind.Array)
                throw new FormatException($"\"blockedPatterns\" must be an array of strings, not {Kind(patterns)}.");
            foreach (var p in patterns.EnumerateArray())
            {
                if (p.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.GetString()))
                    throw new FormatException("every entry of \"blockedPatterns\" must be a non-empty string.");
                var pattern = p.GetString()!.Trim();
                if (!blocked.Contains(pattern, StringComparer.OrdinalIgnoreCase)) blocked.Add(pattern);
            }
        }

        // Default true: a group that is not main gets read-only folders unless the owner says otherwise.
        var nonMainReadOnly = !top.TryGetValue("nonMainReadOnly", out var nmro) || Bool(nmro, "nonMainReadOnly");
        return new MountAllowlist(roots, blocked, nonMainReadOnly);
    }

    static AllowedRoot ParseRoot(JsonElement element, string where, string userHome)
    {
        var root = StrictObject.Read(element, where, "path", "allowReadWrite", "description");
        if (!root.TryGetValue("path", out var p) || p.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.GetString()))
            throw new FormatException($"{where}.path must be a non-empty string.");
        var raw = p.GetString()!.Trim();
        var expanded = ExpandHome(raw, userHome);
        if (!Path.IsPathRooted(expanded))
            throw new FormatException($"{where}.path \"{raw}\" is relative; write an absolute path or one starting with ~/.");
        var readWrite = root.TryGetValue("allowReadWrite", out var rw) && Bool(rw, where + ".allowReadWrite");
        string? description = null;
        if (root.TryGetValue("description", out var d) && d.ValueKind != JsonValueKind.Null)
            description = d.ValueKind == JsonValueKind.String ? d.GetString() : throw new FormatException($"{where}.description must be a string.");
        return new AllowedRoot(Path.GetFullPath(expanded), readWrite, description);
    }

    /// <summary><c>~</c> and <c>~/x</c> become the user's home; <c>~other</c> is left alone (and then refused as relative).</summary>
    internal static string ExpandHome(string path, string userHome) =>
        path == "~" ? userHome
        : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(userHome, path[2..])
        : path;

    static bool Bool(JsonElement e, string name) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new FormatException($"\"{name}\" must be true or false, not {Kind(e)}."),
    };

    static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();
}
