using Microsoft.Extensions.Logging;

namespace NanoClaw.Vm.Firecracker;

/// <summary>
/// The Firecracker backend: the production VMM on hosts where KVM really works (it has no
/// software fallback). Chosen by <see cref="VmmChoice.Decide"/>.
/// </summary>
public sealed class FirecrackerVmm(FirecrackerOptions options, ILogger<FirecrackerVmm> logger, Network.TapPool? taps = null) : IVmm
{
    public string Name => "firecracker (kvm)";

    /// <summary>Firecracker has no user-mode networking: with a TAP pool each VM is plugged into a leased TAP device;
    /// without one the guest has no network at all (which is why <c>auto</c> picks Firecracker only with TAPs).</summary>
    public async Task<IMicroVm> BootAsync(VmSpec spec, CancellationToken ct) => taps is null
        ? await FirecrackerMicroVm.StartAsync(spec, options, logger, ct)
        : await taps.BootOnLeaseAsync(spec, async tapSpec => await FirecrackerMicroVm.StartAsync(tapSpec, options, logger, ct));

    /// <summary>
    /// Removes what a crashed host process left of Firecracker runs in <paramref name="vmsDir"/>: for each run folder
    /// with a firecracker pid file, kills that pid if it really is the firecracker of that folder (jailed: its root is
    /// the folder's jail; unjailed: its argv names the folder; a recycled pid is left alone), removes the run's cgroup
    /// (killing anything still in it) and deletes the folder, unmounting the jail's bind mounts first. Call once at
    /// startup, before this process boots any VM and before <see cref="QemuVmm.CleanOrphansAsync"/>. Returns how many
    /// firecracker processes it killed.
    /// </summary>
    public static async Task<int> CleanOrphansAsync(string vmsDir, ILogger logger)
    {
        if (!Directory.Exists(vmsDir)) return 0;
        var killed = 0;
        foreach (var runDir in Directory.EnumerateDirectories(vmsDir).Select(Path.GetFullPath))
        {
            var pidFile = Path.Combine(runDir, FirecrackerJail.PidFileName);
            if (!File.Exists(pidFile)) continue;
            if (ReadPid(pidFile) is { } pid && IsOurFirecracker(pid, runDir))
            {
                Posix.Signal(pid, Posix.SigKill);
                if (!await Posix.WaitGoneAsync(pid, TimeSpan.FromSeconds(5)))
                    throw new InvalidOperationException($"orphaned firecracker pid {pid} ({runDir}) survived SIGKILL for 5 s: check it with `ps -p {pid} -o stat,cmd`.");
                logger.OrphanKilled(pid, runDir);
                killed++;
            }
            if (VmCgroup.PathFor(Path.GetFileName(runDir)) is { } cgroup && !await VmCgroup.TryRemoveAsync(cgroup))
                throw new InvalidOperationException($"the cgroup {cgroup} of an orphaned VM cannot be removed: look at {cgroup}/cgroup.procs.");
            FirecrackerJail.RemoveRunDir(runDir);
            logger.OrphanDirRemoved(runDir);
        }
        return killed;
    }

    static int? ReadPid(string pidFile)
    {
        try { return int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && pid > 1 ? pid : null; }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
    }

    /// <summary>Jailed, its root directory is the folder's jail (or, still in the launch chain, its argv names the jail);
    /// unjailed, its argv names the folder's API socket.</summary>
    static bool IsOurFirecracker(int pid, string runDir)
    {
        if (!Posix.IsRunning(pid)) return false;
        var jailRoot = Path.Combine(runDir, FirecrackerJail.RootName);
        string? root = null;
        try { root = new FileInfo($"/proc/{pid}/root").LinkTarget; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        if (root == jailRoot) return true;
        return Posix.CommandLine(pid) is { } cmdline
            && (cmdline.Contains("--api-sock " + Path.Combine(runDir, FirecrackerPaths.ApiSocketName), StringComparison.Ordinal)
                || cmdline.Contains(" " + jailRoot + " /firecracker", StringComparison.Ordinal));
    }
}
