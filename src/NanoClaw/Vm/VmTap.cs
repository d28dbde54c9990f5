namespace NanoClaw.Vm;

/// <summary>
/// A VM's TAP networking: the host TAP device it is plugged into, its MAC, and the static address and gateway its
/// stage 2 sets from the kernel command line (<c>nanoclaw.ip=</c>, <c>nanoclaw.gw=</c>).
/// </summary>
public sealed record VmTap(string Device, string Mac, string GuestCidr, string Gateway);
