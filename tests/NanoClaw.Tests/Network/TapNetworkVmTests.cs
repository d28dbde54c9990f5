using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Egress;
using NanoClaw.Network;
using NanoClaw.Tests.Gateway;
using NanoClaw.Tests.Support;
using NanoClaw.Tests.Vm.Image;
using NanoClaw.Vm;
using NanoClaw.Vm.Qemu;
using Xunit.Abstractions;

namespace NanoClaw.Tests.Network;

/// <summary>
/// TAP networking for real: this test runs <c>setup --network</c>'s code on a bridge of its own, boots two QEMU VMs
/// on two TAPs, and looks from inside one guest at what it can reach. The network is removed at the end.
/// </summary>
[Collection(VmCollection.Name)]
public sealed class TapNetworkVmTests(VmTestEnvironment env, ITestOutputHelper output)
{
    // Own bridge, subnet and table names: a real `setup --network` on this host is left alone.
    const string Bridge = "nctest0";
    const string BridgeCidr = "172.30.199.1/24";
    static readonly IPAddress BridgeAddress = IPAddress.Parse("172.30.199.1");

    [RootNetworkFact]
    public async Task AGuestReachesTheGatewayAndTheProxyOnlyAndTheProxyRefusesPrivateDestinations()
    {
        var (gatewayPort, proxyPort, otherPort) = (FreePort(), FreePort(), FreePort());
        var settings = TapNetworkSettings.Parse(Bridge, BridgeCidr, gatewayPort, proxyPort);
        var setupLog = new StringWriter();
        var setup = new TapNetworkSetup(settings, setupLog);
        await setup.RemoveAsync(CancellationToken.None); // leftovers of an aborted earlier run
        try
        {
            await setup.ApplyAsync(taps: 2, user: "root", CancellationToken.None);
            TapNetworkSetup.InstalledTaps(settings).ShouldBe([0, 1]);
            await RunTwoVmsAsync(settings, gatewayPort, proxyPort, otherPort);
        }
        finally
        {
            output.WriteLine(setupLog.ToString());
            await setup.RemoveAsync(CancellationToken.None);
        }
        Directory.Exists($"/sys/class/net/{Bridge}").ShouldBeFalse();
        Directory.Exists($"/sys/class/net/{Bridge}-0").ShouldBeFalse();
        (await Nft("list tables")).ShouldNotContain(Bridge);
    }

