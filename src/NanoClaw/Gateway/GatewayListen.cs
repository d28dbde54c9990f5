using System.Net;

namespace NanoClaw.Gateway;

/// <summary>
/// Where the gateway listens besides its loopback ports: with TAP networking, <paramref name="BridgeAddress"/> on the
/// fixed <paramref name="GatewayPort"/> and <paramref name="ProxyPort"/> that the firewall lets guests reach.
/// </summary>
public sealed record GatewayListen(IPAddress BridgeAddress, int GatewayPort, int ProxyPort)
{
    public GuestEndpoints Guest => new($"http://{BridgeAddress}:{GatewayPort}", BridgeAddress.ToString(), $"{BridgeAddress}:{ProxyPort}");
}
