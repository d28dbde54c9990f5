namespace NanoClaw.Network;

/// <summary>
/// The TAP devices <c>setup --network</c> made, handed out one per VM. Which ones exist is read from the bridge each
/// time, so a re-run of the setup with more TAPs counts at once. Lock files live in <paramref name="lockDir"/>.
/// </summary>
public sealed class TapPool(TapNetworkSettings settings, string lockDir)
{
    public TapNetworkSettings Settings { get; } = settings;

    /// <summary>A free TAP, or null when every one is in use (by this or another NanoClaw process).</summary>
    public TapLease? TryLease()
    {
        Directory.CreateDirectory(lockDir);
        foreach (var index in TapNetworkSetup.InstalledTaps(Settings))
        {
            var device = Settings.TapName(index);
            FileStream lockFile;
            // FileShare.None takes an exclusive flock on Linux: held until disposed or the process dies.
            try { lockFile = new FileStream(Path.Combine(lockDir, device + ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) { continue; }
            return new TapLease(index, device, Settings.GuestAddress(index), Settings.PrefixLength, Settings.BridgeAddress, lockFile);
        }
        return null;
    }

    public int Count => TapNetworkSetup.InstalledTaps(Settings).Count;

    /// <summary>
    /// Boots a VM on a free TAP, its device, MAC and static address put into the spec for <paramref name="boot"/> (any
    /// VMM); the TAP goes back to the pool only once the VM is gone, on every path.
    /// </summary>
    public async Task<NanoClaw.Vm.IMicroVm> BootOnLeaseAsync(NanoClaw.Vm.VmSpec spec, Func<NanoClaw.Vm.VmSpec, Task<NanoClaw.Vm.IMicroVm>> boot)
    {
        var lease = TryLease() ?? throw new NanoClaw.Vm.VmBootException(
            $"all {Count} TAP devices on {Settings.Bridge} are in use: make more with `sudo ./nanoclaw setup --network --taps N` (N above MAX_CONCURRENT_AGENTS).");
        try
        {
            var tap = new NanoClaw.Vm.VmTap(lease.Device, lease.Mac, $"{lease.GuestAddress}/{lease.PrefixLength}", lease.Gateway.ToString());
            return new LeasedMicroVm(await boot(spec with { Tap = tap }), lease);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }
}
