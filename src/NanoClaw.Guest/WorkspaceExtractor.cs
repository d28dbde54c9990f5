using System.Formats.Tar;
using System.Security.Cryptography;

namespace NanoClaw.Guest;

/// <summary>
/// Unpacks the host's workspace tar into <see cref="GuestPaths"/> and hands the folders to the agent user.
/// The host is trusted here, but a bad path still must not land outside the workspace, so entries are checked anyway.
/// </summary>
static class WorkspaceExtractor
{
    const UnixFileMode Exec = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Extracts every entry; returns the SHA-256 of each extracted file by archive path (hashed while
    /// writing, so the change baseline costs no second read) and what was skipped.</summary>
    public static async Task<(Dictionary<string, byte[]> Hashes, List<string> Skipped)> ExtractAsync(
        Stream tar, GuestPaths paths, CancellationToken cancellationToken)
    {
        foreach (var (_, dir) in paths.Tops) Directory.CreateDirectory(dir);
        var hashes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var skipped = new List<string>();
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            var isDir = entry.EntryType == TarEntryType.Directory;
            var isFile = entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile;
            var target = isDir || isFile ? Resolve(entry.Name, paths) : null;
            if (target is null)
            {
                skipped.Add($"{entry.Name} ({entry.EntryType})");
                continue;
            }
            if (isDir)
            {
                Directory.CreateDirectory(target);
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            hashes[entry.Name] = await WriteAsync(entry, target, FileMode.Create, cancellationToken).ConfigureAwait(false);
        }
        return (hashes, skipped);
    }

    /// <summary>
    /// Puts the files a message brought (a tar of <c>group/...</c> regular files) into the group's folder while the session
    /// runs. By now the folder is the agent's and its processes may have left symlinks in it, so nothing is followed: each
    /// folder on the way must be a real folder (a missing one is made, the agent's), the target absent or a regular file,
    /// and the file is written beside it under a fresh name (<c>O_EXCL</c>), handed to the agent and renamed over it.
    /// Calls <paramref name="placed"/> with each file's archive path, lstat and SHA-256; returns what was left out and why.
    /// </summary>
    public static async Task<List<string>> PlaceMessageFilesAsync(Stream tar, GuestPaths paths, bool privileged,
        Action<string, LinuxFileStatus, byte[]> placed, CancellationToken cancellationToken)
    {
        var skipped = new List<string>();
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) { skipped.Add($"{entry.Name} ({entry.EntryType})"); continue; }
            if (PlainParts(entry.Name) is not ["group", _, ..] parts) { skipped.Add($"{entry.Name} (not a file of the group's folder)"); continue; }
            string? temp = null;
            try
            {
                if (FolderFor(paths.GroupDir, parts[1..^1], privileged) is not { } folder) { skipped.Add($"{entry.Name} (a folder on the way is not a folder here)"); continue; }
                var target = Path.Combine(folder, parts[^1]);
                if (LinuxStat.Lstat(target) is { Type: not LinuxFileType.Regular }) { skipped.Add($"{entry.Name} (something else has that name here)"); continue; }
                temp = Path.Combine(folder, $".{parts[^1]}.nanoclaw-{Guid.NewGuid():N}");
                var hash = await WriteAsync(entry, temp, FileMode.CreateNew, cancellationToken).ConfigureAwait(false);
                if (privileged) Native.LChownOrThrow(temp, GuestPaths.AgentUid, GuestPaths.AgentGid);
                File.Move(temp, target, overwrite: true); // rename(2): a symlink put at the target since is replaced, not followed
                temp = null;
                if (LinuxStat.Lstat(target) is { Type: LinuxFileType.Regular } status) placed(entry.Name, status, hash);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                skipped.Add($"{entry.Name} ({e.Message})");
            }
            finally
            {
                if (temp is not null) File.Delete(temp);
            }
        }
        return skipped;
    }

    /// <summary>Writes a tar entry's bytes to <paramref name="path"/> (executable if the entry is) and returns their SHA-256,
    /// hashed while writing, so a change baseline needs no second read.</summary>
    static async Task<byte[]> WriteAsync(TarEntry entry, string path, FileMode mode, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, UnixCreateMode = (entry.Mode & Exec) != 0 ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100 };
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var output = new FileStream(path, options))
        {
            if (entry.DataStream is { } data)
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await data.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        return hash.GetHashAndReset();
    }

    /// <summary><paramref name="root"/>/<paramref name="folders"/> when each one on the way is a real folder (missing ones
    /// are made, and given to the agent when <paramref name="privileged"/>); null when one is anything else.</summary>
    static string? FolderFor(string root, IEnumerable<string> folders, bool privileged)
    {
        var dir = root;
        if (LinuxStat.Lstat(dir)?.Type != LinuxFileType.Directory) return null;
        foreach (var name in folders)
        {
            dir = Path.Combine(dir, name);
            if (LinuxStat.Lstat(dir) is null)
            {
                Directory.CreateDirectory(dir);
                if (privileged) Native.LChownOrThrow(dir, GuestPaths.AgentUid, GuestPaths.AgentGid);
            }
            if (LinuxStat.Lstat(dir)?.Type != LinuxFileType.Directory) return null;
        }
        return dir;
    }

    /// <summary>The local path for an archive path, or null when it is not a plain path under one of the top folders.</summary>
    static string? Resolve(string name, GuestPaths paths)
    {
        if (PlainParts(name.TrimEnd('/')) is not { } parts) return null;
        var top = paths.Tops.FirstOrDefault(t => t.Top == parts[0]).Dir;
        return top is null ? null : Path.Combine([top, .. parts[1..]]);
    }

    /// <summary>An archive path's segments, or null when one is empty, <c>.</c>, <c>..</c> or holds NUL.</summary>
    static string[]? PlainParts(string name)
    {
        var parts = name.Split('/');
        return parts.Any(p => p is "" or "." or ".." || p.Contains('\0')) ? null : parts;
    }

    /// <summary>
    /// Gives the workspace to the agent user (uid/gid 1000), never following symlinks. When this group may not
    /// write <c>global/</c>, that folder stays root's and read-only, so the agent learns at once instead of
    /// having its edits refused by the host later.
    /// </summary>
    public static void HandOver(GuestPaths paths, bool globalWritable)
    {
        foreach (var dir in new[] { paths.Workspace, paths.Home })
            Native.LChownOrThrow(dir, GuestPaths.AgentUid, GuestPaths.AgentGid);
        ChownTree(paths.GroupDir, GuestPaths.AgentUid, GuestPaths.AgentGid);
        ChownTree(paths.ClaudeStateDir, GuestPaths.AgentUid, GuestPaths.AgentGid);
        if (globalWritable) ChownTree(paths.GlobalDir, GuestPaths.AgentUid, GuestPaths.AgentGid);
        else ChownTree(paths.GlobalDir, 0, 0);
    }

    /// <summary>Changes the owner of <paramref name="dir"/> and everything below it; chown keeps mtimes.</summary>
    internal static void ChownTree(string dir, int uid, int gid)
    {
        Native.LChownOrThrow(dir, uid, gid);
        foreach (var child in Directory.EnumerateFileSystemEntries(dir))
        {
            if (LinuxStat.Lstat(child)?.Type == LinuxFileType.Directory) ChownTree(child, uid, gid);
            else Native.LChownOrThrow(child, uid, gid);
        }
    }
}
