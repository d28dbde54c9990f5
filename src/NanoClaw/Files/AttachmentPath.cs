using NanoClaw.Guest;

namespace NanoClaw.Files;

/// <summary>
/// The path an agent gives <c>send_message</c> for a file, judged before anything is looked up on the host. Only the
/// group's own folder can be sent from: <c>/workspace/group/...</c> as the VM sees it, or a path relative to it (Claude
/// Code's working directory). The segments then go through the same rules as every synced-back path
/// (<see cref="WorkspacePath.Validate"/>: no <c>..</c>, no control characters, not <c>logs/</c>, no host-executed names).
/// </summary>
public static class AttachmentPath
{
    public const string GroupPrefix = "/workspace/group/";

    /// <summary>The segments under the group folder, or null with <paramref name="problem"/> saying what to do instead.</summary>
    public static IReadOnlyList<string>? Parse(string? path, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(path)) { problem = "attachment is empty."; return null; }
        string relative;
        if (path.StartsWith(GroupPrefix, StringComparison.Ordinal)) relative = path[GroupPrefix.Length..];
        else if (path.StartsWith('/')) { problem = $"attachment must be a file in your group folder ({GroupPrefix}...); other folders cannot be sent. Copy the file there first."; return null; }
        else relative = path;

        // The rules of the synced-back files, on the group/ top folder only; an empty layout lends no extra folder.
        var layout = new WorkspaceLayout(GroupDir: "", GlobalDir: "", ClaudeStateDir: "", GlobalWritable: false);
        if (WorkspacePath.Validate("group/" + relative, isDirectory: false, layout, out var validated) is { } reason)
        {
            problem = $"attachment {reason}; give a plain path of a file in your group folder, like {GroupPrefix}out/chart.png.";
            return null;
        }
        return validated!.Segments;
    }
}
