namespace NanoClaw.Guest;

/// <summary>What applying a guest's changes did, for the caller to log. Paths are archive paths (<c>group/notes.md</c>).</summary>
/// <param name="ArchiveRefused">Set when the whole archive was refused (malformed, truncated, over the total or entry cap):
/// then nothing was written or deleted.</param>
public sealed record WorkspaceSyncResult(
    IReadOnlyList<string> Written,
    IReadOnlyList<string> Deleted,
    IReadOnlyList<SyncRefusal> Refused,
    string? ArchiveRefused = null)
{
    /// <summary>True when everything the guest sent was applied.</summary>
    public bool AllApplied => ArchiveRefused is null && Refused.Count == 0;

    internal static WorkspaceSyncResult RefusedWhole(string reason) => new([], [], [], reason);
}

/// <summary>One entry or deletion that was not applied, and why.</summary>
public sealed record SyncRefusal(string Path, string Reason);
