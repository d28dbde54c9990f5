using NanoClaw.Guest;
using NanoClaw.Runs;

namespace NanoClaw.Vm.Firecracker;

/// <summary>
/// The pre-boot configuration of one VM, in the order Firecracker needs: everything is
/// configured before <see cref="InstanceActionType.InstanceStart"/>, after which the
/// pre-boot resources can no longer change.
/// </summary>
public static class FirecrackerBootSequence
{
    /// <summary>The guest CID; 0-2 are reserved (hypervisor, local, host).</summary>
    public const int GuestCid = 3;

    /// <summary>The guest port the host connects to for the control channel (the guest agent listens there).</summary>
    public const int ControlPort = (int)VsockAddress.ControlPort;

    /// <summary>
    /// reboot=k: the guest's reboot goes through the i8042 controller, which makes Firecracker exit
    /// (our "VM finished" signal); panic=1 turns a guest panic into that same exit.
    /// </summary>
    public const string BootArgs = "console=ttyS0 reboot=k panic=1 quiet";

    /// <summary><see cref="BootArgs"/>, plus the static address stage 2 gives eth0 when the VM has a TAP device (the same
    /// <c>nanoclaw.ip=</c>/<c>nanoclaw.gw=</c> as under QEMU) and the priming switch.</summary>
    public static string BootArgsFor(VmSpec spec) =>
        (spec.Tap is { } tap ? $"{BootArgs} nanoclaw.ip={tap.GuestCidr} nanoclaw.gw={tap.Gateway}" : BootArgs) + spec.Prime.KernelArgument();

    /// <summary>The guest's one network interface, on the host TAP device of <see cref="VmSpec.Tap"/>.</summary>
    public const string NetworkInterfaceId = "eth0";

    /// <summary>
    /// 1. boot source (uncompressed vmlinux + initramfs), 2. the rootfs, read-only and shared, then the extra disks,
    /// 3. machine size, 4. the network interface when the spec has a TAP device, 5. vsock for the
    /// control channel, 6. start. Paths are as firecracker sees them (<paramref name="vmm"/>: inside its jail).
    /// </summary>
    public static async Task ConfigureAndStartAsync(FirecrackerClient api, VmSpec spec, FirecrackerPaths vmm, CancellationToken ct)
    {
        // 1.
        await api.PutBootSourceAsync(new BootSource(vmm.Kernel, BootArgsFor(spec), vmm.Initrd), ct);
        // 2. Read-only: every VM shares this one image; the guest's writable root is a tmpfs overlay.
        await api.PutDriveAsync(new Drive("rootfs", vmm.Rootfs, IsRootDevice: false, IsReadOnly: true), ct);
        // 2b. Extra folders: a read-only disk is the shared image; a writable one is the run's private copy.
        for (var i = 0; i < vmm.ExtraDisks.Count; i++)
            await api.PutDriveAsync(new Drive(FirecrackerDisks.DriveId(i), vmm.ExtraDisks[i], IsRootDevice: false, IsReadOnly: !spec.ExtraDisks![i].Writable), ct);
        // 3.
        await api.PutMachineConfigAsync(new MachineConfiguration(spec.Cpus, spec.MemoryMb, Smt: false), ct);
        // 4. Firecracker has no user-mode networking: a TAP device set up on the host is the guest's only network.
        if (spec.Tap?.Device is { } tap)
            await api.PutNetworkInterfaceAsync(new NetworkInterface(NetworkInterfaceId, tap, spec.Tap.Mac), ct);
        // 5.
        await api.PutVsockAsync(new Vsock(GuestCid, vmm.VsockSocket), ct);
        // 6.
        await api.PutActionAsync(new InstanceActionInfo(InstanceActionType.InstanceStart), ct);
    }
}
