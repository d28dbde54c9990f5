using System.Formats.Tar;

namespace NanoClaw.Guest;

/// <summary>
/// Moves a group's workspace into a VM (<see cref="PackAsync"/>) and the guest's changes back out
/// (<see cref="ApplyChangesAsync"/>). Packing trusts the host's files but never follows a symlink;
/// applying trusts nothing the guest sent.
/// </summary>
public static partial class WorkspaceSync
{
    /// <summary>
    /// Writes the workspace tar: <c>group/</c> (without its <c>logs/</c>), <c>global/</c>, <c>claude/</c>.
    /// Only directories and regular files go in; symlinks, devices, FIFOs and sockets are skipped (and listed), so nothing
    /// outside the tree can be pulled in through a link. A missing top folder is sent as an empty one.
    /// </summary>
    public static async Task<WorkspacePackResult> PackAsync(WorkspaceLayout layout, Stream destination, CancellationToken cancellationToken)
    {
        int files = 0, directories = 0;
        long fileBytes = 0;
        var skipped = new List<string>();
        await using (var writer = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in Walk(layout, skipped))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (entry.Status.Type == LinuxFileType.Directory)
                {
                    await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, entry.Name + "/") { Mode = DirMode }, cancellationToken).ConfigureAwait(false);
                    if (entry.Name.Contains('/')) directories++;
                    continue;
                }
                if (await WriteFileEntryAsync(writer, entry, cancellationToken).ConfigureAwait(false) is not { } bytes) continue; // vanished while we looked
                files++;
                fileBytes += bytes;
            }
        }
        return new WorkspacePackResult(files, directories, fileBytes, skipped);
    }

    /// <summary>
    /// A fingerprint of the files <see cref="PackAsync"/> would send now (each regular file's name, size and mtime),
    /// without reading any file: equal stamps mean a workspace sent earlier still holds what the host holds. A prepared
    /// run (<see cref="NanoClaw.Conversations.Conversation"/>) compares it before it takes a message. Folders count only
    /// through the files in them (a folder's own mtime moves whenever a file is added, and the tar carries none).
    /// </summary>
    /// <param name="leaveOut">Tar names (<c>group/media/...</c>) not counted: files that go into the run another way.</param>
    public static string Stamp(WorkspaceLayout layout, IReadOnlySet<string>? leaveOut = null)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var entry in Walk(layout, skipped: []))
        {
            if (entry.Status.Type != LinuxFileType.Regular || leaveOut?.Contains(entry.Name) == true) continue;
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{entry.Name}\0{entry.Status.Size}\0{entry.Status.MtimeNanoseconds}\n"));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Writes a tar of some files of the group's folder, for a session that is already running (a message's attachments,
    /// stored after its workspace was sent): <c>group/&lt;path&gt;</c>, regular files only, by the rules of
    /// <see cref="PackAsync"/> (no symlink followed on the way or at the end, not <c>logs/</c>, no names the host executes).
    /// A path that breaks them, or whose file is gone, is left out and listed.
    /// </summary>
    /// <param name="paths">Paths relative to <see cref="WorkspaceLayout.GroupDir"/>.</param>
    public static async Task<WorkspacePackResult> PackGroupFilesAsync(WorkspaceLayout layout, IEnumerable<string> paths, Stream destination,
        CancellationToken cancellationToken)
    {
        int files = 0;
        long fileBytes = 0;
        var skipped = new List<string>();
        await using (var writer = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var path in paths)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var name = "group/" + path;
                if (GroupFile(layout, name) is not { } entry
                    || await WriteFileEntryAsync(writer, entry, cancellationToken).ConfigureAwait(false) is not { } bytes)
                {
                    skipped.Add(name);
                    continue;
                }
                files++;
                fileBytes += bytes;
            }
        }
        return new WorkspacePackResult(files, 0, fileBytes, skipped);
    }

    /// <summary>Writes a regular file as a tar entry (executable if any execute bit is set); returns its bytes, or null
    /// when it vanished before it could be opened.</summary>
    static async Task<long?> WriteFileEntryAsync(TarWriter writer, WorkspaceEntry entry, CancellationToken cancellationToken)
    {
        FileStream data;
        try { data = new FileStream(entry.FullPath, System.IO.FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true); }
        catch (FileNotFoundException) { return null; }
        await using (data)
        {
            var executable = (entry.Status.Mode & 0b001_001_001) != 0;
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, entry.Name) { Mode = executable ? ExecMode : FileMode, DataStream = data }, cancellationToken).ConfigureAwait(false);
            return data.Length;
        }
    }

    /// <summary>A <c>group/...</c> tar name as a workspace entry (where it lives on the host, its lstat), when it is a
    /// regular file reached through real folders only and a name <see cref="PackAsync"/> would send; otherwise null.</summary>
    static WorkspaceEntry? GroupFile(WorkspaceLayout layout, string name)
    {
        if (WorkspacePath.Validate(name, isDirectory: false, layout, out var validated) is not null || validated!.Top != "group") return null;
        if (LinuxStat.Lstat(layout.GroupDir)?.Type != LinuxFileType.Directory) return null; // as PackAsync: sent as an empty folder
        var full = layout.GroupDir;
        for (var i = 0; i < validated.Segments.Count; i++)
        {
            full = Path.Combine(full, validated.Segments[i]);
            var last = i == validated.Segments.Count - 1;
            if (LinuxStat.Lstat(full) is not { } status || status.Type != (last ? LinuxFileType.Regular : LinuxFileType.Directory)) return null;
            if (last) return new WorkspaceEntry(name, full, status);
        }
        return null;
    }

    const UnixFileMode DirMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    const UnixFileMode ExecMode = FileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>One directory or regular file of the workspace: its name in the tar, where it is, its lstat.</summary>
    readonly record struct WorkspaceEntry(string Name, string FullPath, LinuxFileStatus Status);

    /// <summary>
    /// The workspace in tar order: the three top folders (<c>group/</c> without its <c>logs/</c>, <c>global/</c>,
    /// <c>claude/</c>), then their directories and regular files, depth first, names in ordinal order. Anything else
    /// (symlinks, devices, FIFOs, sockets, names the host executes) is left out and listed in <paramref name="skipped"/>.
    /// </summary>
    static IEnumerable<WorkspaceEntry> Walk(WorkspaceLayout layout, List<string> skipped)
    {
        foreach (var (top, dir) in new[] { ("group", layout.GroupDir), ("global", layout.GlobalDir), ("claude", layout.ClaudeStateDir) })
        {
            // A missing top folder is sent as an empty one.
            yield return new WorkspaceEntry(top, dir, new LinuxFileStatus(LinuxFileType.Directory, 0, 0, 0));
            if (LinuxStat.Lstat(dir)?.Type == LinuxFileType.Directory)
            {
                foreach (var entry in WalkDirectory(dir, top, skipLogs: top == "group", skipped)) yield return entry;
            }
            else if (Directory.Exists(dir))
                skipped.Add(top + "/ (the host folder is reached through a symlink)");
        }
    }

    static IEnumerable<WorkspaceEntry> WalkDirectory(string dir, string prefix, bool skipLogs, List<string> skipped)
    {
        var names = Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        foreach (var name in names)
        {
            if (skipLogs && name == "logs") continue;
            var full = Path.Combine(dir, name);
            var entryName = prefix + "/" + name;
            var status = LinuxStat.Lstat(full);
            // A repository's config may hold remote tokens, and the guest could not send these names back anyway.
            if (status is { } s && HostExecutedName.Reason(name, isFile: s.Type != LinuxFileType.Directory) is not null)
            {
                skipped.Add($"{entryName} (runs on the host; never synced)");
                continue;
            }
            switch (status?.Type)
            {
                case LinuxFileType.Directory:
                    yield return new WorkspaceEntry(entryName, full, status.Value);
                    foreach (var entry in WalkDirectory(full, entryName, skipLogs: false, skipped)) yield return entry;
                    break;
                case LinuxFileType.Regular:
                    yield return new WorkspaceEntry(entryName, full, status.Value);
                    break;
                case null:
                    break; // vanished while we looked
                default:
                    skipped.Add($"{entryName} ({status.Value.Type})");
                    break;
            }
        }
    }
}
