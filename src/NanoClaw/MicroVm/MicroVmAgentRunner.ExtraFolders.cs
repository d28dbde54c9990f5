using Microsoft.Extensions.Logging;
using NanoClaw.Mounts;
using NanoClaw.Storage;

namespace NanoClaw.MicroVm;

public sealed partial class MicroVmAgentRunner
{
    /// <summary>
    /// The run's extra folders: the group's mounts checked again against the allowlist (the disk, symlinks and the
    /// allowlist may have changed since they were added), each approved folder's image built or reused, and what the
    /// VM and the guest need to attach and mount them. Refusals and an unusable allowlist are logged, not fatal:
    /// the run goes on without those folders.
    /// </summary>
    async Task<(IReadOnlyList<VmDisk> Disks, IReadOnlyList<ExtraFolder> Folders)> PrepareExtraFoldersAsync(RegisteredGroup group, RunLog runLog, CancellationToken ct)
    {
        var allowlist = MountAllowlistFile.Load(config.MountAllowlistPath, config.UserHome);
        var plan = MountValidator.Plan(config, allowlist, group);
        if (plan.AllowlistProblem is { } problem && plan.Refused.Count > 0)
        {
            runLog.Write("extra folders: the mount allowlist is unusable: " + problem);
            LogAllowlistProblem(log, group.Folder, problem);
        }
        foreach (var refusal in plan.Refused)
        {
            runLog.Write($"extra folder REFUSED {refusal.Requested.HostPath}: {refusal.Reason}");
            LogMountRefused(log, group.Folder, refusal.Requested.HostPath, refusal.Reason);
        }
        if (plan.Approved.Count == 0) return ([], []);

        var blocked = ((AllowlistLoad.Loaded)allowlist).Allowlist.BlockedPatterns;
        var disks = new List<VmDisk>();
        var folders = new List<ExtraFolder>();
        foreach (var mount in plan.Approved)
        {
            if (disks.Count == ExtraFolder.MaxDisks)
            {
                var reason = $"a VM takes at most {ExtraFolder.MaxDisks} extra folders";
                runLog.Write($"extra folder REFUSED {mount.HostPath}: {reason}");
                LogMountRefused(log, group.Folder, mount.HostPath, reason);
                continue;
            }
            // NOTE: every folder is read-only in the VM for now, whatever the plan allows: the image is a snapshot
            // and nothing is synced back from /workspace/extra.
            if (!mount.ReadOnly) runLog.Write($"extra folder {mount.Name}: read-write was approved, but extra folders are read-only in the VM");
            FolderImage image;
            try { image = await FolderImage.EnsureAsync(config.CacheDir, mount.HostPath, mount.Name, blocked, ct); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                runLog.Write($"extra folder REFUSED {mount.HostPath}: its image could not be built: {e.Message}");
                LogMountRefused(log, group.Folder, mount.HostPath, "its image could not be built: " + e.Message);
                continue;
            }
            runLog.Write($"extra folder {mount.Name}: {mount.HostPath} -> {mount.GuestPath} (read-only), {image.Files} files, {image.FileBytes} bytes, image {(image.Reused ? "reused" : "built")}"
                + (image.Skipped.Count > 0 ? $"; left out {string.Join(", ", image.Skipped.Take(20))}" : ""));
            folders.Add(new ExtraFolder(disks.Count, mount.Name));
            disks.Add(new VmDisk(image.ImagePath));
        }
        return (disks, folders);
    }

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "Group {Folder} gets no extra folders: {Problem}")]
    static partial void LogAllowlistProblem(ILogger logger, string folder, string problem);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "Group {Folder}: extra folder {HostPath} refused: {Reason}")]
    static partial void LogMountRefused(ILogger logger, string folder, string hostPath, string reason);
}
