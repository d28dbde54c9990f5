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
        var result = new PackState();
        await using (var writer = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (top, dir) in new[] { ("group", layout.GroupDir), ("global", layout.GlobalDir), ("claude", layout.ClaudeStateDir) })
            {
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, top + "/") { Mode = DirMode }, cancellationToken).ConfigureAwait(false);
                if (LinuxStat.Lstat(dir)?.Type == LinuxFileType.Directory)
                    await PackDirectoryAsync(writer, dir, top, skipLogs: top == "group", result, cancellationToken).ConfigureAwait(false);
                else if (Directory.Exists(dir))
                    result.Skipped.Add(top + "/ (the host folder is reached through a symlink)");
            }
        }
        return new WorkspacePackResult(result.Files, result.Directories, result.FileBytes, result.Skipped);
    }

    const UnixFileMode DirMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    const UnixFileMode ExecMode = FileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    static async Task PackDirectoryAsync(TarWriter writer, string dir, string prefix, bool skipLogs, PackState state, CancellationToken cancellationToken)
    {
        var names = Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (skipLogs && name == "logs") continue;
            var full = Path.Combine(dir, name);
            var entryName = prefix + "/" + name;
            var status = LinuxStat.Lstat(full);
            // A repository's config may hold remote tokens, and the guest could not send these names back anyway.
            if (status is { } s && HostExecutedName.Reason(name, isFile: s.Type != LinuxFileType.Directory) is not null)
            {
                state.Skipped.Add($"{entryName} (runs on the host; never synced)");
                continue;
            }
            switch (status?.Type)
            {
                case LinuxFileType.Directory:
                    await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, entryName + "/") { Mode = DirMode }, cancellationToken).ConfigureAwait(false);
                    state.Directories++;
                    await PackDirectoryAsync(writer, full, entryName, skipLogs: false, state, cancellationToken).ConfigureAwait(false);
                    break;
                case LinuxFileType.Regular:
                    await using (var data = new FileStream(full, System.IO.FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true))
                    {
                        var executable = (status.Value.Mode & 0b001_001_001) != 0;
                        var entry = new PaxTarEntry(TarEntryType.RegularFile, entryName) { Mode = executable ? ExecMode : FileMode, DataStream = data };
                        await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
                        state.Files++;
                        state.FileBytes += data.Length;
                    }
                    break;
                case null:
                    break; // vanished while we looked
                default:
                    state.Skipped.Add($"{entryName} ({status.Value.Type})");
                    break;
            }
        }
    }

    sealed class PackState
    {
        public int Files, Directories;
        public long FileBytes;
        public List<string> Skipped { get; } = [];
    }
}
