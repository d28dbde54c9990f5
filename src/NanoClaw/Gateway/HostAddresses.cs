using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace NanoClaw.Gateway;

/// <summary>
/// Every address bound to one of the host's interfaces, for the egress proxy to refuse: a host with a public address
/// would otherwise be reachable by a VM through the proxy at that address (its SSH, its databases, the gateway
/// itself), since a public address passes <see cref="EgressAddress"/>. Read from the interfaces, read again when
/// the system reports an address change and at least every <see cref="RefreshEvery"/> (an address added by DHCP or
/// a VPN must not stay reachable for long), on the caller's thread when a check finds the list stale.
/// </summary>
public sealed class HostAddresses : IDisposable
{
    /// <summary>How old the list may get before a check reads the interfaces again.</summary>
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(30);

    readonly TimeProvider time;
    readonly Func<IEnumerable<IPAddress>> read;
    readonly Lock gate = new();
    HashSet<IPAddress> addresses = [];
    long readAt;
    bool stale = true;

    /// <param name="read">Where the addresses come from; null: this host's interfaces (<see cref="ReadInterfaces"/>).</param>
    public HostAddresses(TimeProvider time, Func<IEnumerable<IPAddress>>? read = null)
    {
        this.time = time ?? throw new ArgumentNullException(nameof(time));
        this.read = read ?? ReadInterfaces;
        NetworkChange.NetworkAddressChanged += OnAddressChanged;
    }

    /// <summary>True when <paramref name="address"/> is bound to a host interface (IPv4-mapped and scoped forms included).</summary>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var key = Normalize(address);
        lock (gate)
        {
            if (stale || time.GetElapsedTime(readAt) >= RefreshEvery)
            {
                addresses = [.. read().Select(Normalize)];
                readAt = time.GetTimestamp();
                stale = false;
            }
            return addresses.Contains(key);
        }
    }

    /// <summary>The unicast addresses of every interface of this host, whatever its state.</summary>
    public static IEnumerable<IPAddress> ReadInterfaces()
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            UnicastIPAddressInformationCollection unicast;
            try { unicast = nic.GetIPProperties().UnicastAddresses; }
            catch (NetworkInformationException) { continue; } // the interface vanished while we looked
            foreach (var a in unicast) yield return a.Address;
        }
    }

    void OnAddressChanged(object? sender, EventArgs e)
    {
        lock (gate) stale = true;
    }

    /// <summary>The plain form: IPv4 for IPv4-mapped, no IPv6 scope id (fe80::1%2 and fe80::1 are one address here).</summary>
    static IPAddress Normalize(IPAddress a) =>
        a.IsIPv4MappedToIPv6 ? a.MapToIPv4()
        : a.AddressFamily == AddressFamily.InterNetworkV6 ? new IPAddress(a.GetAddressBytes())
        : a;

    public void Dispose() => NetworkChange.NetworkAddressChanged -= OnAddressChanged;
}
