namespace NanoClaw.Tests.Network;

/// <summary>
/// A test that changes the host's network for real (bridge, TAPs, nftables): it needs root, <c>ip</c>, <c>nft</c> and
/// <c>/dev/net/tun</c>. Elsewhere it is reported as skipped, with the reason.
/// </summary>
public sealed class RootNetworkFactAttribute : FactAttribute
{
    public RootNetworkFactAttribute()
    {
        if (SkipReason() is { } reason) Skip = reason;
    }

    static string? SkipReason()
    {
        if (!OperatingSystem.IsLinux()) return "TAP networking is Linux only";
        if (!Environment.IsPrivilegedProcess) return "sets up a bridge, TAP devices and nftables rules: run the tests as root (sudo ./test)";
        if (!File.Exists("/dev/net/tun")) return "no /dev/net/tun on this host";
        foreach (var tool in new[] { "ip", "nft" })
            if (!(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, tool))))
                return $"`{tool}` is not installed (vm/host-packages.sh installs iproute2 and nftables)";
        return null;
    }
}
