namespace NanoClaw.Tests;

public class ConfigTests
{
    [Fact]
    public void DotEnvFillsOnlyKeysTheEnvironmentLacks()
    {
        var home = Directory.CreateTempSubdirectory("nanoclaw-config-").FullName;
        File.WriteAllText(Path.Combine(home, ".env"), "# comment\nASSISTANT_NAME=Bob\nexport MAX_CONCURRENT_AGENTS='3'\nTZ=\"Europe/Berlin\"\n");
        var env = new Dictionary<string, string?> { ["NANOCLAW_HOME"] = home, ["ASSISTANT_NAME"] = "Carl" };

        var config = Config.Load(env);

        config.AssistantName.ShouldBe("Carl");
        config.MaxConcurrentAgents.ShouldBe(3);
        config.TimeZone.Id.ShouldBe("Europe/Berlin");
        config.DatabasePath.ShouldBe(Path.Combine(home, "store", "messages.db"));
    }

    [Fact]
    public void EgressConnectPortsAre443PlusTheListedOnes()
    {
        var home = Directory.CreateTempSubdirectory("nanoclaw-config-").FullName;
        Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = home }).EgressConnectPorts.ShouldBe([443]);
        Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = home, ["EGRESS_CONNECT_PORTS"] = " 8443, 9443 " })
            .EgressConnectPorts.Order().ShouldBe([443, 8443, 9443]);
        Should.Throw<ConfigException>(() => Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = home, ["EGRESS_CONNECT_PORTS"] = "22,ssh" }))
            .Message.ShouldContain("\"ssh\" is not a port");
    }

    [Fact]
    public void ABadNumberSaysWhichKeyIsWrong()
    {
        var env = new Dictionary<string, string?> { ["NANOCLAW_HOME"] = Path.GetTempPath(), ["MAX_CONCURRENT_AGENTS"] = "lots" };
        Should.Throw<ConfigException>(() => Config.Load(env)).Message.ShouldContain("MAX_CONCURRENT_AGENTS=lots");
    }

    /// <summary>Prepared runs wait 4 hours by default, frozen (VMs that only wait are frozen once settled, after 30 s at
    /// the earliest); 0 turns each off.</summary>
    [Fact]
    public void PreparedRunsWaitFourHoursAndWaitingVmsFreezeAfterThirtySecondsUnlessSetOff()
    {
        var home = Directory.CreateTempSubdirectory("nanoclaw-config-").FullName;
        var defaults = Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = home });
        (defaults.AgentPrepareWait, defaults.VmFreezeAfter).ShouldBe((TimeSpan.FromHours(4), TimeSpan.FromSeconds(30)));
        var off = Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = home, ["AGENT_PREPARE_MINUTES"] = "0", ["VM_FREEZE_SECONDS"] = "0" });
        (off.AgentPrepareWait, off.VmFreezeAfter).ShouldBe((TimeSpan.Zero, TimeSpan.Zero));
        Should.Throw<ConfigException>(() => Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = home, ["VM_FREEZE_SECONDS"] = "-5" }))
            .Message.ShouldContain("VM_FREEZE_SECONDS=-5");
    }
}
