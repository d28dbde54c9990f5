using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace NanoClaw.Network;

/// <summary>
/// The host network for TAP-mode VMs: one bridge with the host's address on it, and a pool of TAP devices named
/// <c>&lt;bridge&gt;-&lt;n&gt;</c> attached to it. TAP n's guest gets the fixed address network + 10 + n, so a VM's address
/// follows from the TAP it leased and nothing needs DHCP. The guest reaches the gateway at
/// <see cref="BridgeAddress"/>:<see cref="GatewayPort"/> (API and MCP) and :<see cref="ProxyPort"/> (egress proxy),
/// and, by the firewall <see cref="NftRuleset"/>, nothing else.
/// </summary>
public sealed record TapNetworkSettings(string Bridge, IPAddress BridgeAddress, int PrefixLength, int GatewayPort, int ProxyPort)
{
    public const string DefaultBridge = "nanoclaw0";
    public const string DefaultBridgeCidr = "172.29.0.1/24";
    public const int DefaultGatewayPort = 7841;
    public const int DefaultProxyPort = 7842;
    /// <summary>Guest n is network + 10 + n: .2 to .9 stay free for whatever a person wants to add later.</summary>
    public const int FirstGuestHost = 10;

    public static TapNetworkSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Parse(config.Bridge, config.BridgeCidr, config.GatewayPort, config.ProxyPort);
    }

    /// <summary>Checks the values a person configured; throws <see cref="ConfigException"/> saying which is wrong.</summary>
    public static TapNetworkSettings Parse(string bridge, string cidr, int gatewayPort, int proxyPort)
    {
        // An interface name has at most 15 characters; the TAPs add "-NNN".
        if (bridge.Length is 0 or > 11 || !bridge.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
            throw new ConfigException($"NANOCLAW_BRIDGE={bridge} must be 1 to 11 lowercase letters and digits.");
        var slash = cidr.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(cidr[..slash], out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(cidr[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix is < 16 or > 28)
            throw new ConfigException($"NANOCLAW_BRIDGE_ADDRESS={cidr} must be an IPv4 address with a prefix from /16 to /28, e.g. {DefaultBridgeCidr}.");
        var host = ToUInt(address) & ~(uint.MaxValue << (32 - prefix));
        if (host is 0 or >= FirstGuestHost)
            throw new ConfigException($"NANOCLAW_BRIDGE_ADDRESS={cidr}: the host's address must be .1 to .{FirstGuestHost - 1} of its network; guests take .{FirstGuestHost} and up.");
        if (gatewayPort is < 1 or > 65535 || proxyPort is < 1 or > 65535 || gatewayPort == proxyPort)
            throw new ConfigException($"NANOCLAW_GATEWAY_PORT ({gatewayPort}) and NANOCLAW_PROXY_PORT ({proxyPort}) must be two different ports.");
        return new TapNetworkSettings(bridge, address, prefix, gatewayPort, proxyPort);
    }

    public string Cidr => $"{BridgeAddress}/{PrefixLength}";

    /// <summary>The TAP devices' shared name prefix (also their nftables wildcard without the <c>*</c>).</summary>
    public string TapPrefix => Bridge + "-";

    public string TapName(int index) => TapPrefix + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>How many TAPs fit in the subnet after the first guest address (the broadcast address excluded).</summary>
    public int MaxTaps => (1 << (32 - PrefixLength)) - 1 - FirstGuestHost;

    public IPAddress GuestAddress(int index)
    {
        if (index < 0 || index >= MaxTaps) throw new ArgumentOutOfRangeException(nameof(index), $"a /{PrefixLength} holds {MaxTaps} guests");
        var mask = uint.MaxValue << (32 - PrefixLength);
        var network = ToUInt(BridgeAddress) & mask;
        return FromUInt(network + (uint)(FirstGuestHost + index));
    }

    /// <summary>A stable, locally administered MAC per TAP (QEMU's 52:54:00 prefix), so a guest's link never changes.</summary>
    public static string GuestMac(int index) => $"52:54:00:4e:{(index >> 8) & 0xff:x2}:{index & 0xff:x2}";

    static uint ToUInt(IPAddress a)
    {
        var b = a.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    static IPAddress FromUInt(uint v) => new([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);
}