    async Task RunTwoVmsAsync(TapNetworkSettings settings, int gatewayPort, int proxyPort, int otherPort)
    {
        // The host side: a stand-in gateway on the bridge address, another host port on every address, the real proxy.
        using var gateway = new ProbeHttpServer(new IPEndPoint(BridgeAddress, gatewayPort), "gateway-ok");
        using var other = new ProbeHttpServer(new IPEndPoint(IPAddress.Any, otherPort), "other-port-ok");
        var tokens = new RunTokens();
        var token = tokens.Issue(new RunIdentity("run-tap", "family", "456@g.us", IsMain: false));
        var logs = new CapturingLoggerProvider();
        await using var proxy = EgressProxy.Start(tokens, [new IPEndPoint(BridgeAddress, proxyPort)], logs.CreateLogger("egress"),
            (host, _) => Task.FromResult(host == "metadata.test" ? new[] { IPAddress.Parse("169.254.169.254") } : []));

        var pool = new TapPool(settings, Path.Combine(env.Home, "tap-locks"));
        var vmm = new QemuVmm(new KvmStatus(false, "tests use TCG"), NullLogger<QemuVmm>.Instance, pool);

        // VM B (the first TAP) listens on 8080: the host can reach it, so a guest's failure to is the firewall's doing.
        // It reads the whole request before answering: closing with unread bytes would reset the connection.
        var vmBAddress = settings.GuestAddress(0);
        var initrdB = await ProbeInitrd.BuildAsync(env.Artifacts.Initrd, env.RepoRoot, Path.Combine(env.Home, "tap-probe-b"), """
            perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalPort => 8080, Listen => 5, ReuseAddr => 1) or die; while ($c = $s->accept) { while (<$c>) { last if /^\r?$/ } print $c "HTTP/1.0 200 OK\r\n\r\nvm-b-ok"; close $c }' &
            for i in $(seq 50); do curl -s -m 1 -o /dev/null http://127.0.0.1:8080/ && break; sleep 0.2; done
            echo "probe B: $(curl -sS -m 2 http://127.0.0.1:8080/ 2>&1) on $(ip -4 -o addr show dev eth0 | tr -s ' ' | cut -d' ' -f4)"
            """);
        var specB = env.NewSpec() with { Artifacts = env.Artifacts with { Initrd = initrdB } };
        await using var vmB = await vmm.BootAsync(specB, CancellationToken.None);
        await ReadyAsync(vmB);
        // The serial console is pumped separately from the control socket: under load its last lines may lag "ready".
        await Eventually.True(() => File.ReadAllText(specB.ConsoleLogPath).Contains("probe B: ", StringComparison.Ordinal), "VM B's probe line on its console");
        var consoleB = await File.ReadAllTextAsync(specB.ConsoleLogPath);
        Probe(consoleB, "B").ShouldBe($"vm-b-ok on {vmBAddress}/24", consoleB);
        (await HttpGetFromHostAsync(new IPEndPoint(vmBAddress, 8080))).ShouldContain("vm-b-ok");

        var proxyUrl = $"http://run:{token}@{BridgeAddress}:{proxyPort}";
        string ViaProxy(string url) => $"curl -sS -m 20 -x {proxyUrl} -w ' status=%{{http_code}}' {url} 2>&1 | tr '\\n' ' '";
        string Direct(string url) => $"curl -sS -m 4 {url} 2>&1 | tr '\\n' ' '";
        var noToken = $"curl -sS -m 20 -x http://{BridgeAddress}:{proxyPort} -w ' status=%{{http_code}}' http://example.com/ 2>&1 | tr '\\n' ' '";
        var initrdA = await ProbeInitrd.BuildAsync(env.Artifacts.Initrd, env.RepoRoot, Path.Combine(env.Home, "tap-probe-a"), $"""
            echo "probe address: $(ip -4 -o addr show dev eth0 | tr -s ' ' | cut -d' ' -f4) via $(ip route show default | cut -d' ' -f3)"
            echo "probe gateway: $({Direct($"http://{BridgeAddress}:{gatewayPort}/one")})"
            echo "probe gateway by name: $({Direct($"http://gateway.nanoclaw:{gatewayPort}/two")})"
            echo "probe other host port: $({Direct($"http://{BridgeAddress}:{otherPort}/")})"
            echo "probe vm b: $({Direct($"http://{vmBAddress}:8080/")})"
            echo "probe private: $({Direct("http://10.0.0.1/")})"
            echo "probe metadata: $({Direct("http://169.254.169.254/")})"
            echo "probe proxy loopback: $({ViaProxy("http://127.0.0.1/")})"
            echo "probe proxy private: $({ViaProxy("http://10.0.0.1/")})"
            echo "probe proxy metadata: $({ViaProxy("http://169.254.169.254/latest/meta-data/")})"
            echo "probe proxy name: $({ViaProxy("http://metadata.test/")})"
            echo "probe proxy connect: $({ViaProxy("https://10.0.0.1/")})"
            echo "probe proxy no token: $({noToken})"
            """);
        var specA = env.NewSpec() with { Artifacts = env.Artifacts with { Initrd = initrdA } };
        await using (var vmA = await vmm.BootAsync(specA, CancellationToken.None))
        {
            pool.TryLease().ShouldBeNull(); // both TAPs are held
            await ReadyAsync(vmA);
            await CloseAsync(vmA);
        }
        await CloseAsync(vmB);
        await vmB.DisposeAsync(); // gives its TAP back now, not at the end of the method

        var console = await File.ReadAllTextAsync(specA.ConsoleLogPath);
        output.WriteLine(string.Join('\n', console.Split('\n').Where(l => l.StartsWith("probe", StringComparison.Ordinal))));
        Probe(console, "address").ShouldBe($"{settings.GuestAddress(1)}/24 via {BridgeAddress}");
        Probe(console, "gateway").ShouldBe("gateway-ok");
        Probe(console, "gateway by name").ShouldBe("gateway-ok");
        Probe(console, "other host port").ShouldMatch(@"^curl: \((28|7)\)");
        Probe(console, "vm b").ShouldMatch(@"^curl: \((28|7)\)");
        Probe(console, "private").ShouldMatch(@"^curl: \((28|7)\)");
        Probe(console, "metadata").ShouldMatch(@"^curl: \((28|7)\)");
        Probe(console, "proxy loopback").ShouldBe("refused by the NanoClaw egress proxy: 127.0.0.1: 127.0.0.0/8 is the host itself (loopback)  status=403");
        Probe(console, "proxy private").ShouldBe("refused by the NanoClaw egress proxy: 10.0.0.1: 10.0.0.0/8 is a private network  status=403");
        Probe(console, "proxy metadata").ShouldBe("refused by the NanoClaw egress proxy: 169.254.169.254: 169.254.169.254 is the cloud metadata service  status=403");
        Probe(console, "proxy name").ShouldBe("refused by the NanoClaw egress proxy: metadata.test resolves to 169.254.169.254: 169.254.169.254 is the cloud metadata service  status=403");
        Probe(console, "proxy connect").ShouldContain("CONNECT tunnel failed, response 403");
        Probe(console, "proxy no token").ShouldEndWith("status=407");
        lock (gateway.Requests) gateway.Requests.ShouldBe(["GET /one", "GET /two"]);
        lock (other.Requests) other.Requests.ShouldBeEmpty();
        foreach (var destination in new[] { "127.0.0.1:80 (127.0.0.1)", "10.0.0.1:80 (10.0.0.1)", "169.254.169.254:80 (169.254.169.254)", "metadata.test:80 (169.254.169.254)", "10.0.0.1:443 (10.0.0.1)" })
            logs.Lines.ShouldContain(l => l.Contains($"egress family run run-tap: {destination} refused"), destination);

        // Every TAP went back to the pool with its VM.
        using var again0 = pool.TryLease().ShouldNotBeNull();
        using var again1 = pool.TryLease().ShouldNotBeNull();
    }

    static string Probe(string console, string name)
    {
        var prefix = $"probe {name}: ";
        var line = console.Split('\n').Select(l => l.TrimEnd('\r')).SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        line.ShouldNotBeNull($"no \"{prefix}\" line on the console");
        return line[prefix.Length..].Trim();
    }

    static async Task ReadyAsync(IMicroVm vm) =>
        (await new StreamReader(vm.Control).ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(240))).ShouldBe("""{"type":"ready"}""");

    static async Task CloseAsync(IMicroVm vm)
    {
        // No job: a close makes the agent exit, and the VM powers off.
        await vm.Control.WriteAsync("{\"type\":\"close\"}\n"u8.ToArray());
        await vm.Control.FlushAsync();
        await vm.Exited.WaitAsync(TimeSpan.FromSeconds(60));
    }

    static async Task<string> HttpGetFromHostAsync(IPEndPoint endpoint)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint).WaitAsync(TimeSpan.FromSeconds(10));
        var stream = client.GetStream();
        await stream.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray());
        return await new StreamReader(stream).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    static async Task<string> Nft(string arguments)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("nft", arguments) { RedirectStandardOutput = true })!;
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return text;
    }
}
