using System.Formats.Tar;
using System.Security.Cryptography;

namespace NanoClaw.Guest;

/// <summary>
/// Knows what the workspace looked like at the last sync and produces what changed since: new or modified
/// regular files (as a tar) and deleted ones. A file counts as modified when its size or mtime moved and its
/// content hash differs (or, in an unhashed top, when its size or mtime moved). Scans never follow symlinks; symlinks,
/// devices and FIFOs are never sent.
/// </summary>
sealed class ChangeTracker
{
    sealed record FileState(long Size, long MtimeNs, byte[] Hash);

    readonly IReadOnlyList<(string Top, string Dir)> _tops;
    readonly string _scratchDir;
    Dictionary<string, FileState> _manifest = new(StringComparer.Ordinal);
    int _syncs;

    ChangeTracker(IReadOnlyList<(string Top, string Dir)> tops, string scratchDir) => (_tops, _scratchDir) = (tops, scratchDir);

    /// <summary>Takes the baseline. <paramref name="knownHashes"/> (from extraction) spares reading those files again;
    /// files under <paramref name="unhashedTops"/> are not read at all (an empty hash means "unknown").</summary>
    public static ChangeTracker Baseline(IReadOnlyList<(string Top, string Dir)> tops, IReadOnlyDictionary<string, byte[]> knownHashes, string scratchDir,
        IReadOnlyCollection<string>? unhashedTops = null)
    {
        var tracker = new ChangeTracker(tops, scratchDir);
        foreach (var (path, full, status) in tracker.Scan())
        {
            var hash = knownHashes.TryGetValue(path, out var known) ? known
                : unhashedTops?.Any(top => path.StartsWith(top + "/", StringComparison.Ordinal)) == true ? []
                : HashFile(full);
            tracker._manifest[path] = new FileState(status.Size, status.MtimeNanoseconds, hash);
        }
        return tracker;
    }

    /// <summary>Counts a file the host put in during the run (it came with a message) as synced: it is the host's already.</summary>
    public void Record(string path, LinuxFileStatus status, byte[] hash) => _manifest[path] = new FileState(status.Size, status.MtimeNanoseconds, hash);

    /// <summary>Writes a tar of what changed since the last call into a scratch file (null when nothing changed).</summary>
    public async Task<Changes> CollectAsync(CancellationToken cancellationToken)
    {
        var next = new Dictionary<string, FileState>(StringComparer.Ordinal);
        var changed = new List<(string Path, string Snapshot)>();
        var skipped = new List<string>();
        var snapshots = Path.Combine(_scratchDir, $"sync-{++_syncs}");
        Directory.CreateDirectory(snapshots);
        var snapshotCount = 0;
        foreach (var (path, full, status) in Scan(skipped))
        {
            if (_manifest.TryGetValue(path, out var before) && before.Size == status.Size && before.MtimeNs == status.MtimeNanoseconds)
            {
                next[path] = before;
                continue;
            }
            // Snapshot first: the tar must hold exactly the bytes its header announces even if the file keeps changing.
            var snapshot = Path.Combine(snapshots, (++snapshotCount).ToString(System.Globalization.CultureInfo.InvariantCulture));
            try { File.Copy(full, snapshot); }
            catch (FileNotFoundException) { continue; } // deleted while we looked: reported as deleted next time
            var hash = HashFile(snapshot);
            next[path] = new FileState(status.Size, status.MtimeNanoseconds, hash);
            if (before is not null && before.Hash.Length > 0 && before.Hash.AsSpan().SequenceEqual(hash))
            {
                File.Delete(snapshot); // touched, not changed
                continue;
            }
            changed.Add((path, snapshot)); // File.Copy kept the mode bits, so the tar carries the executable bit
        }
        var deleted = _manifest.Keys.Where(k => !next.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        _manifest = next;

        string? tarPath = null;
        if (changed.Count > 0)
        {
            tarPath = Path.Combine(_scratchDir, $"changes-{_syncs}.tar");
            await using var file = File.Create(tarPath);
            await using var writer = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: false);
            foreach (var (path, snapshot) in changed)
                await writer.WriteEntryAsync(snapshot, path, cancellationToken).ConfigureAwait(false);
        }
        return new Changes(tarPath, snapshots, changed.Select(c => c.Path).ToList(), deleted, skipped);
    }

    IEnumerable<(string Path, string Full, LinuxFileStatus Status)> Scan(List<string>? skipped = null)
    {
        foreach (var (top, dir) in _tops)
            if (LinuxStat.Lstat(dir)?.Type == LinuxFileType.Directory)
                foreach (var item in Walk(dir, top, skipped))
                    yield return item;
    }

    static IEnumerable<(string Path, string Full, LinuxFileStatus Status)> Walk(string dir, string prefix, List<string>? skipped)
    {
        foreach (var full in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
        {
            var path = prefix + "/" + Path.GetFileName(full);
            var status = LinuxStat.Lstat(full);
            if (status is null) continue;
            if (status.Value.Type == LinuxFileType.Directory)
                foreach (var item in Walk(full, path, skipped)) yield return item;
            else if (status.Value.Type == LinuxFileType.Regular)
                yield return (path, full, status.Value);
            else
                skipped?.Add($"{path} ({status.Value.Type})");
        }
    }

    static byte[] HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return SHA256.HashData(stream);
    }
}
