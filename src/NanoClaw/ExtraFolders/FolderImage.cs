using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NanoClaw.Guest;
using NanoClaw.Vm;

namespace NanoClaw.ExtraFolders;

/// <summary>
/// A read-only ext4 image of one approved extra folder, as the VM gets it (a virtio-blk disk the VMM opens
/// <c>readonly=on</c>). Built with <c>mkfs.ext4 -d</c>: no root, no loop device, no mount on the host.
/// <para>
/// What goes in: directories and regular files, never following a symlink. Symlinks, FIFOs, sockets and devices
/// are left out, and so is every entry whose path (relative to the folder) matches a blocked pattern of the
/// allowlist, with everything below it. The filtered tree is staged first (hard links, or copies when a link is
/// refused, e.g. across file systems), so mkfs only ever sees what passed the filter.
/// </para>
/// <para>
/// Cache: <c>$NANOCLAW_CACHE/folders/&lt;hash of the resolved host path&gt;/image-&lt;manifest hash&gt;.ext4</c>. The
/// manifest is cheap: relative path, kind, size and mtime of every entry (plus the label and the patterns), so a
/// repeat run costs one directory walk. An unchanged tree reuses the image; a changed one builds a new image
/// into a temp file and renames it into place (atomic), then removes the older images of that folder.
/// </para>
/// </summary>
public sealed record FolderImage(string ImagePath, string Label, bool Reused, int Files, long FileBytes, IReadOnlyList<string> Skipped)
{
    /// <summary>An ext4 volume label is at most 16 bytes.</summary>
    const int MaxLabelBytes = 16;
    const int BlockSize = 4096;
    // Room for a read-write folder's new files, in the VM's throwaway write layer. The image file is sparse, so
    // unused room costs no disk; the inode tables for the spare inodes (256 bytes each) do, about 1 MiB.
    const int SpareInodes = 4096;
    const long SpareBytes = 256L * 1024 * 1024;

    /// <summary>Builds the image of <paramref name="hostPath"/> (a resolved folder), or reuses the cached one while nothing changed.</summary>
    /// <exception cref="IOException">mkfs.ext4 failed, or the folder cannot be read.</exception>
    public static async Task<FolderImage> EnsureAsync(string cacheDir, string hostPath, string name, IReadOnlyList<string> blockedPatterns, CancellationToken ct)
    {
        var label = LabelFor(name);
        var entries = new List<Entry>();
        var skipped = new List<string>();
        Walk(hostPath, "", blockedPatterns, entries, skipped);

        var dir = Directory.CreateDirectory(Path.Combine(cacheDir, "folders", Hash(hostPath))).FullName;
        var image = Path.Combine(dir, $"image-{Manifest(label, blockedPatterns, entries)}.ext4");
        var files = entries.Count(e => !e.IsDirectory);
        var bytes = entries.Sum(e => e.Size);
        if (File.Exists(image))
            return new FolderImage(image, label, Reused: true, files, bytes, skipped);

        var stage = Path.Combine(dir, "stage-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        var temp = image + ".tmp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        try
        {
            Stage(hostPath, stage, entries);
            var blocks = SizeInBlocks(entries);
            var result = await ChildProcess.RunAsync("mkfs.ext4",
                ["-q", "-F", "-b", BlockSize.ToString(CultureInfo.InvariantCulture), "-O", "^has_journal", "-m", "0",
                 "-N", (entries.Count + SpareInodes).ToString(CultureInfo.InvariantCulture),
                 "-d", stage, "-L", label, "-E", "root_owner=1000:1000", temp, blocks.ToString(CultureInfo.InvariantCulture)],
                configure: null, onLine: null, timeout: TimeSpan.FromMinutes(30), ct);
            if (result.ExitCode != 0)
                throw new IOException($"mkfs.ext4 could not build the image of {hostPath}: {result.LastError}");
            File.Move(temp, image, overwrite: true);
        }
        finally
        {
            if (Directory.Exists(stage)) Directory.Delete(stage, recursive: true);
            File.Delete(temp);
        }
        // NOTE: a run that picked an older image a moment ago and has not booted yet loses it here; that image
        // was already stale (the folder changed), and the run fails to boot rather than showing old content.
        foreach (var old in Directory.EnumerateFiles(dir, "image-*.ext4").Where(p => p != image))
            File.Delete(old);
        return new FolderImage(image, label, Reused: false, files, bytes, skipped);
    }

    /// <summary>The volume label for a mount name: its first 16 bytes of ASCII letters, digits, '-' and '_'.</summary>
    public static string LabelFor(string name)
    {
        var label = new string([.. name.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').Take(MaxLabelBytes)]);
        return label.Length > 0 ? label : "extra";
    }

    readonly record struct Entry(string Relative, bool IsDirectory, long Size, long MtimeNanoseconds);

    static void Walk(string root, string relative, IReadOnlyList<string> blockedPatterns, List<Entry> entries, List<string> skipped)
    {
        var dir = relative.Length == 0 ? root : Path.Combine(root, relative);
        foreach (var info in new DirectoryInfo(dir).EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            var rel = relative.Length == 0 ? info.Name : relative + "/" + info.Name;
            if (MountValidator.BlockedPattern(rel, blockedPatterns) is not null) { skipped.Add(rel); continue; }
            // lstat, not FileSystemInfo, which reports FIFOs and devices as ordinary files.
            switch (LinuxStat.Lstat(info.FullName))
            {
                case { Type: LinuxFileType.Directory } d:
                    entries.Add(new Entry(rel, true, 0, d.MtimeNanoseconds));
                    Walk(root, rel, blockedPatterns, entries, skipped);
                    break;
                case { Type: LinuxFileType.Regular } f:
                    entries.Add(new Entry(rel, false, f.Size, f.MtimeNanoseconds));
                    break;
                default:
                    skipped.Add(rel);
                    break;
            }
        }
    }

    static string Manifest(string label, IReadOnlyList<string> blockedPatterns, List<Entry> entries)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string line) => hash.AppendData(Encoding.UTF8.GetBytes(line + "\n"));
        Add("label\0" + label);
        foreach (var p in blockedPatterns) Add("blocked\0" + p);
        foreach (var e in entries)
            Add(string.Create(CultureInfo.InvariantCulture, $"{(e.IsDirectory ? 'd' : 'f')}\0{e.Relative}\0{e.Size}\0{e.MtimeNanoseconds}"));
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    static string Hash(string hostPath) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hostPath)))[..16];

    static void Stage(string root, string stage, List<Entry> entries)
    {
        Directory.CreateDirectory(stage);
        foreach (var e in entries)
        {
            var target = Path.Combine(stage, e.Relative);
            if (e.IsDirectory) { Directory.CreateDirectory(target); continue; }
            var source = Path.Combine(root, e.Relative);
            if (!Posix.TryHardLink(source, target)) File.Copy(source, target);
        }
    }

    /// <summary>Every file rounded up to whole blocks, a block per entry for directories and extents, plus 10% and 8 MiB for metadata.</summary>
    static long SizeInBlocks(List<Entry> entries)
    {
        var data = entries.Sum(e => (e.Size + BlockSize - 1) / BlockSize + 1);
        var inodeTables = (entries.Count + SpareInodes) * 256 / BlockSize + 1;
        return data + data / 10 + inodeTables + SpareBytes / BlockSize;
    }
}
