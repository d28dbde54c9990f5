using System.Globalization;
using System.Text;

namespace NanoClaw.Network;

/// <summary>
/// The firewall for TAP-mode VMs, as one <c>nft -f</c> script that replaces our two tables atomically (and touches no
/// other table; both are named after the bridge, so two networks never share one). What a guest may do, all of it:
/// <list type="bullet">
/// <item>open TCP connections to the gateway's two ports on the bridge address (and get the answers);</item>
/// <item>ARP for the bridge address (ARP is not IP, so these IP rules do not see it).</item>
/// </list>
/// Everything else from the bridge is dropped: the host's other ports and addresses, forwarding anywhere (the LAN,
/// the internet, 169.254.169.254), other VMs (also stopped by bridge port isolation), IPv6 of any kind, and packets
/// whose source address is not the one its TAP's guest was given (so a guest cannot pose as another).
/// </summary>
public static class NftRuleset
{
    /// <summary>The script for <c>nft -f -</c>: creates-then-deletes each table (so the delete never fails) and adds it anew.</summary>
    public static string Build(TapNetworkSettings settings, int taps)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var i = CultureInfo.InvariantCulture;
        var bridge = settings.Bridge;
        var table = settings.Bridge;
        var tapWildcard = settings.TapPrefix + "*";
        var s = new StringBuilder();
        s.Append(i, $"""
            table inet {table}
            delete table inet {table}
            table bridge {table}
            delete table bridge {table}

            # Guests to the host: the gateway's ports on the bridge address, nothing else.
            table inet {table} {'{'}
            	chain input {'{'}
            		type filter hook input priority filter - 1; policy accept;
            		iifname "{bridge}" ct state established,related accept
            		iifname "{bridge}" meta nfproto ipv4 ip daddr {settings.BridgeAddress} tcp dport {'{'} {settings.GatewayPort}, {settings.ProxyPort} {'}'} ct state new accept
            		iifname "{bridge}" counter drop
            		iifname "{tapWildcard}" counter drop
            	{'}'}

            	# Guests to anywhere else: never routed (not to the LAN, the internet, or a metadata service).
            	chain forward {'{'}
            		type filter hook forward priority filter - 1; policy accept;
            		iifname "{bridge}" counter drop
            		oifname "{bridge}" counter drop
            		iifname "{tapWildcard}" counter drop
            		oifname "{tapWildcard}" counter drop
            	{'}'}
            {'}'}

            # Inside the bridge: each TAP speaks only with its own address, and no frame goes from one VM to another.
            table bridge {table} {'{'}
            	chain prerouting {'{'}
            		type filter hook prerouting priority filter - 1; policy accept;

            """);
        for (var n = 0; n < taps; n++)
            s.Append(i, $"\t\tiifname \"{settings.TapName(n)}\" ether type ip ip saddr != {settings.GuestAddress(n)} counter drop\n");
        s.Append(i, $"""
            		iifname "{tapWildcard}" ether type ip6 counter drop
            	{'}'}

            	chain forward {'{'}
            		type filter hook forward priority filter - 1; policy accept;
            		iifname "{tapWildcard}" oifname "{tapWildcard}" counter drop
            	{'}'}
            {'}'}

            """);
        return s.ToString();
    }

    /// <summary>The script that removes both tables, and only them (each created first, so a missing table is no error).</summary>
    public static string Remove(TapNetworkSettings settings) => Remove(settings.Bridge);

    static string Remove(string table) => $"""
        table inet {table}
        delete table inet {table}
        table bridge {table}
        delete table bridge {table}

        """;
}
