using System.Net;
using System.Net.Sockets;

namespace NanoClaw.Gateway.Egress;

/// <summary>
/// Which addresses the egress proxy may connect to: public unicast only. Everything a VM could use to reach the host,
/// the LAN, another VM, a cloud metadata service or a special-purpose range is refused, with a reason a person can read.
/// IPv4-mapped (<c>::ffff:a.b.c.d</c>) and IPv4-compatible (<c>::a.b.c.d</c>) IPv6 addresses are judged as the IPv4
/// address inside them; NAT64 (<c>64:ff9b::/96</c>) and 6to4 (<c>2002::/16</c>) are refused outright because they,
/// too, embed an IPv4 address that could be private.
/// </summary>
public static class EgressAddress
{
    /// <summary>Null when the proxy may connect to <paramref name="address"/>; otherwise why not.</summary>
    public static string? RefusalReason(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) return RefusalReason(address.MapToIPv4());
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => V4(address.GetAddressBytes()),
            AddressFamily.InterNetworkV6 => V6(address.GetAddressBytes()),
            _ => "not an IP address",
        };
    }

    static string? V4(byte[] b) => (b[0], b[1], b[2], b[3]) switch
    {
        (0, _, _, _) => "0.0.0.0/8 is \"this network\", not a destination",
        (10, _, _, _) => "10.0.0.0/8 is a private network",
        (100, >= 64 and <= 127, _, _) => "100.64.0.0/10 is carrier-grade NAT space",
        (127, _, _, _) => "127.0.0.0/8 is the host itself (loopback)",
        (169, 254, 169, 254) => "169.254.169.254 is the cloud metadata service",
        (169, 254, _, _) => "169.254.0.0/16 is link-local",
        (172, >= 16 and <= 31, _, _) => "172.16.0.0/12 is a private network",
        (192, 0, 0, _) => "192.0.0.0/24 is reserved for protocol assignments",
        (192, 0, 2, _) or (198, 51, 100, _) or (203, 0, 113, _) => "documentation addresses are not destinations",
        (192, 88, 99, _) => "192.88.99.0/24 is 6to4 relay anycast",
        (192, 168, _, _) => "192.168.0.0/16 is a private network",
        (198, 18 or 19, _, _) => "198.18.0.0/15 is for benchmarking",
        (255, 255, 255, 255) => "255.255.255.255 is broadcast",
        ( >= 224 and <= 239, _, _, _) => "224.0.0.0/4 is multicast",
        ( >= 240, _, _, _) => "240.0.0.0/4 is reserved",
        _ => null,
    };

    static string? V6(byte[] b)
    {
        var first10Zero = b.AsSpan(0, 10).IndexOfAnyExcept((byte)0) < 0;
        if (first10Zero && b[10] == 0 && b[11] == 0)
        {
            // ::/96: the unspecified address, loopback, or the deprecated IPv4-compatible form.
            var tail = b.AsSpan(12);
            if (tail.IndexOfAnyExcept((byte)0) < 0) return ":: is the unspecified address";
            if (tail[..3].IndexOfAnyExcept((byte)0) < 0 && tail[3] == 1) return "::1 is the host itself (loopback)";
            return RefusalReason(new IPAddress(tail)) is { } inner ? inner + " (as ::a.b.c.d)" : "::a.b.c.d (IPv4-compatible) is deprecated";
        }
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) return "64:ff9b::/96 is NAT64 (it could reach any IPv4 address)";
        if (b[0] == 0x01 && b[1] == 0x00 && b.AsSpan(2, 6).IndexOfAnyExcept((byte)0) < 0) return "100::/64 is a discard prefix";
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return "2001:db8::/32 is for documentation";
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) return "2001::/32 is Teredo (it embeds another address)";
        if (b[0] == 0x20 && b[1] == 0x02) return "2002::/16 is 6to4 (it could reach any IPv4 address)";
        if ((b[0] & 0xfe) == 0xfc) return "fc00::/7 is a unique local (private) network";
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "fe80::/10 is link-local";
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "fec0::/10 is site-local (private)";
        if (b[0] == 0xff) return "ff00::/8 is multicast";
        // Only 2000::/3 is global unicast today; anything else is reserved.
        return (b[0] & 0xe0) == 0x20 ? null : "outside 2000::/3, the global unicast range";
    }
}
