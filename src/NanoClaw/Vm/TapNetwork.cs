using NanoClaw.Network;

namespace NanoClaw.Vm;

/// <summary>
/// Whether agent VMs can get a host TAP device (<see cref="VmSpec.Tap"/>), the only network Firecracker offers (it has
/// no user-mode networking). Without one, a guest under Firecracker cannot reach the gateway, so every run would fail:
/// <c>auto</c> needs this before it picks Firecracker.
/// </summary>
public sealed record TapNetwork(bool Ready, string Reason)
{
    /// <summary>Ready when <c>setup --network</c> made the bridge and its TAPs, and NANOCLAW_NETWORK does not say <c>user</c>.</summary>
    public static TapNetwork For(Config config)
    {
        if (config.Network == "user") return new(false, "NANOCLAW_NETWORK=user: VMs have no NIC and use QEMU's gateway streams, which Firecracker lacks");
        var settings = TapNetworkSettings.FromConfig(config);
        return TapNetworkSetup.IsSetUp(settings)
            ? new(true, $"TAP devices on {settings.Bridge}")
            : new(false, $"no TAP network (bridge {settings.Bridge}): run `sudo ./nanoclaw setup --network`");
    }
}
