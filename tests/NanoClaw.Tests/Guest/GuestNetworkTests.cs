using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Tests.Support;
using NanoClaw.Tests.Vm.Image;
using NanoClaw.Vm;
using NanoClaw.Vm.Qemu;


namespace NanoClaw.Tests.Guest;

/// <summary>What a real guest can reach over the network: the gateway port, and nothing else.</summary>
[Collection(VmCollection.Name)]
public sealed class GuestNetworkTests(VmTestEnvironment env)
{
    [Fact]
    public async Task TheGuestReachesTheGatewayPortAndNothingElse()
    {
        using var gateway = new ProbeHttpServer(new IPEndPoint(IPAddress.Loopback, 0), "gateway-ok");
        var port = gateway.Port;
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var otherPort = ((IPEndPoint)other.LocalEndpoint).Port;

        // Two requests: QEMU's guestfwd must serve every connection, not only the first.
        var initrd = await ProbeInitrd.BuildAsync(env.Artifacts.Initrd, env.RepoRoot, Path.Combine(env.Home, "net-probe"), $"""
            echo "probe gateway 1: $(curl -sS -m 10 http://gateway.nanoclaw/one 2>&1)"
            echo "probe gateway 2: $(curl -sS -m 10 http://10.0.2.100/two 2>&1)"
            echo "probe host port: $(curl -sS -m 5 http://10.0.2.2:{otherPort}/ 2>&1 || echo refused)"
            echo "probe internet: $(curl -sS -m 5 http://1.1.1.1/ 2>&1 || echo refused)"
            """);
        var spec = env.NewSpec() with { Artifacts = env.Artifacts with { Initrd = initrd }, GatewayPort = port };

        var vmm = new QemuVmm(new KvmStatus(false, "tests use TCG"), NullLogger<QemuVmm>.Instance);
        await using (var vm = await vmm.BootAsync(spec, CancellationToken.None))
        {
            (await new StreamReader(vm.Control).ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120))).ShouldBe("""{"type":"ready"}""");
            // No job: a close before it makes the agent exit, and the VM powers off.
            await vm.Control.WriteAsync("{\"type\":\"close\"}\n"u8.ToArray());
            await vm.Control.FlushAsync();
            await vm.Exited.WaitAsync(TimeSpan.FromSeconds(60));
        }

        var console = await File.ReadAllTextAsync(spec.ConsoleLogPath);
        console.ShouldContain("probe gateway 1: gateway-ok");
        console.ShouldContain("probe gateway 2: gateway-ok");
        console.ShouldMatch(@"probe host port: curl: \(7\)[^\n]*\n?[^\n]*refused");
        console.ShouldMatch(@"probe internet: curl: \(7\)[^\n]*\n?[^\n]*refused");
        lock (gateway.Requests) gateway.Requests.ShouldBe(["GET /one", "GET /two"]);
        other.Pending().ShouldBeFalse();
    }
}
