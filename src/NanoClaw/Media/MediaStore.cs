using System.Globalization;
using NanoClaw.Guest;

namespace NanoClaw.Media;

/// <summary>
/// Stores inbound files in the group's folder: <c>groups/&lt;folder&gt;/media/&lt;yyyy-MM-dd&gt;/&lt;stem&gt;.&lt;ext&gt;</c> (the
/// host's UTC date of arrival; names from <see cref="MediaNames"/>), directories 0700 and files 0600. Each file is written to
/// a temp name in the same folder, flushed to disk and renamed, and all of that before the caller stores the message row:
/// a crash (kill -9) between the two leaves a complete file no row points to (pruned with its day), never a row pointing
/// to nothing or to half a file; a crash mid-copy leaves a <c>.part</c> file, deleted by the next prune. A message stored
/// twice (the sidecar repeats ids after a reconnect) lands on the same name.
/// <para>The group's folder is written by agents too (sync-back), so <c>media/</c> and the day folder must be real
/// directories, not symlinks: anything else is refused rather than followed.</para>
/// </summary>
public sealed class MediaStore(string groupsDir, long maxBytes, TimeProvider time)
{
    public const string FolderName = "media";
    public const string PartSuffix = ".part";
    const UnixFileMode OwnerDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public long MaxBytes => maxBytes;
    public string GroupsDir => groupsDir;

    /// <summary>
    /// Copies <paramref name="source"/> into the group's media folder. <paramref name="declaredSize"/> (what the sender's
    /// app claimed) is checked before any byte is read, and the bytes themselves while copying.
    /// </summary>
    /// <exception cref="MediaTooLargeException">Over the cap; nothing is left behind.</exception>
    /// <exception cref="IOException">The media folder is not a plain directory, or the copy failed.</exception>
    public async Task<Attachment> StoreAsync(string groupFolder, string messageId, AttachmentKind kind, string? mime, Stream source,
        long? declaredSize, CancellationToken cancellationToken)
    {
        if (GroupFolder.Validate(groupFolder) is { } error) throw new ArgumentException(error, nameof(groupFolder));
        if (declaredSize is { } declared && (declared < 0 || declared > maxBytes))
            throw new MediaTooLargeException(maxBytes, declared < 0 ? $"the declared size {declared} is not a size" : $"the file is {MediaNames.Megabytes(declared)}");
        var cleanMime = MediaNames.CleanMime(mime, kind);
        var day = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var groupDir = Path.Combine(groupsDir, groupFolder);
        if (LinuxStat.Lstat(groupDir) is null) Directory.CreateDirectory(groupDir);
        var dayDir = EnsureDirectory(EnsureDirectory(groupDir, FolderName), day);
        var name = MediaNames.Stem(messageId) + "." + MediaNames.Extension(cleanMime);
        var final = Path.Combine(dayDir, name);
        var temp = Path.Combine(dayDir, "." + name + "." + Guid.NewGuid().ToString("N")[..8] + PartSuffix);
        long written = 0;
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerFile;
            await using (var target = new FileStream(temp, options))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    written += read;
                    if (written > maxBytes) throw new MediaTooLargeException(maxBytes, $"the file is over {MediaNames.Megabytes(maxBytes)} (stopped reading at {written} bytes)");
                    await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                await target.FlushAsync(cancellationToken);
                target.Flush(flushToDisk: true);
            }
            // A directory an agent planted under the final name would make the rename fail (reported); a file is replaced.
            File.Move(temp, final, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        return new Attachment(kind, $"{FolderName}/{day}/{name}", cleanMime, written);
    }

    /// <summary>The absolute path of an attachment's file under <paramref name="groupFolder"/>.</summary>
    public string FullPath(string groupFolder, Attachment attachment) =>
        Path.Combine(groupsDir, groupFolder, attachment.RelativePath ?? throw new ArgumentException("the attachment was not stored", nameof(attachment)));

    /// <summary>
    /// Deletes day folders older than <paramref name="keepDays"/> days (by their name, against the host's UTC date) in every
    /// group's <c>media/</c>, and <c>.part</c> files older than an hour (a crash mid-copy). Symlinks are removed, never followed.
    /// Returns how many day folders went.
    /// </summary>
    public int Prune(int keepDays)
    {
        var now = time.GetUtcNow();
        var oldestKept = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-keepDays);
        var removed = 0;
        if (LinuxStat.Lstat(groupsDir)?.Type != LinuxFileType.Directory) return 0;
        foreach (var groupDir in Directory.EnumerateDirectories(groupsDir))
        {
            var media = Path.Combine(groupDir, FolderName);
            if (LinuxStat.Lstat(media)?.Type != LinuxFileType.Directory) continue;
            foreach (var entry in Directory.EnumerateFileSystemEntries(media))
            {
                var status = LinuxStat.Lstat(entry);
                var isDay = DateOnly.TryParseExact(Path.GetFileName(entry), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date);
                if (status?.Type == LinuxFileType.Directory)
                {
                    if (isDay && date < oldestKept)
                    {
                        Directory.Delete(entry, recursive: true); // .NET removes links inside without following them
                        removed++;
                    }
                    else DeleteStaleParts(entry, now);
                }
                else if (status?.Type == LinuxFileType.Symlink && isDay) File.Delete(entry);
            }
        }
        return removed;
    }

    static void DeleteStaleParts(string dir, DateTimeOffset now)
    {
        foreach (var file in Directory.EnumerateFiles(dir, "*" + PartSuffix))
        {
            if (LinuxStat.Lstat(file) is { Type: LinuxFileType.Regular } s
                && DateTimeOffset.FromUnixTimeMilliseconds(s.MtimeNanoseconds / 1_000_000) < now - TimeSpan.FromHours(1))
                File.Delete(file);
        }
    }

    static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
    }

    /// <summary>Creates <paramref name="parent"/>/<paramref name="name"/> as an owner-only directory; refuses one that is not a real directory.</summary>
    static string EnsureDirectory(string parent, string name)
    {
        var dir = Path.Combine(parent, name);
        switch (LinuxStat.Lstat(dir)?.Type)
        {
            case null:
                if (LinuxStat.Lstat(parent)?.Type != LinuxFileType.Directory)
                    throw new IOException($"{parent} is not a directory; cannot store media there.");
                Directory.CreateDirectory(dir);
                SetMode(dir, OwnerDir); // not through CreateDirectory's mode: the umask would apply
                break;
            case LinuxFileType.Directory:
                SetMode(dir, OwnerDir);
                break;
            case var other:
                throw new IOException($"{dir} is a {other}, not a directory; media are not stored through it. Remove it.");
        }
        return dir;
    }
}
