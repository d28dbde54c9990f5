namespace NanoClaw.Guest;

/// <summary>Where one group's workspace lives on the host. In the tar it is <c>group/</c>, <c>global/</c> and <c>claude/</c>.</summary>
/// <param name="GroupDir">The group's folder (<c>groups/&lt;folder&gt;</c>); its <c>logs/</c> stays on the host.</param>
/// <param name="GlobalDir">The shared <c>groups/global</c> folder every group reads.</param>
/// <param name="ClaudeStateDir">The group's Claude Code state (sessions), <c>~/.claude</c> inside the VM.</param>
/// <param name="GlobalWritable">True only for the main group: changes to <c>global/</c> from any other group are refused.</param>
/// <param name="WritableExtras">The group's read-write extra folders: in the changes tar as <c>extra/&lt;name&gt;/</c>.</param>
public sealed record WorkspaceLayout(string GroupDir, string GlobalDir, string ClaudeStateDir, bool GlobalWritable,
    IReadOnlyList<WritableExtraFolder>? WritableExtras = null)
{
    public WritableExtraFolder? WritableExtra(string name) => WritableExtras?.FirstOrDefault(e => e.Name == name);
}

/// <summary>A read-write extra folder as the write-back sees it: its name in the VM, the real host folder it goes back to
/// (resolved and approved by the mount rules at the start of the run), and the blocked patterns no change may match.</summary>
public sealed record WritableExtraFolder(string Name, string HostDir, IReadOnlyList<string> BlockedPatterns);
