using Microsoft.Extensions.Logging;
using NanoClaw.ExtraFolders;
using NanoClaw.Guest;
using NanoClaw.Storage;
using NanoClaw.Vm;

namespace NanoClaw.Runs;

public sealed partial class MicroVmAgentRunner
{
    /// <summary>
    /// The run's extra folders: the group's mounts checked again against the allowlist (the disk, symlinks and the
    /// allowlist may have changed since they were added), each approved folder's image built or reused, and what the
    /// VM and the guest need to attach and mount them. Refusals and an unusable allowlist are logged, not fatal:
    /// the run goes on without those folders. A folder the plan approved read-write is attached with a throwaway write
    /// layer, and its changes come back like the workspace's, through <see cref="WorkspaceSync.ApplyChangesAsync"/>.
    /// </summary>
    internal static async Task<ExtraFolderSetup> PrepareExtraFoldersAsync(Config config, RegisteredGroup group, RunLog runLog, ILogger log, CancellationToken ct)
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
        if (plan.Approved.Count == 0) return ExtraFolderSetup.None;

        var blocked = ((AllowlistLoad.Loaded)allowlist).Allowlist.BlockedPatterns;
        var disks = new List<VmDisk>();
        var folders = new List<ExtraFolder>();
        var writable = new List<WritableExtraFolder>();
        foreach (var mount in plan.Approved)
        {
            if (disks.Count == ExtraFolder.MaxDisks)
            {
                var reason = $"a VM takes at most {ExtraFolder.MaxDisks} extra folders";
                runLog.Write($"extra folder REFUSED {mount.HostPath}: {reason}");
                LogMountRefused(log, group.Folder, mount.HostPath, reason);
                continue;
            }
            FolderImage image;
            try { image = await FolderImage.EnsureAsync(config.CacheDir, mount.HostPath, mount.Name, blocked, ct); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                runLog.Write($"extra folder REFUSED {mount.HostPath}: its image could not be built: {e.Message}");
                LogMountRefused(log, group.Folder, mount.HostPath, "its image could not be built: " + e.Message);
                continue;
            }
            var access = mount.ReadOnly ? "read-only" : "read-write, changes written back";
            runLog.Write($"extra folder {mount.Name}: {mount.HostPath} -> {mount.GuestPath} ({access}), {image.Files} files, {image.FileBytes} bytes, image {(image.Reused ? "reused" : "built")}"
                + (image.Skipped.Count > 0 ? $"; left out {string.Join(", ", image.Skipped.Take(20))}" : ""));
            folders.Add(new ExtraFolder(disks.Count, mount.Name, Writable: !mount.ReadOnly));
            disks.Add(new VmDisk(image.ImagePath, Writable: !mount.ReadOnly));
            if (!mount.ReadOnly) writable.Add(new WritableExtraFolder(mount.Name, mount.HostPath, blocked));
        }
        return new ExtraFolderSetup(disks, folders, writable);
    }

    /// <summary>What a run's extra folders need: the VM's disks, the guest's mounts, and where writes go back.</summary>
    internal sealed record ExtraFolderSetup(IReadOnlyList<VmDisk> Disks, IReadOnlyList<ExtraFolder> Folders, IReadOnlyList<WritableExtraFolder> Writable)
    {
        public static readonly ExtraFolderSetup None = new([], [], []);
    }

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "Group {Folder} gets no extra folders: {Problem}")]
    static partial void LogAllowlistProblem(ILogger logger, string folder, string problem);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning, Message = "Group {Folder}: extra folder {HostPath} refused: {Reason}")]
    static partial void LogMountRefused(ILogger logger, string folder, string hostPath, string reason);
}
