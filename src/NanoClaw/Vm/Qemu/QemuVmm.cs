using Microsoft.Extensions.Logging;
using NanoClaw.Network;

namespace NanoClaw.Vm.Qemu;

/// <summary>
/// The QEMU <c>microvm</c> backend: KVM where <see cref="KvmProbe"/> proved it works, TCG
/// software emulation everywhere else (slower, but runs on any x86-64 Linux host).
/// With <paramref name="taps"/>, every VM is plugged into a TAP device of its own from that pool (TAP networking);
/// without, it has no NIC and reaches only the gateway, over the gateway streams port (docs/gateway-streams.md).
/// </summary>
public sealed class QemuVmm(KvmStatus kvm, ILogger<QemuVmm> logger, TapPool? taps = null) : IVmm
{
    string Accel => kvm.Usable ? "kvm" : "tcg";

    public string Name => $"qemu-microvm ({Accel}{(taps is null ? "" : ", tap")})";

    public async Task<IMicroVm> BootAsync(VmSpec spec, CancellationToken ct)
    {
        if (taps is null)
            return await QemuMicroVm.StartAsync(spec, QemuCommandLine.Build(spec, kvm.Usable, HostTsc.Khz()), Accel, logger, ct);

        return await taps.BootOnLeaseAsync(spec, async tapSpec =>
            await QemuMicroVm.StartAsync(tapSpec, QemuCommandLine.Build(tapSpec, kvm.Usable, HostTsc.Khz()), Accel, logger, ct));
    }

    /// <summary>
    /// Removes what a crashed host process left in <paramref name="vmsDir"/>: kills each qemu whose
    /// pid file is still there, if that pid really is our qemu for that folder (its argv names the
    /// folder's control socket; a recycled pid is left alone), then deletes the folder.
    /// Call once at startup, before this process boots any VM. Returns how many qemu it killed.
    /// </summary>
    public static async Task<int> CleanOrphansAsync(string vmsDir, ILogger logger)
    {
        if (!Directory.Exists(vmsDir)) return 0;
        var killed = 0;
        foreach (var runDir in Directory.EnumerateDirectories(vmsDir))
        {
            if (ReadPid(Path.Combine(runDir, QemuMicroVm.PidFileName)) is { } pid && IsOurQemu(pid, runDir))
            {
                Posix.Signal(pid, Posix.SigKill);
                if (!await Posix.WaitGoneAsync(pid, TimeSpan.FromSeconds(5)))
                    throw new InvalidOperationException($"orphaned qemu pid {pid} ({runDir}) survived SIGKILL for 5 s: check it with `ps -p {pid} -o stat,cmd`.");
                logger.OrphanKilled(pid, runDir);
                killed++;
            }
            if (NanoClaw.Vm.Firecracker.VmCgroup.PathFor(Path.GetFileName(runDir)) is { } cgroup && !await NanoClaw.Vm.Firecracker.VmCgroup.TryRemoveAsync(cgroup))
                throw new InvalidOperationException($"the cgroup {cgroup} of an orphaned VM cannot be removed: look at {cgroup}/cgroup.procs.");
            Directory.Delete(runDir, recursive: true);
            logger.OrphanDirRemoved(runDir);
        }
        return killed;
    }

    static int? ReadPid(string pidFile)
    {
        try { return int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && pid > 1 ? pid : null; }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
    }

    static bool IsOurQemu(int pid, string runDir) =>
        Posix.IsRunning(pid)
        && Posix.CommandLine(pid) is { } cmdline
        && cmdline.Contains(QemuCommandLine.Binary, StringComparison.Ordinal)
        && cmdline.Contains(QemuCommandLine.ControlSocketArgument(Path.GetFullPath(runDir)), StringComparison.Ordinal);
}
