namespace NanoClaw.Guest;

/// <summary>One sync's worth of changes. Dispose deletes the scratch files.</summary>
sealed record Changes(string? TarPath, string SnapshotDir, IReadOnlyList<string> Written, IReadOnlyList<string> Deleted, IReadOnlyList<string> Skipped) : IDisposable
{
    public void Dispose()
    {
        if (TarPath is not null) File.Delete(TarPath);
        Directory.Delete(SnapshotDir, recursive: true);
    }
}
