namespace NanoClaw.MicroVm.Firecracker;

/// <summary>
/// The pre-boot configuration of one VM, in the order Firecracker needs: everything is
/// configured before <see cref="InstanceActionType.InstanceStart"/>, after which the
/// pre-boot resources can no longer change.
/// </summary>
public static class FirecrackerBootSequence
{
    /// <summary>The guest CID; 0-2 are reserved (hypervisor, local, host).</summary>
    public const int GuestCid = 3;

    /// <summary>The guest port the host connects to for the control channel.</summary>
    public const int ControlPort = 1024;

    /// <summary>
    /// reboot=k: the guest's reboot goes through the i8042 controller, which makes Firecracker exit
    /// (our "VM finished" signal); panic=1 turns a guest panic into that same exit.
    /// </summary>
    public const string BootArgs = "console=ttyS0 reboot=k panic=1 quiet";

    public static string ApiSocketPath(VmSpec spec) => Path.Combine(spec.RunDir, "fc.sock");

    public static string VsockPath(VmSpec spec) => Path.Combine(spec.RunDir, "v.sock");

    /// <summary>
    /// 1. boot source (uncompressed vmlinux + initramfs), 2. the rootfs, read-only and shared,
    /// 3. machine size, 4. vsock for the control channel, 5. start.
    /// </summary>
    public static async Task ConfigureAndStartAsync(FirecrackerClient api, VmSpec spec, string vmlinux, CancellationToken ct)
    {
        // 1.
        await api.PutBootSourceAsync(new BootSource(vmlinux, BootArgs, spec.Artifacts.Initrd), ct);
        // 2. Read-only: every VM shares this one image; the guest's writable root is a tmpfs overlay.
        await api.PutDriveAsync(new Drive("rootfs", spec.Artifacts.Rootfs, IsRootDevice: false, IsReadOnly: true), ct);
        // 3.
        await api.PutMachineConfigAsync(new MachineConfiguration(spec.Cpus, spec.MemoryMb, Smt: false), ct);
        // 4.
        await api.PutVsockAsync(new Vsock(GuestCid, VsockPath(spec)), ct);
        // 5.
        await api.PutActionAsync(new InstanceActionInfo(InstanceActionType.InstanceStart), ct);
    }
}
