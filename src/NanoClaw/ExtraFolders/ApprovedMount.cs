namespace NanoClaw.ExtraFolders;

/// <summary>
/// A request that passed every rule. <see cref="HostPath"/> is the fully resolved real path (no symlinks):
/// mount exactly that, never the path as requested, so a symlink swapped afterwards cannot redirect the mount.
/// <see cref="Note"/> says why a read-write request was downgraded to read-only, when it was.
/// </summary>
public sealed record ApprovedMount(AdditionalMount Requested, string HostPath, string Name, bool ReadOnly, string? Note)
{
    public const string GuestRoot = "/workspace/extra";

    /// <summary>Where the folder appears inside the VM.</summary>
    public string GuestPath => GuestRoot + "/" + Name;
}
