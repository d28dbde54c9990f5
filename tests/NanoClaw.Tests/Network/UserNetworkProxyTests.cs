using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Egress;
using NanoClaw.Tests.Gateway;
using NanoClaw.Tests.Support;
using NanoClaw.Tests.Vm.Image;
using NanoClaw.Vm;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Tests.Network;

/// <summary>
/// The egress proxy from a real guest without TAP (the default, the gateway streams): its second port,
/// 10.0.2.100:3128, reaches the proxy, which lets a "public" site through and refuses a private address.
/// </summary>
[Collection(VmCollection.Name)]
public sealed class UserNetworkProxyTests(VmTestEnvironment env)
{
    [Fact]
    public async Task AGuestReachesTheWebOnlyThroughTheProxyWithItsRunToken()
    {
        using var site = new TcpListener(IPAddress.Loopback, 0);
        site.Start();
        var sitePort = ((IPEndPoint)site.LocalEndpoint).Port;
        _ = ServeAsync(site, "hello from the web");
        var tokens = new RunTokens();
        var token = tokens.Issue(new RunIdentity("run-user", "family", "456@g.us", IsMain: false));
        var logs = new CapturingLoggerProvider();
        // The site is on loopback, so the test marks exactly its port as public; "site.test" resolves to it.
        await using var proxy = EgressProxy.Start(tokens, [new IPEndPoint(IPAddress.Loopback, 0)], logs.CreateLogger("egress"),
            (host, _) => Task.FromResult(host == "site.test" ? new[] { IPAddress.Loopback } : []),
            new EgressProxyOptions { ConnectPorts = new HashSet<int> { EgressProxyOptions.HttpsPort, sitePort } }); // plain HTTP to a port not 80
        proxy.TestOnlyPublicEndpoint = new IPEndPoint(IPAddress.Loopback, sitePort);

        // curl reads only the lower-case http_proxy (the upper-case one is ignored on purpose): the job env sets both.
        var proxyUrl = $"http://run:{token}@{QemuCommandLine.GuestGatewayAddress}:{QemuCommandLine.GuestProxyPort}";
        const string httpCode = "%{http_code}";
        var initrd = await ProbeInitrd.BuildAsync(env.Artifacts.Initrd, env.RepoRoot, Path.Combine(env.Home, "user-proxy-probe"), $"""
            echo "probe site: $(http_proxy={proxyUrl} curl -sS -m 20 http://site.test:{sitePort}/page 2>&1)"
            echo "probe private: $(curl -sS -m 20 -x {proxyUrl} -o /dev/null -w '{httpCode}' http://10.0.0.1/ 2>&1)"
            echo "probe direct: $(curl -sS -m 4 http://10.0.2.2:{sitePort}/ 2>&1 | head -c 60)"
            """);
        var spec = env.NewSpec() with { Artifacts = env.Artifacts with { Initrd = initrd }, ProxyPort = proxy.Endpoints[0].Port };

        var vmm = new QemuVmm(new KvmStatus(false, "tests use TCG"), NullLogger<QemuVmm>.Instance);
        await using (var vm = await vmm.BootAsync(spec, CancellationToken.None))
        {
            (await new StreamReader(vm.Control).ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(240))).ShouldBe("""{"type":"ready"}""");
            await vm.Control.WriteAsync("{\"type\":\"close\"}\n"u8.ToArray());
            await vm.Control.FlushAsync();
            await vm.Exited.WaitAsync(TimeSpan.FromSeconds(60));
        }

        var console = await File.ReadAllTextAsync(spec.ConsoleLogPath);
        console.ShouldContain("probe site: hello from the web");
        console.ShouldContain("probe private: 403");
        console.ShouldMatch(@"probe direct: curl: \(7\)");
        logs.Lines.ShouldContain(l => l.Contains($"egress family run run-user: site.test:{sitePort} (127.0.0.1) allowed"));
        logs.Lines.ShouldContain(l => l.Contains("egress family run run-user: 10.0.0.1:80 (10.0.0.1) refused"));
    }

    static async Task ServeAsync(TcpListener listener, string body)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                _ = await stream.ReadAsync(new byte[4096]); // the request (one read is enough for curl's small GET)
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.0 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}"));
            }
        }
        catch (ObjectDisposedException) { }
        catch (SocketException) { }
    }
}
