using System.Net;
using System.Net.Sockets;
using NanoClaw.Network;
using NanoClaw.Tests.EndToEnd;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Network;

/// <summary>
/// <c>./nanoclaw chat</c> with TAP networking: the real Claude Code in a VM on a TAP reaches the gateway on the bridge
/// address (job env, MCP config, the gateway's bridge listener, the TAP lease), and is answered.
/// </summary>
[Collection(VmCollection.Name)]
public sealed class TapEndToEndTests(VmTestEnvironment vm) : IAsyncLifetime
{
    const string RealKey = "sk-ant-api03-REAL-SECRET-must-never-enter-a-vm-0123456789";
    const string Bridge = "nce2e0";
    readonly string home = Directory.CreateTempSubdirectory("nanoclaw-e2e-tap-").FullName;
    FakeMessagesApi fake = null!;

    public async Task InitializeAsync() => fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);

    public async Task DisposeAsync()
    {
        await fake.DisposeAsync();
        try { Directory.Delete(home, recursive: true); } catch (IOException) { }
    }

    [RootNetworkFact]
    public async Task ChatIsAnsweredFromAVmOnATap()
    {
        var (gatewayPort, proxyPort) = (FreePort(), FreePort());
        var settings = TapNetworkSettings.Parse(Bridge, "172.30.198.1/24", gatewayPort, proxyPort);
        var setup = new TapNetworkSetup(settings, TextWriter.Null);
        await setup.RemoveAsync(CancellationToken.None);
        try
        {
            await setup.ApplyAsync(taps: 1, user: "root", CancellationToken.None);
            fake.Script("Hello over the bridge!");
            var env = new Dictionary<string, string>
            {
                ["NANOCLAW_HOME"] = home,
                ["ANTHROPIC_API_KEY"] = RealKey,
                ["ANTHROPIC_BASE_URL"] = fake.BaseUrl.ToString().TrimEnd('/'),
                ["NANOCLAW_CACHE"] = vm.Config.CacheDir,
                ["VM_MEMORY_MB"] = "2048",
                ["LOG_LEVEL"] = "Information",
                ["NANOCLAW_NETWORK"] = "tap",
                ["NANOCLAW_BRIDGE"] = Bridge,
                ["NANOCLAW_BRIDGE_ADDRESS"] = settings.Cidr,
                ["NANOCLAW_GATEWAY_PORT"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["NANOCLAW_PROXY_PORT"] = proxyPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };

            var result = await NanoclawProcess.RunAsync(vm.RepoRoot, env, "@Andy hello\n", TimeSpan.FromMinutes(4), "chat");

            result.ExitCode.ShouldBe(0, result.ToString());
            result.Stdout.ShouldBe("Andy: Hello over the bridge!\n", result.ToString());
            result.Stderr.ShouldContain($"guests reach it at http://172.30.198.1:{gatewayPort}, the egress proxy at 172.30.198.1:{proxyPort}");
            var console = await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(home, "groups", "main", "logs"), "*.console.log").Single());
            console.ShouldNotContain("nanoclaw-init: FATAL", Case.Sensitive);
            var runLog = await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(home, "groups", "main", "logs"), "*.log").Single(f => !f.EndsWith(".console.log", StringComparison.Ordinal)));
            runLog.ShouldContain($"web access through the egress proxy (172.30.198.1:{proxyPort}): any public host");
        }
        finally
        {
            await setup.RemoveAsync(CancellationToken.None);
        }
    }

    static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
