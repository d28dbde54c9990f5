namespace NanoClaw.MicroVm;

/// <summary>
/// Whether agent VMs can get a host TAP device (<see cref="VmSpec.TapDevice"/>), the only network Firecracker offers
/// (it has no user-mode networking). Without one, a guest under Firecracker cannot reach the gateway, so every run
/// would fail: <c>auto</c> needs this before it picks Firecracker.
/// </summary>
public sealed record TapNetwork(bool Ready, string Reason)
{
    /// <summary>No code path hands VMs a TAP device yet; host TAP networking (<c>setup --network</c>) replaces this.</summary>
    public static TapNetwork Current { get; } = new(false, "no host TAP networking for VMs yet (QEMU's user networking serves them instead)");
}
