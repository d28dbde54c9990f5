namespace NanoClaw.Guest;

/// <summary>Caps on what one <c>changes</c> archive from a guest may carry.</summary>
/// <param name="MaxFileBytes">Largest single file; a bigger one is refused, the rest of the archive still applies.</param>
/// <param name="MaxTotalBytes">Largest sum of entry sizes; over it, the whole archive is refused.</param>
/// <param name="MaxEntries">Most entries (files, directories, refused ones too); over it, the whole archive is refused.</param>
public sealed record WorkspaceSyncLimits(long MaxFileBytes, long MaxTotalBytes, int MaxEntries)
{
    public static WorkspaceSyncLimits Default { get; } = new(MaxFileBytes: 32L << 20, MaxTotalBytes: 256L << 20, MaxEntries: 10_000);
}
