using NanoClaw.Runs;
using NanoClaw.Vm.Image;

namespace NanoClaw.Vm;

/// <summary>
/// One VM to boot. <paramref name="GatewayPort"/> is the host port (on 127.0.0.1) the guest
/// reaches as http://10.0.2.100, its only way out. <paramref name="RunDir"/> holds the run's
/// sockets and pid file and is deleted with the VM; keep it short (a Unix socket path inside
/// it must fit in 107 bytes). Put <paramref name="ConsoleLogPath"/> outside RunDir to keep
/// the console log after the VM is gone. <paramref name="ExtraDisks"/> are attached read-only, in order, after the rootfs
/// (the guest finds disk N by its virtio serial <see cref="VmDisk.Serial"/>).
/// Networking: without <paramref name="Tap"/>, no NIC: the gateway streams carry the guest's 10.0.2.100:80 to
/// GatewayPort and 10.0.2.100:3128 reaches <paramref name="ProxyPort"/> (the egress proxy; 0: none). With it, the VM is
/// plugged into that TAP device (QEMU and Firecracker alike) and reaches the gateway on the bridge address instead.
/// <paramref name="Prime"/>: what the guest does to warm up while it waits for a job (vm/guest/stage2); off unless a
/// benchmark or <see cref="Config.VmPriming"/> asks (QEMU only: kernel argument <c>nanoclaw.prime</c>).
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
    int ProxyPort = 0,
    VmTap? Tap = null,
    GuestPriming Prime = GuestPriming.Off);
