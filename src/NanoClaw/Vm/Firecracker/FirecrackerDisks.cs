using System.Diagnostics;
using NanoClaw.Guest;

namespace NanoClaw.Vm.Firecracker;

/// <summary>
/// The extra folders' disks as Firecracker gets them, and the id the guest finds each one by.
/// <list type="bullet">
/// <item>Firecracker has no drive serial setting: it answers the guest's virtio-blk "get id" with the disk file's
/// <c>st_dev</c>, <c>st_rdev</c> and <c>st_ino</c> written in decimal back to back (the kvmtool way), cut to the 20
/// bytes of a virtio-blk id. The guest matches <c>/sys/block/vd*/serial</c> against it, so the host computes it from
/// the very file Firecracker opens (a hard link or bind mount in the jail is the same inode).</item>
/// <item>A read-only disk is the cached image itself, opened read-only. A writable one gets a private sparse copy in
/// the run folder: Firecracker has no throwaway write layer (QEMU's <c>snapshot=on</c>), and the cached image is
/// shared by later runs, so it must never change.</item>
/// </list>
/// </summary>
public static class FirecrackerDisks
{
    /// <summary>The length of a virtio-blk id.</summary>
    public const int IdBytes = 20;

    public static string DriveId(int index) => ExtraFolder.DiskSerial(index);

    /// <summary>The id the guest will read for the disk file at <paramref name="path"/>.</summary>
    public static string GuestSerial(string path)
    {
        var (dev, rdev, inode) = LinuxStat.FileIds(path);
        var id = FormattableString.Invariant($"{dev}{rdev}{inode}");
        return id.Length > IdBytes ? id[..IdBytes] : id;
    }

    /// <summary>Each disk's file in <paramref name="dir"/> (the host's view), made by <paramref name="placeReadOnly"/> for a
    /// read-only disk and by a sparse copy for a writable one, plus the guest serials, which must differ.</summary>
    /// <exception cref="IOException">A copy failed, or two disks would show the guest the same id.</exception>
    public static (IReadOnlyList<string> Files, IReadOnlyList<string> Serials) Stage(
        IReadOnlyList<VmDisk> disks, string dir, Action<string, string> placeReadOnly, Action<string>? ownWritable = null)
    {
        var files = new List<string>();
        for (var i = 0; i < disks.Count; i++)
        {
            var target = Path.Combine(dir, DriveId(i) + ".ext4");
            if (disks[i].Writable)
            {
                SparseCopy(disks[i].ImagePath, target);
                ownWritable?.Invoke(target);
            }
            else placeReadOnly(disks[i].ImagePath, target);
            files.Add(target);
        }
        var serials = files.Select(GuestSerial).ToList();
        if (serials.Distinct(StringComparer.Ordinal).Count() != serials.Count)
            throw new IOException($"two extra disks would show the guest the same virtio id ({string.Join(", ", serials)}): their device and inode numbers are too long for {IdBytes} bytes");
        return (files, serials);
    }

    /// <summary>Reads a disk file for a read-only drive where it is (unjailed Firecracker opens it read-only).</summary>
    public static void InPlace(string source, string target) => File.CreateSymbolicLink(target, source);

    static void SparseCopy(string source, string target)
    {
        // cp keeps the image's holes (an extra folder's image is mostly room for new files) and clones where it can.
        var psi = new ProcessStartInfo("cp") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--sparse=always", "--reflink=auto", "--", source, target }) psi.ArgumentList.Add(arg);
        using var cp = Process.Start(psi) ?? throw new IOException("cannot start cp");
        var error = cp.StandardError.ReadToEnd();
        cp.WaitForExit();
        if (cp.ExitCode != 0) throw new IOException($"copying {source} for a writable disk failed: {error.Trim()}");
    }
}
