using NanoClaw.Cli;

namespace NanoClaw.Tests.Network;

public sealed class NetworkDoctorTests
{
    static Config Config(string network) => new() { Home = "/tmp/x", CacheDir = "/tmp/x", Network = network, Bridge = "ncnone0" };

    [Fact]
    public void WithoutABridgeAutoUsesUserNetworkingAndSaysHowToGetTap()
    {
        var check = DoctorCommand.NetworkCheck(Config("auto"));

        check.Ok.ShouldBeTrue();
        check.Detail.ShouldContain("no NIC, gateway streams (no bridge ncnone0; `sudo ./nanoclaw setup --network` makes TAP networking)");
    }

    [Fact]
    public void DemandingTapWithoutTheNetworkIsMissingWithTheFix()
    {
        var check = DoctorCommand.NetworkCheck(Config("tap"));

        check.Ok.ShouldBeFalse();
        check.Fix.ShouldNotBeNull().ShouldContain("sudo ./nanoclaw setup --network");
    }

    [Fact]
    public void ABadBridgeAddressIsNamed()
    {
        var check = DoctorCommand.NetworkCheck(Config("auto") with { BridgeCidr = "172.29.0.1" });

        check.Ok.ShouldBeFalse();
        check.Detail.ShouldContain("NANOCLAW_BRIDGE_ADDRESS=172.29.0.1");
    }

    [Fact]
    public void TheNetworkKeysAreReadFromTheEnvironment()
    {
        var config = NanoClaw.Config.Load(new Dictionary<string, string?>
        {
            ["NANOCLAW_HOME"] = "/tmp/x",
            ["NANOCLAW_NETWORK"] = "tap",
            ["NANOCLAW_BRIDGE"] = "br7",
            ["NANOCLAW_BRIDGE_ADDRESS"] = "10.9.0.1/24",
            ["NANOCLAW_GATEWAY_PORT"] = "9001",
            ["NANOCLAW_PROXY_PORT"] = "9002",
        });

        (config.Network, config.Bridge, config.BridgeCidr, config.GatewayPort, config.ProxyPort).ShouldBe(("tap", "br7", "10.9.0.1/24", 9001, 9002));
        Should.Throw<ConfigException>(() => NanoClaw.Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = "/tmp/x", ["NANOCLAW_NETWORK"] = "bridge" }))
            .Message.ShouldContain("NANOCLAW_NETWORK=bridge must be auto, tap or user");
    }
}
