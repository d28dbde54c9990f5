using System.Formats.Tar;

namespace NanoClaw.Guest;

public static partial class WorkspaceSync
{
    /// <summary>
    /// Applies a guest's <c>changes</c>: the tar of new or modified files and the list of deleted paths.
    /// <list type="number">
    /// <item>Read the whole archive into a private staging folder, judging each entry (type, path, size). A malformed
    /// or truncated archive, or one over the total-size or entry cap, is refused whole: nothing is applied.</item>
    /// <item>Write each accepted file atomically (temp file + rename) after checking with lstat that no folder on
    /// the way is a symlink or a file on the host, and that the target is not a symlink or special file.</item>
    /// <item>Delete the listed paths under the same rules; only regular files are deleted.</item>
    /// </list>
    /// A refused entry never stops the valid ones; every refusal is in the result with its reason.
    /// </summary>
    /// <param name="changesTar">The payload of the <c>changes</c> frame (an empty stream when it announced 0 bytes).</param>
    public static async Task<WorkspaceSyncResult> ApplyChangesAsync(
        WorkspaceLayout layout, Stream changesTar, IReadOnlyList<string> deleted, WorkspaceSyncLimits limits, CancellationToken cancellationToken)
    {
        var staging = Directory.CreateTempSubdirectory("nanoclaw-sync-");
        try
        {
            // 1. Stage and judge.
            var refused = new List<SyncRefusal>();
            var (staged, wholeRefusal) = await StageAsync(changesTar, layout, limits, staging.FullName, refused, cancellationToken).ConfigureAwait(false);
            if (wholeRefusal is not null) return WorkspaceSyncResult.RefusedWhole(wholeRefusal);

            // 2. Write.
            var written = new List<string>();
            foreach (var entry in staged)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var problem = entry.StagedFile is null
                    ? EnsureDirectories(layout, entry.Path, entry.Path.Segments.Count)
                    : WriteFile(layout, entry);
                if (problem is null) { if (entry.StagedFile is not null) written.Add(entry.Path.ToString()); }
                else refused.Add(new SyncRefusal(entry.Path.ToString(), problem));
            }

            // 3. Delete.
            var removed = new List<string>();
            var writtenSet = written.ToHashSet(StringComparer.Ordinal);
            foreach (var raw in deleted)
            {
                var problem = WorkspacePath.Validate(raw, isDirectory: false, layout, out var path)
                    ?? (writtenSet.Contains(path!.ToString()) ? "the same archive also writes this path" : DeleteFile(layout, path!));
                if (problem is null) removed.Add(path!.ToString());
                else if (problem.Length > 0) refused.Add(new SyncRefusal(raw, problem));
            }
            return new WorkspaceSyncResult(written, removed, refused);
        }
        finally
        {
            staging.Delete(recursive: true);
        }
    }

    sealed record StagedEntry(WorkspacePath Path, string? StagedFile, bool Executable);

    static async Task<(List<StagedEntry> Staged, string? WholeRefusal)> StageAsync(
        Stream tar, WorkspaceLayout layout, WorkspaceSyncLimits limits, string stagingDir, List<SyncRefusal> refused, CancellationToken cancellationToken)
    {
        var staged = new List<StagedEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var (count, total) = (0, 0L);
        try
        {
            await using var reader = new TarReader(tar, leaveOpen: true);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (++count > limits.MaxEntries)
                    return ([], $"archive has more than {limits.MaxEntries} entries");
                total += entry.Length;
                if (total > limits.MaxTotalBytes)
                    return ([], $"archive holds more than {limits.MaxTotalBytes} bytes");

                var isFile = entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile;
                var isDir = entry.EntryType is TarEntryType.Directory;
                WorkspacePath? path = null;
                var problem = !isFile && !isDir
                    ? $"{entry.EntryType} entries are refused (only regular files and directories)"
                    : WorkspacePath.Validate(entry.Name, isDir, layout, out path);
                problem ??= isFile && entry.Length > limits.MaxFileBytes ? $"file is {entry.Length} bytes; the limit is {limits.MaxFileBytes}"
                    : !seen.Add(path!.ToString()) ? "duplicate entry"
                    : null;
                if (problem is not null)
                {
                    refused.Add(new SyncRefusal(entry.Name, problem));
                    continue; // the reader skips the entry's data
                }
                if (isDir)
                {
                    staged.Add(new StagedEntry(path!, null, false));
                    continue;
                }
                var file = Path.Combine(stagingDir, count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                long copied;
                await using (var output = new FileStream(file, System.IO.FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, useAsync: true))
                {
                    if (entry.DataStream is { } data) await data.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
                    copied = output.Length;
                }
                if (copied != entry.Length)
                    return ([], $"archive is truncated: '{entry.Name}' has {copied} of {entry.Length} bytes");
                staged.Add(new StagedEntry(path!, file, (entry.Mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0));
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException or OverflowException)
        {
            return ([], $"malformed archive: {e.Message}");
        }
        return (staged, null);
    }

    /// <summary>Makes sure the first <paramref name="depth"/> segments of <paramref name="path"/> are real directories on the host
    /// (creating missing ones), refusing when any of them is a symlink or not a directory.</summary>
    static string? EnsureDirectories(WorkspaceLayout layout, WorkspacePath path, int depth)
    {
        var current = path.TopDirectory(layout);
        Directory.CreateDirectory(current); // the top folder is the host's own choice, not the guest's
        for (var i = 0; i < depth; i++)
        {
            current = Path.Combine(current, path.Segments[i]);
            var status = LinuxStat.Lstat(current);
            if (status is null)
            {
                Directory.CreateDirectory(current);
                status = LinuxStat.Lstat(current);
            }
            if (status?.Type != LinuxFileType.Directory)
                return $"'{path.Top}/{string.Join('/', path.Segments.Take(i + 1))}' is a {Describe(status?.Type)} on the host, not a directory";
        }
        return null;
    }

    static string? WriteFile(WorkspaceLayout layout, StagedEntry entry)
    {
        var problem = EnsureDirectories(layout, entry.Path, entry.Path.Segments.Count - 1);
        if (problem is not null) return problem;
        var target = HostPath(layout, entry.Path);
        var existing = LinuxStat.Lstat(target);
        if (existing is { Type: not LinuxFileType.Regular })
            return $"the target is a {Describe(existing.Value.Type)} on the host";

        // rename(2) replaces the directory entry itself, so even a symlink that appeared meanwhile is replaced, not followed.
        var temp = Path.Combine(Path.GetDirectoryName(target)!, $".nanoclaw-sync-{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = entry.Executable ? ExecMode : FileMode;
            using (var output = new FileStream(temp, options))
            using (var input = File.OpenRead(entry.StagedFile!))
            {
                input.CopyTo(output);
                output.Flush(flushToDisk: true);
            }
            File.Move(temp, target, overwrite: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            return $"could not write: {e.Message}";
        }
    }

    /// <returns>Null when deleted, "" when there was nothing to delete, else why it was refused.</returns>
    static string? DeleteFile(WorkspaceLayout layout, WorkspacePath path)
    {
        if (path.Segments.Count == 0) return "a top folder cannot be deleted";
        var current = path.TopDirectory(layout);
        for (var i = 0; i < path.Segments.Count - 1; i++)
        {
            current = Path.Combine(current, path.Segments[i]);
            var status = LinuxStat.Lstat(current);
            if (status is null) return "";
            if (status.Value.Type != LinuxFileType.Directory)
                return $"'{path.Top}/{string.Join('/', path.Segments.Take(i + 1))}' is a {Describe(status.Value.Type)} on the host, not a directory";
        }
        var target = HostPath(layout, path);
        var existing = LinuxStat.Lstat(target);
        if (existing is null) return "";
        if (existing.Value.Type != LinuxFileType.Regular)
            return $"the target is a {Describe(existing.Value.Type)} on the host; only regular files are deleted";
        File.Delete(target);
        return null;
    }

    static string HostPath(WorkspaceLayout layout, WorkspacePath path) =>
        Path.Combine([path.TopDirectory(layout), .. path.Segments]);

    static string Describe(LinuxFileType? type) => type switch
    {
        null => "missing path",
        LinuxFileType.Regular => "file",
        LinuxFileType.Symlink => "symlink",
        LinuxFileType.Directory => "directory",
        _ => type.Value.ToString(),
    };
}
