using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace NanoClaw.Tests.Gateway;

/// <summary>A real address of this machine for the egress proxy's host-address tests.</summary>
static class HostInterfaceAddress
{
    /// <summary>The first IPv4 address of an up, non-loopback interface; null when there is none.</summary>
    public static IPAddress? Find() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses.Select(a => a.Address))
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));

    public const string NoneReason = "this machine has no non-loopback IPv4 address on an up interface";
}
