using System.Text;

namespace NanoClaw.Guest;

/// <summary>
/// A path inside the workspace tar that passed validation: one of the top folders (<c>group</c>, <c>global</c>,
/// <c>claude</c>, or <c>extra/&lt;name&gt;</c> for a read-write extra folder) followed by plain name segments.
/// This is the only place guest-supplied paths are judged.
/// </summary>
public sealed record WorkspacePath(string Top, IReadOnlyList<string> Segments)
{
    public const int MaxPathBytes = 4096;
    public const int MaxSegmentBytes = 255;

    /// <summary>The archive spelling, e.g. <c>group/notes/today.md</c>.</summary>
    public override string ToString() => Segments.Count == 0 ? Top : Top + "/" + string.Join('/', Segments);

    /// <summary>The host folder this path's top folder maps to.</summary>
    public string TopDirectory(WorkspaceLayout layout) => Top switch
    {
        "group" => layout.GroupDir,
        "global" => layout.GlobalDir,
        "claude" => layout.ClaudeStateDir,
        // Validate only makes extra/ paths for folders in the layout.
        _ => layout.WritableExtra(Top["extra/".Length..])!.HostDir,
    };

    /// <summary>
    /// Judges a path the guest wants written (or deleted). Null reason means <paramref name="path"/> is set.
    /// Directories may carry one trailing '/', as tar writes them.
    /// </summary>
    public static string? Validate(string archivePath, bool isDirectory, WorkspaceLayout layout, out WorkspacePath? path)
    {
        path = null;
        if (string.IsNullOrEmpty(archivePath)) return "empty path";
        if (archivePath.Contains('\0')) return "path contains NUL";
        if (archivePath.Any(c => char.IsControl(c))) return "path contains control characters";
        if (archivePath.StartsWith('/')) return "absolute path";
        if (Encoding.UTF8.GetByteCount(archivePath) > MaxPathBytes) return $"path is longer than {MaxPathBytes} bytes";
        var trimmed = isDirectory && archivePath.EndsWith('/') ? archivePath[..^1] : archivePath;
        var parts = trimmed.Split('/');
        foreach (var part in parts)
        {
            if (part.Length == 0) return "empty path segment ('//' or a trailing '/')";
            if (part is "." or "..") return $"'{part}' segment";
            if (Encoding.UTF8.GetByteCount(part) > MaxSegmentBytes) return $"a segment is longer than {MaxSegmentBytes} bytes";
        }
        var top = parts[0];
        // Before any top-folder rule: these names run commands on the host in every folder, extra ones included.
        if (HostExecutedName.Reason(parts, isDirectory) is { } executed)
            return executed;
        if (top == "extra")
            return ValidateExtra(parts, isDirectory, layout, out path);
        if (top is not ("group" or "global" or "claude"))
            return "outside the writable folders (group/, claude/, global/)";
        if (top == "global" && !layout.GlobalWritable)
            return "global/ is read-only for this group";
        if (top == "group" && parts.Length > 1 && parts[1] == "logs")
            return "group/logs/ belongs to the host";
        if (!isDirectory && parts.Length == 1)
            return $"'{top}' is a top folder, not a file";
        path = new WorkspacePath(top, parts[1..]);
        return null;
    }

    /// <summary><c>extra/&lt;name&gt;/...</c>: only a folder the host made writable for this run, and never a path the
    /// mount rules block (a guest must not plant <c>.ssh/authorized_keys</c> or <c>.env</c> in a host folder).</summary>
    static string? ValidateExtra(string[] parts, bool isDirectory, WorkspaceLayout layout, out WorkspacePath? path)
    {
        path = null;
        if (parts.Length < 2 || layout.WritableExtra(parts[1]) is not { } folder)
            return parts.Length < 2 ? "'extra' is not a folder the guest may write" : $"extra/{parts[1]} is not a read-write extra folder of this run";
        if (!isDirectory && parts.Length == 2)
            return $"'extra/{parts[1]}' is a top folder, not a file";
        if (NanoClaw.ExtraFolders.MountValidator.BlockedPattern(string.Join('/', parts[2..]), folder.BlockedPatterns) is { } pattern)
            return $"matches the blocked pattern \"{pattern}\"";
        path = new WorkspacePath("extra/" + parts[1], parts[2..]);
        return null;
    }
}
