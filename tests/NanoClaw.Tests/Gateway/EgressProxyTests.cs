using System.Net;
using System.Net.Sockets;
using System.Text;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Egress;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Gateway;

/// <summary>The egress proxy over real sockets: every destination here is loopback, so the allowed path uses the
/// test-only switch that treats one local server as public; everything else is the production check.</summary>
public sealed class EgressProxyTests : IAsyncLifetime
{
    static readonly RunIdentity Family = new("run-7", "family", "456@g.us", IsMain: false);
    readonly RunTokens tokens = new();
    readonly CapturingLoggerProvider logs = new();
    readonly TcpListener destination = new(IPAddress.Loopback, 0);
    readonly List<string> resolved = [];
    readonly List<string> seenByDestination = [];
    EgressProxy proxy = null!;

    int DestinationPort => ((IPEndPoint)destination.LocalEndpoint).Port;
    int ProxyPort => proxy.Endpoints[0].Port;

    public Task InitializeAsync()
    {
        destination.Start();
        _ = ServeDestinationAsync();
        proxy = EgressProxy.Start(tokens, [new IPEndPoint(IPAddress.Loopback, 0)], logs.CreateLogger("egress"), ResolveAsync,
            new EgressProxyOptions { ConnectPorts = new HashSet<int> { 443, DestinationPort } });
        proxy.TestOnlyPublicEndpoint = new IPEndPoint(IPAddress.Loopback, DestinationPort);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await proxy.DisposeAsync();
        destination.Stop();
    }

    Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        lock (resolved) resolved.Add(host);
        return Task.FromResult(host switch
        {
            "echo.test" => [IPAddress.Loopback],
            "metadata.test" => [IPAddress.Parse("169.254.169.254")],
            "private.test" => [IPAddress.Parse("10.0.0.1")],
            // A public address first, a private one second: every address is checked, not only the first.
            "rebind.test" => [IPAddress.Parse("93.184.216.34"), IPAddress.Parse("127.0.0.1")],
            "ssh.test" => [IPAddress.Loopback],
            "myself.test" => HostInterfaceAddress.Find() is { } mine ? [mine] : [],
            _ => Array.Empty<IPAddress>(),
        });
    }

    [Fact]
    public async Task WithoutARunTokenTheProxyAnswers407AndAsksForOne()
    {
        var response = await SendAsync($"GET http://echo.test:{DestinationPort}/ HTTP/1.1\r\nHost: echo.test\r\n\r\n");

        response.ShouldStartWith("HTTP/1.1 407 ");
        response.ShouldContain("Proxy-Authenticate: Basic realm=\"nanoclaw\"");
        lock (resolved) resolved.ShouldBeEmpty();
        lock (seenByDestination) seenByDestination.ShouldBeEmpty();
    }

    [Fact]
    public async Task ARevokedTokenIsRefusedToo()
    {
        var token = tokens.Issue(Family);
        tokens.Revoke(token);

        (await SendAsync(Connect($"echo.test:{DestinationPort}", token))).ShouldStartWith("HTTP/1.1 407 ");
    }

    [Fact]
    public async Task AnUnboundTokenIsRefusedUntilARunClaimsIt()
    {
        var token = tokens.IssueUnbound();

        (await SendAsync(Connect($"echo.test:{DestinationPort}", token))).ShouldStartWith("HTTP/1.1 407 ");
        lock (resolved) resolved.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("CONNECT", "127.0.0.1:443", "loopback")]
    [InlineData("GET", "http://127.0.0.1/", "loopback")]
    [InlineData("GET", "http://10.0.0.1/", "private")]
    [InlineData("GET", "http://169.254.169.254/latest/meta-data/", "metadata")]
    [InlineData("CONNECT", "[::ffff:127.0.0.1]:443", "loopback")]
    [InlineData("GET", "http://[::1]/", "loopback")]
    [InlineData("GET", "http://metadata.test/", "metadata.test resolves to 169.254.169.254")]
    [InlineData("CONNECT", "private.test:443", "private.test resolves to 10.0.0.1")]
    [InlineData("GET", "http://rebind.test/", "rebind.test resolves to 127.0.0.1")]
    public async Task NonPublicDestinationsAre403WithTheReasonAndLoggedForTheGroup(string method, string target, string reason)
    {
        var token = tokens.Issue(Family);

        var response = await SendAsync($"{method} {target} HTTP/1.1\r\nHost: x\r\n{Auth(token)}\r\n");

        response.ShouldStartWith("HTTP/1.1 403 ");
        response.ShouldContain(reason);
        logs.Lines.ShouldContain(l => l.Contains("egress family run run-7") && l.Contains("refused") && l.Contains(reason));
        lock (seenByDestination) seenByDestination.ShouldBeEmpty();
    }

    [Fact]
    public async Task TheTestSwitchCoversOnlyItsOwnPort()
    {
        var token = tokens.Issue(Family);

        var response = await SendAsync(Connect($"127.0.0.1:{DestinationPort + 1}", token));

        response.ShouldStartWith("HTTP/1.1 403 ");
    }

    [Fact]
    public async Task ConnectTunnelsBytesToTheCheckedAddressAndLogsTheBytes()
    {
        var token = tokens.Issue(Family);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ProxyPort);
        var stream = client.GetStream();

        await stream.WriteAsync(Encoding.ASCII.GetBytes(Connect($"echo.test:{DestinationPort}", token)));
        var established = await ReadUntilAsync(stream, "\r\n\r\n");
        established.ShouldStartWith("HTTP/1.1 200 ");
        await stream.WriteAsync("ping through the tunnel"u8.ToArray());
        client.Client.Shutdown(SocketShutdown.Send);
        var echoed = await new StreamReader(stream).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));

        echoed.ShouldBe("echo: ping through the tunnel");
        lock (resolved) resolved.ShouldBe(["echo.test"]); // resolved once; the connection went to that answer
        await Eventually.True(() => logs.Lines.Any(l => l.Contains($"egress family run run-7: echo.test:{DestinationPort} (127.0.0.1) allowed, 23 bytes up, 29 bytes down")), "the allowed egress line");
    }

    [Fact]
    public async Task AnOpenTunnelIsCutWhenItsRunsTokenIsRevoked()
    {
        proxy.RevocationCheck = TimeSpan.FromMilliseconds(50);
        var token = tokens.Issue(Family);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ProxyPort);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(Connect($"echo.test:{DestinationPort}", token)));
        (await ReadUntilAsync(stream, "\r\n\r\n")).ShouldStartWith("HTTP/1.1 200 ");
        await stream.WriteAsync("still here"u8.ToArray()); // the destination echoes only when we close: the tunnel idles

        tokens.Revoke(token);

        // The proxy closes its end: the read ends (0 bytes) instead of waiting forever.
        var rest = await new StreamReader(stream).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
        rest.ShouldBeEmpty();
    }

    [Fact]
    public async Task APlainHttpRequestGoesOnInOriginFormWithoutTheProxyHeaders()
    {
        var token = tokens.Issue(Family);

        var response = await SendAsync($"GET http://echo.test:{DestinationPort}/path?q=1 HTTP/1.1\r\nHost: echo.test:{DestinationPort}\r\n{Auth(token)}Proxy-Connection: keep-alive\r\nAccept: */*\r\n\r\n");

        response.ShouldStartWith("HTTP/1.1 200 OK");
        string seen;
        lock (seenByDestination) seen = seenByDestination.ShouldHaveSingleItem();
        seen.ShouldStartWith("GET /path?q=1 HTTP/1.1\r\n");
        seen.ShouldContain("Accept: */*");
        seen.ShouldContain("Connection: close");
        seen.ShouldNotContain("Proxy-", Case.Insensitive);
        seen.ShouldNotContain(token);
    }

    [Fact]
    public async Task TheGroupsDenyRuleWinsAndAnAllowListExcludesTheRest()
    {
        var denied = tokens.Issue(Family with { Egress = new EgressRules(Allow: [], Deny: ["*.test"]) });
        var allowOther = tokens.Issue(Family with { Egress = new EgressRules(Allow: ["github.com"], Deny: []) });
        var allowEcho = tokens.Issue(Family with { Egress = new EgressRules(Allow: ["echo.test"], Deny: []) });

        (await SendAsync(Connect($"echo.test:{DestinationPort}", denied))).ShouldContain("denied by the group's rule *.test");
        (await SendAsync(Connect($"echo.test:{DestinationPort}", allowOther))).ShouldContain("not in the group's allow list");
        (await SendAsync($"GET http://echo.test:{DestinationPort}/ HTTP/1.1\r\nHost: echo.test\r\n{Auth(allowEcho)}\r\n")).ShouldStartWith("HTTP/1.1 200 OK");
        lock (resolved) resolved.ShouldBe(["echo.test"]); // refused names are not even resolved
    }

    [Theory]
    [InlineData("GET https://example.com/ HTTP/1.1\r\n\r\n", "use CONNECT for https")]
    [InlineData("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", "absolute http:// URL")]
    [InlineData("CONNECT example.com HTTP/1.1\r\n\r\n", "host:port")]
    [InlineData("CONNECT example.com:99999 HTTP/1.1\r\n\r\n", "port from 1 to 65535")]
    [InlineData("GET http://example.com/ HTTP/1.1\r\n folded: header\r\n\r\n", "malformed")]
    public async Task MalformedRequestsAre400(string request, string reason)
    {
        var response = await SendAsync(request);

        response.ShouldStartWith("HTTP/1.1 400 ");
        response.ShouldContain(reason);
    }

    [Fact]
    public async Task ConnectToAPortOtherThan443OrTheConfiguredOnesIs403()
    {
        // A proxy with the default ports (443 only) that would otherwise let the tunnel through: the test switch
        // makes ssh.test:22 "public", so only the port rule stands between the guest and the host's SSH.
        await using var strict = EgressProxy.Start(tokens, [new IPEndPoint(IPAddress.Loopback, 0)], logs.CreateLogger("egress"), ResolveAsync);
        strict.TestOnlyPublicEndpoint = new IPEndPoint(IPAddress.Loopback, 22);
        var token = tokens.Issue(Family);

        var response = await SendAsync(Connect("ssh.test:22", token), strict.Endpoints[0].Port);

        response.ShouldStartWith("HTTP/1.1 403 ");
        response.ShouldContain("CONNECT is allowed to port 443 only");
        lock (resolved) resolved.ShouldBeEmpty(); // refused before any lookup
    }

    [Fact]
    public async Task PlainHttpToAPortOtherThan80OrTheConfiguredOnesIs403()
    {
        // An SMTP or Redis server reads an HTTP request's lines as commands: plain HTTP only reaches web ports.
        await using var strict = EgressProxy.Start(tokens, [new IPEndPoint(IPAddress.Loopback, 0)], logs.CreateLogger("egress"), ResolveAsync);
        strict.TestOnlyPublicEndpoint = new IPEndPoint(IPAddress.Loopback, DestinationPort);
        var token = tokens.Issue(Family);

        var response = await SendAsync($"GET http://echo.test:{DestinationPort}/ HTTP/1.1\r\nHost: echo.test\r\n{Auth(token)}\r\n", strict.Endpoints[0].Port);

        response.ShouldStartWith("HTTP/1.1 403 ");
        response.ShouldContain("plain HTTP is allowed to port 80 only");
        lock (seenByDestination) seenByDestination.ShouldBeEmpty();
        lock (resolved) resolved.ShouldBeEmpty();
    }

    [Fact]
    public async Task ConnectToAnUnlistedPortOfAnOtherwiseAllowedDestinationIs403()
    {
        await using var strict = EgressProxy.Start(tokens, [new IPEndPoint(IPAddress.Loopback, 0)], logs.CreateLogger("egress"), ResolveAsync);
        strict.TestOnlyPublicEndpoint = new IPEndPoint(IPAddress.Loopback, DestinationPort);
        var token = tokens.Issue(Family);

        // The same destination with its port configured (this fixture's proxy) is tunnelled: ConnectTunnelsBytes... above.
        (await SendAsync(Connect($"echo.test:{DestinationPort}", token), strict.Endpoints[0].Port)).ShouldStartWith("HTTP/1.1 403 ");
    }

    [HostInterfaceTheory]
    [InlineData("CONNECT")]
    [InlineData("GET")]
    [InlineData("name")]
    public async Task AnAddressOfAHostInterfaceIs403EvenWhenItCountsAsPublic(string how)
    {
        // A real non-loopback address of this machine, with a server on it. The test switch marks it public (as a
        // host's public address would be), so only the host-address check can refuse it.
        var mine = HostInterfaceAddress.Find();
        using var server = new TcpListener(mine!, 0);
        server.Start();
        var port = ((IPEndPoint)server.LocalEndpoint).Port;
        _ = AnswerAsync(server);
        await using var guarded = EgressProxy.Start(tokens, [new IPEndPoint(IPAddress.Loopback, 0)], logs.CreateLogger("egress"), ResolveAsync,
            new EgressProxyOptions { ConnectPorts = new HashSet<int> { port } });
        guarded.TestOnlyPublicEndpoint = new IPEndPoint(mine!, port);
        var token = tokens.Issue(Family);

        var request = how switch
        {
            "CONNECT" => Connect($"{mine}:{port}", token),
            "GET" => $"GET http://{mine}:{port}/ HTTP/1.1\r\nHost: x\r\n{Auth(token)}\r\n",
            _ => $"GET http://myself.test:{port}/ HTTP/1.1\r\nHost: x\r\n{Auth(token)}\r\n",
        };
        var response = await SendAsync(request, guarded.Endpoints[0].Port);

        response.ShouldStartWith("HTTP/1.1 403 ", customMessage: response);
        response.ShouldContain("bound to this host's own interface");
    }

    [Fact]
    public void TheHostsAddressesAreReadAgainAfterThirtySeconds()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        IPAddress[] current = [IPAddress.Parse("203.0.113.7")];
        using var host = new HostAddresses(time, () => current);
        host.Contains(IPAddress.Parse("203.0.113.7")).ShouldBeTrue();

        current = [IPAddress.Parse("198.51.100.9"), IPAddress.Parse("2001:db8::9")];
        time.Advance(HostAddresses.RefreshEvery - TimeSpan.FromSeconds(1));
        host.Contains(IPAddress.Parse("198.51.100.9")).ShouldBeFalse("not yet read again");
        time.Advance(TimeSpan.FromSeconds(1));
        host.Contains(IPAddress.Parse("198.51.100.9")).ShouldBeTrue();
        host.Contains(IPAddress.Parse("::ffff:198.51.100.9")).ShouldBeTrue("IPv4-mapped is the same address");
        host.Contains(IPAddress.Parse("2001:db8::9%3")).ShouldBeTrue("a scope id does not make it another address");
        host.Contains(IPAddress.Parse("203.0.113.7")).ShouldBeFalse("an address gone from the host is no longer refused as the host's");
    }

    [HostInterfaceFact]
    public void TheRealInterfacesIncludeEveryNonLoopbackAddressOfThisMachine()
    {
        var mine = HostInterfaceAddress.Find();
        using var host = new HostAddresses(TimeProvider.System);
        host.Contains(mine!).ShouldBeTrue();
        host.Contains(IPAddress.Parse("93.184.216.34")).ShouldBeFalse();
    }

    [Fact]
    public async Task PlainHttpCarriesTheCheckedHostNotTheOneTheGuestWrote()
    {
        var token = tokens.Issue(Family);

        var response = await SendAsync($"GET http://echo.test:{DestinationPort}/ HTTP/1.1\r\nHost: internal-admin.corp\r\nhost: second.corp\r\n{Auth(token)}\r\n");

        response.ShouldStartWith("HTTP/1.1 200 OK");
        string seen;
        lock (seenByDestination) seen = seenByDestination.ShouldHaveSingleItem();
        seen.ShouldContain($"\r\nHost: echo.test:{DestinationPort}\r\n");
        seen.ShouldNotContain("corp");
        seen.Split("\r\n").Count(l => l.StartsWith("Host:", StringComparison.OrdinalIgnoreCase)).ShouldBe(1);
    }

    [Fact]
    public async Task TwoProxyAuthorizationHeadersAre407NotACrash()
    {
        var token = tokens.Issue(Family);

        var response = await SendAsync($"CONNECT echo.test:{DestinationPort} HTTP/1.1\r\nHost: x\r\n{Auth(token)}{Auth("other")}\r\n");

        response.ShouldStartWith("HTTP/1.1 407 ");
        logs.Lines.ShouldNotContain(l => l.Contains("crash", StringComparison.OrdinalIgnoreCase) || l.Contains("Exception", StringComparison.Ordinal));
        lock (resolved) resolved.ShouldBeEmpty();
    }

    static async Task AnswerAsync(TcpListener server)
    {
        try
        {
            while (true)
            {
                using var client = await server.AcceptTcpClientAsync();
                await client.GetStream().WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
            }
        }
        catch (ObjectDisposedException) { }
        catch (SocketException) { }
    }

    static string Auth(string token) => $"Proxy-Authorization: Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes("run:" + token))}\r\n";

    static string Connect(string authority, string token) => $"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n{Auth(token)}\r\n";

    async Task<string> SendAsync(string request, int? proxyPort = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxyPort ?? ProxyPort);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        return await new StreamReader(stream).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    static async Task<string> ReadUntilAsync(NetworkStream stream, string end)
    {
        var text = new StringBuilder();
        var one = new byte[1];
        while (!text.ToString().EndsWith(end, StringComparison.Ordinal) && await stream.ReadAsync(one).AsTask().WaitAsync(TimeSpan.FromSeconds(10)) == 1)
            text.Append((char)one[0]);
        return text.ToString();
    }

    /// <summary>An HTTP request gets its head echoed in a 200; anything else is echoed back raw with "echo: " first.</summary>
    async Task ServeDestinationAsync()
    {
        try
        {
            while (true)
            {
                var client = await destination.AcceptTcpClientAsync();
                _ = Task.Run(async () =>
                {
                    using var _ = client;
                    var stream = client.GetStream();
                    var received = new MemoryStream();
                    var buffer = new byte[4096];
                    int n;
                    while ((n = await stream.ReadAsync(buffer)) > 0)
                    {
                        received.Write(buffer, 0, n);
                        var text = Encoding.ASCII.GetString(received.ToArray());
                        if (text.StartsWith("GET ", StringComparison.Ordinal) && text.Contains("\r\n\r\n"))
                        {
                            lock (seenByDestination) seenByDestination.Add(text);
                            var body = Encoding.ASCII.GetBytes("seen");
                            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
                            await stream.WriteAsync(body);
                            return;
                        }
                    }
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("echo: " + Encoding.ASCII.GetString(received.ToArray())));
                });
            }
        }
        catch (ObjectDisposedException) { }
        catch (SocketException) { }
    }
}
