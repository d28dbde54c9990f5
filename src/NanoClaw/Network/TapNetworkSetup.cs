using System.Globalization;

namespace NanoClaw.Network;

/// <summary>
/// <c>setup --network</c>: the bridge with the host's address, <paramref name="settings"/>'s pool of TAP devices owned
/// by the service's user (so the service opens them without root), bridge port isolation on every TAP, and the
/// <see cref="NftRuleset"/>. Idempotent: run it again to change the TAP count or owner; <see cref="RemoveAsync"/> takes
/// away everything it added. Needs root (CAP_NET_ADMIN). Every command is printed before it runs.
/// </summary>
public sealed class TapNetworkSetup(TapNetworkSettings settings, TextWriter output)
{
    const string SysNet = "/sys/class/net";

    /// <summary>True when the bridge exists and has at least one of our TAPs on it.</summary>
    public static bool IsSetUp(TapNetworkSettings settings) => InstalledTaps(settings).Count > 0;

    /// <summary>The indexes of our TAPs attached to the bridge now, ascending.</summary>
    public static IReadOnlyList<int> InstalledTaps(TapNetworkSettings settings)
    {
        var ports = Path.Combine(SysNet, settings.Bridge, "brif");
        if (!Directory.Exists(ports)) return [];
        return [.. Directory.EnumerateFileSystemEntries(ports)
            .Select(Path.GetFileName)
            .Select(name => name!.StartsWith(settings.TapPrefix, StringComparison.Ordinal)
                && int.TryParse(name.AsSpan(settings.TapPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1)
            .Where(n => n >= 0 && n < settings.MaxTaps)
            .Order()];
    }

    public async Task ApplyAsync(int taps, string user, CancellationToken ct)
    {
        if (taps < 1 || taps > settings.MaxTaps) throw new NetworkSetupException($"--taps must be from 1 to {settings.MaxTaps} for a /{settings.PrefixLength}.");
        var uid = await UidOfAsync(user, ct);
        var bridge = settings.Bridge;

        output.WriteLine($"bridge {bridge} with {settings.Cidr}");
        if (!Exists(bridge)) await Ip(ct, "link", "add", "name", bridge, "type", "bridge");
        await Ip(ct, "addr", "replace", settings.Cidr, "dev", bridge);
        await Ip(ct, "link", "set", bridge, "up");
        // Guests get no IPv6 at all; without an IPv6 address on the bridge the host offers none either.
        var ipv6 = $"/proc/sys/net/ipv6/conf/{bridge}/disable_ipv6";
        if (File.Exists(ipv6) && File.ReadAllText(ipv6).Trim() != "1")
        {
            output.WriteLine($"  $ echo 1 > {ipv6}");
            await File.WriteAllTextAsync(ipv6, "1", ct);
        }

        output.WriteLine($"{taps} TAP devices {settings.TapName(0)}..{settings.TapName(taps - 1)} for user {user} (uid {uid}), isolated from each other");
        for (var n = 0; n < taps; n++)
        {
            var tap = settings.TapName(n);
            if (Exists(tap) && (Owner(tap) != uid || Master(tap) != bridge))
                await Ip(ct, "link", "del", tap); // wrong owner or not ours: made again below
            if (!Exists(tap))
            {
                await Ip(ct, "tuntap", "add", "dev", tap, "mode", "tap", "user", uid.ToString(CultureInfo.InvariantCulture));
                await Ip(ct, "link", "set", tap, "master", bridge);
            }
            await Ip(ct, "link", "set", "dev", tap, "type", "bridge_slave", "isolated", "on");
            await Ip(ct, "link", "set", tap, "up");
        }
        foreach (var extra in ExistingTaps().Where(n => n >= taps))
            await Ip(ct, "link", "del", settings.TapName(extra));

        output.WriteLine($"nftables tables inet {bridge} and bridge {bridge}: guests reach {settings.BridgeAddress}:{settings.GatewayPort} and :{settings.ProxyPort} only");
        await HostCommand.RunAsync(output, "nft", ["-f", "-"], ct, NftRuleset.Build(settings, taps));
    }

    public async Task RemoveAsync(CancellationToken ct)
    {
        foreach (var n in ExistingTaps()) await Ip(ct, "link", "del", settings.TapName(n));
        if (Exists(settings.Bridge)) await Ip(ct, "link", "del", settings.Bridge);
        await HostCommand.RunAsync(output, "nft", ["-f", "-"], ct, NftRuleset.Remove(settings));
    }

    /// <summary>Every TAP with our prefix, attached or not (a half-made setup is removed too).</summary>
    IEnumerable<int> ExistingTaps() =>
        Directory.Exists(SysNet)
            ? Directory.EnumerateFileSystemEntries(SysNet).Select(Path.GetFileName)
                .Select(name => name!.StartsWith(settings.TapPrefix, StringComparison.Ordinal)
                    && int.TryParse(name.AsSpan(settings.TapPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1)
                .Where(n => n >= 0).Order().ToList()
            : [];

    static bool Exists(string device) => Directory.Exists(Path.Combine(SysNet, device));

    static int? Owner(string tap) =>
        int.TryParse(File.ReadAllText(Path.Combine(SysNet, tap, "owner")).Trim(), CultureInfo.InvariantCulture, out var uid) ? uid : null;

    static string? Master(string device)
    {
        var link = new FileInfo(Path.Combine(SysNet, device, "master"));
        return link.LinkTarget is { } target ? Path.GetFileName(target) : null;
    }

    Task Ip(CancellationToken ct, params string[] args) => HostCommand.RunAsync(output, "ip", args, ct);

    static async Task<int> UidOfAsync(string user, CancellationToken ct)
    {
        if (int.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric)) return numeric;
        foreach (var line in await File.ReadAllLinesAsync("/etc/passwd", ct))
        {
            var fields = line.Split(':');
            if (fields.Length > 2 && fields[0] == user && int.TryParse(fields[2], CultureInfo.InvariantCulture, out var uid)) return uid;
        }
        throw new NetworkSetupException($"no user \"{user}\" in /etc/passwd: pass the user the service runs as with --user");
    }
}
