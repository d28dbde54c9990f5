namespace NanoClaw.Guest;

/// <summary>
/// Mounts the job's extra folders at <c>/workspace/extra/&lt;name&gt;</c>: each is a virtio disk (found by its serial,
/// because <c>/dev/vdX</c> names follow probe order, not the command line) holding ext4.
/// <list type="bullet">
/// <item>Read-only folders are mounted <c>ro,nosuid,nodev,noexec</c>. QEMU opened the image <c>readonly=on</c>, so even
/// root in the VM cannot write it; the mount options only make the failure early and plain ("Read-only file system").
/// Nothing from them is ever synced back.</item>
/// <item>Writable folders are mounted <c>nosuid,nodev,noexec</c> on the VMM's throwaway write layer and handed to the
/// agent's user (the image keeps the host's owners, which mean nothing in here). They become change-tracking tops
/// (<c>extra/&lt;name&gt;</c>), so their changes go to the host like the workspace's, and the host judges each one.</item>
/// </list>
/// </summary>
static class ExtraFolderMounter
{
    static readonly TimeSpan DiskWait = TimeSpan.FromSeconds(10);

    /// <summary>Mounts every folder or throws <see cref="IOException"/> saying which one failed and why.</summary>
    /// <returns>The writable folders as change-tracking tops.</returns>
    public static async Task<IReadOnlyList<(string Top, string Dir)>> MountAllAsync(IReadOnlyList<ExtraFolder> folders, GuestPaths paths, string sysBlock, CancellationToken cancellationToken)
    {
        var writableTops = new List<(string Top, string Dir)>();
        if (folders.Count == 0) return writableTops;
        var extraRoot = Path.Combine(paths.Workspace, "extra");
        Directory.CreateDirectory(extraRoot); // root-owned, 0755: the agent cannot add or rename entries here
        foreach (var folder in folders)
        {
            var device = await FindDiskAsync(sysBlock, folder.ExpectedSerial, cancellationToken).ConfigureAwait(false)
                ?? throw new IOException($"extra folder '{folder.Name}': no disk with serial {folder.ExpectedSerial} after {DiskWait.TotalSeconds} s");
            var target = Path.Combine(extraRoot, folder.Name);
            Directory.CreateDirectory(target);
            if (Native.MountExt4(device, target, readOnly: !folder.Writable) is { } problem)
                throw new IOException($"extra folder '{folder.Name}': mounting {device} {(folder.Writable ? "read-write" : "read-only")} failed: {problem}");
            if (!folder.Writable) continue;
            // The image keeps the host's owners, which mean nothing in here; chown keeps mtimes, so the baseline holds.
            WorkspaceExtractor.ChownTree(target, GuestPaths.AgentUid, GuestPaths.AgentGid);
            writableTops.Add((folder.ChangesTop, target));
        }
        return writableTops;
    }

    /// <summary>The <c>/dev/vdX</c> whose virtio serial is <paramref name="serial"/>; disks probe asynchronously, so wait a little.</summary>
    static async Task<string?> FindDiskAsync(string sysBlock, string serial, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + DiskWait;
        while (true)
        {
            foreach (var disk in Directory.Exists(sysBlock) ? Directory.EnumerateDirectories(sysBlock, "vd*") : [])
            {
                var serialFile = Path.Combine(disk, "serial");
                if (File.Exists(serialFile) && (await File.ReadAllTextAsync(serialFile, cancellationToken).ConfigureAwait(false)).Trim() == serial)
                    return "/dev/" + Path.GetFileName(disk);
            }
            if (DateTime.UtcNow > deadline) return null;
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }
}
