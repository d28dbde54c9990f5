using System.Net;

namespace NanoClaw.Network;

/// <summary>
/// One TAP device held by one VM. The hold is an exclusive lock on a file per TAP, so it is exclusive across every
/// NanoClaw process of the user, and the kernel drops it when the holder dies. Dispose after the VM is gone.
/// </summary>
public sealed class TapLease(int index, string device, IPAddress guestAddress, int prefixLength, IPAddress gateway, FileStream lockFile) : IDisposable
{
    public int Index { get; } = index;
    public string Device { get; } = device;
    public IPAddress GuestAddress { get; } = guestAddress;
    public int PrefixLength { get; } = prefixLength;
    public IPAddress Gateway { get; } = gateway;
    public string Mac => TapNetworkSettings.GuestMac(Index);

    public void Dispose() => lockFile.Dispose();
}
