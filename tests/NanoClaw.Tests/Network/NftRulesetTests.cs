using System.Net;
using NanoClaw.Network;

namespace NanoClaw.Tests.Network;

public sealed class NftRulesetTests
{
    static readonly TapNetworkSettings Default = TapNetworkSettings.Parse("nanoclaw0", "172.29.0.1/24", 7841, 7842);

    [Fact]
    public void TheRulesetReplacesOnlyItsOwnTablesAtomically()
    {
        var text = NftRuleset.Build(Default, taps: 2);

        // Created then deleted then made anew, in one nft -f transaction: re-running never fails, never duplicates.
        text.ShouldStartWith("table inet nanoclaw0\ndelete table inet nanoclaw0\ntable bridge nanoclaw0\ndelete table bridge nanoclaw0\n");
        Lines(text).Where(l => l.StartsWith("table ", StringComparison.Ordinal)).ShouldBe(
            ["table inet nanoclaw0", "table bridge nanoclaw0", "table inet nanoclaw0 {", "table bridge nanoclaw0 {"]);
        text.ShouldNotContain("flush ruleset");
    }

    [Fact]
    public void GuestsReachTheGatewaysTwoPortsOnTheBridgeAddressAndNothingElseOnTheHost()
    {
        var input = Chain(NftRuleset.Build(Default, taps: 2), "input");

        input.ShouldBe([
            "type filter hook input priority filter - 1; policy accept;",
            "iifname \"nanoclaw0\" ct state established,related accept",
            "iifname \"nanoclaw0\" meta nfproto ipv4 ip daddr 172.29.0.1 tcp dport { 7841, 7842 } ct state new accept",
            "iifname \"nanoclaw0\" counter drop",
            "iifname \"nanoclaw0-*\" counter drop",
        ]);
    }

    [Fact]
    public void NothingIsForwardedIntoOrOutOfTheBridge()
    {
        var forward = Chain(NftRuleset.Build(Default, taps: 2), "forward");

        forward.ShouldBe([
            "type filter hook forward priority filter - 1; policy accept;",
            "iifname \"nanoclaw0\" counter drop",
            "oifname \"nanoclaw0\" counter drop",
            "iifname \"nanoclaw0-*\" counter drop",
            "oifname \"nanoclaw0-*\" counter drop",
            // the bridge table's forward chain: VM to VM
            "type filter hook forward priority filter - 1; policy accept;",
            "iifname \"nanoclaw0-*\" oifname \"nanoclaw0-*\" counter drop",
        ]);
    }

    [Fact]
    public void EachTapMaySendOnlyFromItsOwnAddressAndNoIpv6()
    {
        var prerouting = Chain(NftRuleset.Build(Default, taps: 3), "prerouting");

        prerouting.ShouldBe([
            "type filter hook prerouting priority filter - 1; policy accept;",
            "iifname \"nanoclaw0-0\" ether type ip ip saddr != 172.29.0.10 counter drop",
            "iifname \"nanoclaw0-1\" ether type ip ip saddr != 172.29.0.11 counter drop",
            "iifname \"nanoclaw0-2\" ether type ip ip saddr != 172.29.0.12 counter drop",
            "iifname \"nanoclaw0-*\" ether type ip6 counter drop",
        ]);
    }

    [Fact]
    public void ConfiguredBridgeAddressAndPortsAreWhatTheRulesName()
    {
        var settings = TapNetworkSettings.Parse("nctest7", "10.77.0.3/16", 9001, 9002);
        var text = NftRuleset.Build(settings, taps: 1);

        text.ShouldContain("table inet nctest7 {");
        text.ShouldContain("ip daddr 10.77.0.3 tcp dport { 9001, 9002 }");
        text.ShouldContain("iifname \"nctest7-0\" ether type ip ip saddr != 10.77.0.10 counter drop");
        text.ShouldNotContain("nanoclaw0");
    }

    [Fact]
    public void RemovingDeletesBothTablesEvenIfOneIsMissing() =>
        NftRuleset.Remove(Default).ShouldBe("table inet nanoclaw0\ndelete table inet nanoclaw0\ntable bridge nanoclaw0\ndelete table bridge nanoclaw0\n");

    [Fact]
    public void GuestAddressesFollowTheTapIndex()
    {
        Default.TapName(5).ShouldBe("nanoclaw0-5");
        Default.GuestAddress(0).ShouldBe(IPAddress.Parse("172.29.0.10"));
        Default.GuestAddress(244).ShouldBe(IPAddress.Parse("172.29.0.254"));
        Default.MaxTaps.ShouldBe(245);
        Should.Throw<ArgumentOutOfRangeException>(() => Default.GuestAddress(245));
        TapNetworkSettings.GuestMac(3).ShouldBe("52:54:00:4e:00:03");
    }

    [Theory]
    [InlineData("NanoClaw", "172.29.0.1/24", "NANOCLAW_BRIDGE")]
    [InlineData("averylongname", "172.29.0.1/24", "NANOCLAW_BRIDGE")]
    [InlineData("nanoclaw0", "172.29.0.1", "NANOCLAW_BRIDGE_ADDRESS")]
    [InlineData("nanoclaw0", "172.29.0.1/8", "NANOCLAW_BRIDGE_ADDRESS")]
    [InlineData("nanoclaw0", "fd00::1/64", "NANOCLAW_BRIDGE_ADDRESS")]
    [InlineData("nanoclaw0", "172.29.0.20/24", "guests take .10")]
    [InlineData("nanoclaw0", "172.29.0.0/24", "guests take .10")]
    public void BadSettingsSayWhichKeyIsWrong(string bridge, string cidr, string message) =>
        Should.Throw<ConfigException>(() => TapNetworkSettings.Parse(bridge, cidr, 7841, 7842)).Message.ShouldContain(message);

    static string[] Lines(string text) => [.. text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];

    /// <summary>The rule lines of every chain with that name, in order.</summary>
    static List<string> Chain(string text, string name)
    {
        var result = new List<string>();
        var inside = false;
        foreach (var line in Lines(text))
        {
            if (line == $"chain {name} {{") { inside = true; continue; }
            if (inside && line == "}") { inside = false; continue; }
            if (inside) result.Add(line);
        }
        return result;
    }
}
