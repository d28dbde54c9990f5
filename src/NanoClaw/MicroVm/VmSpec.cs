namespace NanoClaw.MicroVm;

/// <summary>
/// One VM to boot. <paramref name="GatewayPort"/> is the host port (on 127.0.0.1) the guest
/// reaches as http://10.0.2.100, its only way out. <paramref name="RunDir"/> holds the run's
/// sockets and pid file and is deleted with the VM; keep it short (a Unix socket path inside
/// it must fit in 107 bytes). Put <paramref name="ConsoleLogPath"/> outside RunDir to keep
/// the console log after the VM is gone. <paramref name="ExtraDisks"/> are attached read-only, in order, after the rootfs
/// (the guest finds disk N by its virtio serial <see cref="VmDisk.Serial"/>). <paramref name="TapDevice"/> is a host TAP
/// device for the guest's network; Firecracker needs one (it has no user-mode networking), QEMU ignores it.
/// </summary>
public sealed record VmSpec(
    string RunId,
    VmArtifacts Artifacts,
    int MemoryMb,
    int Cpus,
    int GatewayPort,
    string RunDir,
    string ConsoleLogPath,
    IReadOnlyList<VmDisk>? ExtraDisks = null,
    string? TapDevice = null);
