using System.Net;
using System.Net.Sockets;
using System.Text;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Credentials;
using NanoClaw.Tests.Fakes;

namespace NanoClaw.Tests.Gateway;

/// <summary>
/// A guest with a valid run token tries to steer the real key to an endpoint other than the Messages API by
/// encoding the path. Each request goes over a raw socket, byte for byte as written, so no client normalizes it.
/// </summary>
public class CredentialProxyPathTests
{
    const string RealKey = "sk-ant-real-key-for-tests";
    static readonly RunIdentity Family = new("run-42", "family", "456@g.us", IsMain: false);

    [Theory]
    [InlineData("/v1/models/..%2Ffiles")]
    [InlineData("/v1/models/..%2ffiles")]
    [InlineData("/v1/models/..%5Cfiles")]
    [InlineData("/v1/models/..%5cfiles")]
    [InlineData("/v1/models/..\\files")]
    [InlineData("/v1/models/%2E%2E%2Ffiles")]
    [InlineData("/v1/models/..%252Ffiles")]
    [InlineData("/v1/models/claude%2Dopus")]
    [InlineData("/v1/messages%2F..%2Fmessages%2Fbatches")]
    public async Task AnEncodedSlashOrBackslashIsRefusedAndNeverReachesTheUpstream(string target)
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        var tokens = new RunTokens();
        await using var gateway = await HostGateway.StartAsync(CredentialProxyTests.ApiKeyUpstream(fake), tokens);

        var response = await RawRequestAsync(gateway.Port, $"GET {target} HTTP/1.1\r\nHost: 10.0.2.100\r\nx-api-key: {tokens.Issue(Family)}\r\nConnection: close\r\n\r\n");

        response.ShouldStartWith("HTTP/1.1 400", customMessage: response);
        response.ShouldContain("invalid_request_error");
        fake.Requests.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("/v1/models/..", false)]
    [InlineData("/v1/models/.hidden", false)]
    [InlineData("/v1/models/a b", false)]
    [InlineData("/v1/models/", false)]
    [InlineData("/v1/models/claude-sonnet-4-5-20250929", true)]
    [InlineData("/v1/models/claude-3-5-sonnet@20240620", true)]
    public void OnlyAStrictModelIdIsForwarded(string path, bool forwarded) =>
        CredentialProxy.Forwards("GET", path).ShouldBe(forwarded);

    [Fact]
    public async Task AnUnreachableUpstreamsErrorNeverShowsTheUserinfoOfItsUrl()
    {
        var tokens = new RunTokens();
        int closedPort;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var upstream = new UpstreamCredential(UpstreamCredentialKind.AnthropicApiKey, RealKey,
            new Uri($"http://corp-user:s3cr3t-p%40ss@127.0.0.1:{closedPort}/anthropic"));
        await using var gateway = await HostGateway.StartAsync(upstream, tokens);

        var response = await RawRequestAsync(gateway.Port,
            $"POST /v1/messages HTTP/1.1\r\nHost: 10.0.2.100\r\nx-api-key: {tokens.Issue(Family)}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}");

        response.ShouldStartWith("HTTP/1.1 502", customMessage: response);
        response.ShouldContain($"127.0.0.1:{closedPort}");
        response.ShouldNotContain("corp-user");
        response.ShouldNotContain("s3cr3t");
        upstream.ToString().ShouldNotContain("s3cr3t");
    }

    static async Task<string> RawRequestAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(20));
    }
}
