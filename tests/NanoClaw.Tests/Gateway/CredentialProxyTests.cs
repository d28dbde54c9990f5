using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Credentials;
using NanoClaw.Tests.Fakes;

namespace NanoClaw.Tests.Gateway;

public class CredentialProxyTests
{
    const string RealKey = "sk-ant-real-key-for-tests";
    static readonly RunIdentity Family = new("run-42", "family", "456@g.us", IsMain: false);
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AValidTokenReachesTheUpstreamWithTheRealKeyAndNoTraceOfTheToken()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        fake.Script("through the gateway");
        var tokens = new RunTokens();
        await using var gateway = await HostGateway.StartAsync(ApiKeyUpstream(fake), tokens);
        var token = tokens.Issue(Family);
        using var http = new HttpClient();

        using var request = MessagesRequest(gateway, stream: false);
        request.Headers.Add("x-api-key", token);
        request.Headers.Add("anthropic-beta", "claude-code-20250219");
        request.Headers.Add("X-Claude-Code-Session-Id", "session-1");
        using var response = await http.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).ShouldContain("through the gateway");
        var seen = fake.Requests.ShouldHaveSingleItem();
        seen.Path.ShouldBe("/v1/messages");
        seen.Query.ShouldBe("?beta=true");
        seen.Header("x-api-key").ShouldBe(RealKey);
        seen.Header("Authorization").ShouldBeNull();
        seen.Header("anthropic-version").ShouldBe("2023-06-01");
        seen.Header("anthropic-beta").ShouldBe("claude-code-20250219");
        seen.Header("X-Claude-Code-Session-Id").ShouldBe("session-1");
        seen.LastUserText.ShouldBe("hi");
        ShouldCarryNoTraceOf(seen, token);
    }

    [Fact]
    public async Task ABearerTokenIsAcceptedAndReplacedToo()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        fake.Script("ok");
        var tokens = new RunTokens();
        await using var gateway = await HostGateway.StartAsync(ApiKeyUpstream(fake), tokens);
        var token = tokens.Issue(Family);
        using var http = new HttpClient();

        using var request = MessagesRequest(gateway, stream: false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var seen = fake.Requests.ShouldHaveSingleItem();
        seen.Header("x-api-key").ShouldBe(RealKey);
        seen.Header("Authorization").ShouldBeNull();
        ShouldCarryNoTraceOf(seen, token);
    }

    [Fact]
    public async Task AMissingUnknownRevokedOrUnboundTokenGets401AndTheUpstreamSeesNothing()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        var tokens = new RunTokens();
        await using var gateway = await HostGateway.StartAsync(ApiKeyUpstream(fake), tokens);
        var revoked = tokens.Issue(Family);
        tokens.Revoke(revoked);
        // A warm VM's token before a run claims it speaks for nobody: no model call on anyone's account.
        var unbound = tokens.IssueUnbound();
        using var http = new HttpClient();

        foreach (var presented in new[] { null, "not-a-token", revoked, unbound, RealKey })
        {
            using var request = MessagesRequest(gateway, stream: true);
            if (presented is not null) request.Headers.Add("x-api-key", presented);
            using var response = await http.SendAsync(request);

            response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, $"token {presented ?? "(none)"}");
            response.Headers.GetValues("x-should-retry").ShouldBe(["false"]);
            var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            error["type"]!.GetValue<string>().ShouldBe("error");
            error["error"]!["type"]!.GetValue<string>().ShouldBe("authentication_error");
        }
        fake.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task ServerSentEventsFlowThroughOneByOne()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The fake holds the second delta until the test has seen the first one arrive through the gateway.
        fake.Script(FakeReply.Text("first ", "second") with { BeforeDelta = i => i == 1 ? release.Task : Task.CompletedTask });
        var tokens = new RunTokens();
        await using var gateway = await HostGateway.StartAsync(ApiKeyUpstream(fake), tokens);
        using var http = new HttpClient();

        using var request = MessagesRequest(gateway, stream: true);
        request.Headers.Add("x-api-key", tokens.Issue(Family));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var beforeRelease = await ReadUntilAsync(reader, "\"text\":\"first \"").WaitAsync(Patience);
        beforeRelease.ShouldNotContain("second");
        release.SetResult();
        var rest = await reader.ReadToEndAsync().WaitAsync(Patience);
        rest.ShouldContain("\"text\":\"second\"");
        rest.ShouldContain("event: message_stop");
    }

    [Fact]
    public async Task UpstreamErrorsPassThroughUnchanged()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        fake.Script(FakeReply.Error(429, "rate_limit_error", "Slow down, please."));
        var tokens = new RunTokens();
        await using var gateway = await HostGateway.StartAsync(ApiKeyUpstream(fake), tokens);
        using var http = new HttpClient();

        using var request = MessagesRequest(gateway, stream: true);
        request.Headers.Add("x-api-key", tokens.Issue(Family));
        using var response = await http.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        response.Headers.GetValues("request-id").ShouldHaveSingleItem().ShouldStartWith("req_");
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        error["error"]!["type"]!.GetValue<string>().ShouldBe("rate_limit_error");
        error["error"]!["message"]!.GetValue<string>().ShouldBe("Slow down, please.");
    }

    [Fact]
    public async Task AnUnreachableUpstreamGives502WithTheReason()
    {
        var closedPort = FreePortNobodyListensOn();
        var tokens = new RunTokens();
        var upstream = new UpstreamCredential(UpstreamCredentialKind.AnthropicApiKey, RealKey, new Uri($"http://127.0.0.1:{closedPort}"));
        await using var gateway = await HostGateway.StartAsync(upstream, tokens);
        using var http = new HttpClient();

        using var request = MessagesRequest(gateway, stream: true);
        request.Headers.Add("x-api-key", tokens.Issue(Family));
        using var response = await http.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        error["error"]!["type"]!.GetValue<string>().ShouldBe("api_error");
        error["error"]!["message"]!.GetValue<string>().ShouldContain($"127.0.0.1:{closedPort}");
    }

    [Fact]
    public async Task AnOAuthUpstreamGetsABearerTokenAndTheOAuthBeta()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        fake.Script("ok");
        var tokens = new RunTokens();
        var upstream = new UpstreamCredential(UpstreamCredentialKind.ClaudeCodeOAuthToken, "sk-ant-oat01-real", fake.BaseUrl);
        await using var gateway = await HostGateway.StartAsync(upstream, tokens);
        var token = tokens.Issue(Family);
        using var http = new HttpClient();

        using var request = MessagesRequest(gateway, stream: true);
        request.Headers.Add("x-api-key", token);
        request.Headers.Add("anthropic-beta", "claude-code-20250219");
        using var response = await http.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var seen = fake.Requests.ShouldHaveSingleItem();
        seen.Header("Authorization").ShouldBe("Bearer sk-ant-oat01-real");
        seen.Header("x-api-key").ShouldBeNull();
        seen.Header("anthropic-beta").ShouldBe("claude-code-20250219,oauth-2025-04-20");
        ShouldCarryNoTraceOf(seen, token);
    }

    [Fact]
    public async Task EachRequestIsLoggedWithRunGroupAndStatusButNeverACredential()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        fake.Script("ok");
        var tokens = new RunTokens();
        using var logs = new CapturingLoggerProvider();
        using var loggerFactory = logs.CreateFactory();
        await using var gateway = await HostGateway.StartAsync(ApiKeyUpstream(fake), tokens, loggerFactory);
        var token = tokens.Issue(Family);
        using var http = new HttpClient();

        using (var ok = MessagesRequest(gateway, stream: true))
        {
            ok.Headers.Add("x-api-key", token);
            (await http.SendAsync(ok)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        using (var rejected = MessagesRequest(gateway, stream: true))
        {
            rejected.Headers.Add("x-api-key", "guessed-token");
            (await http.SendAsync(rejected)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        logs.Lines.ShouldContain(l => l.Contains("run-42") && l.Contains("family") && l.Contains("/v1/messages") && l.Contains("200"));
        logs.Lines.ShouldContain(l => l.Contains("Rejected") && l.Contains("unknown or revoked"));
        logs.Lines.ShouldAllBe(l => !l.Contains(token) && !l.Contains(RealKey) && !l.Contains("guessed-token"));
    }

    [Fact]
    public async Task AGuestChosenPathReachesTheLogEscaped()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        var tokens = new RunTokens();
        using var logs = new CapturingLoggerProvider();
        using var loggerFactory = logs.CreateFactory();
        await using var gateway = await HostGateway.StartAsync(ApiKeyUpstream(fake), tokens, loggerFactory);
        using var http = new HttpClient();

        // %1b decodes to ESC in the request path: an ANSI sequence that clears the operator's terminal.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.BaseUrl, "/v1/%1b[2J%1b]0;owned%07"));
        request.Headers.Add("x-api-key", tokens.Issue(Family));
        await http.SendAsync(request);

        // ASP.NET Core's own lines are filtered at Warning in production (Cli.Logs), so only ours can reach the terminal.
        var ours = logs.Lines.Where(l => !l.Contains(" Microsoft.")).ToList();
        ours.ShouldContain(l => l.Contains(@"\x1b[2J"));
        ours.ShouldAllBe(l => !l.Contains('\u001b') && !l.Contains('\u0007'));
    }

    [Fact]
    public async Task OnlyTheMessagesApiIsForwarded()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        var tokens = new RunTokens();
        await using var gateway = await HostGateway.StartAsync(ApiKeyUpstream(fake), tokens);
        using var http = new HttpClient();

        using var hello = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(gateway.BaseUrl, "/api/hello")));
        using var elsewhere = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.BaseUrl, "/admin"));
        elsewhere.Headers.Add("x-api-key", tokens.Issue(Family));
        using var notFound = await http.SendAsync(elsewhere);

        hello.StatusCode.ShouldBe(HttpStatusCode.OK);
        notFound.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        fake.Requests.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("POST", "/v1/messages", true)]
    [InlineData("POST", "/v1/messages/count_tokens", true)]
    [InlineData("GET", "/v1/models", true)]
    [InlineData("GET", "/v1/models/claude-opus-4-1", true)]
    [InlineData("GET", "/v1/messages", false)]
    [InlineData("POST", "/v1/messages/batches", false)]
    [InlineData("GET", "/v1/messages/batches/b1/results", false)]
    [InlineData("GET", "/v1/files", false)]
    [InlineData("GET", "/v1/models/x/y", false)]
    [InlineData("DELETE", "/v1/models/x", false)]
    public void OnlyTheMessagesApiEndpointsAreForwarded(string method, string path, bool forwarded) =>
        CredentialProxy.Forwards(method, path).ShouldBe(forwarded);

    [Fact]
    public async Task AValidTokenStillCannotReachOtherApiEndpoints()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        var tokens = new RunTokens();
        await using var gateway = await HostGateway.StartAsync(ApiKeyUpstream(fake), tokens);
        using var http = new HttpClient();

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.BaseUrl, "/v1/files"));
        request.Headers.Add("x-api-key", tokens.Issue(Family));
        using var response = await http.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await response.Content.ReadAsStringAsync()).ShouldContain("permission_error");
        fake.Requests.ShouldBeEmpty();
    }

    internal static UpstreamCredential ApiKeyUpstream(FakeMessagesApi fake) =>
        new(UpstreamCredentialKind.AnthropicApiKey, RealKey, fake.BaseUrl);

    internal static void ShouldCarryNoTraceOf(FakeRequest request, string token)
    {
        request.Headers.Values.ShouldAllBe(v => !v.Contains(token));
        request.RawBody.ShouldNotContain(token);
        request.Query.ShouldNotContain(token);
    }

    static HttpRequestMessage MessagesRequest(HostGateway gateway, bool stream)
    {
        var body = new JsonObject
        {
            ["model"] = "claude-test",
            ["max_tokens"] = 100,
            ["stream"] = stream,
            ["messages"] = new JsonArray { new JsonObject { ["role"] = "user", ["content"] = "hi" } },
            ["tools"] = new JsonArray { new JsonObject { ["name"] = "Bash", ["input_schema"] = new JsonObject { ["type"] = "object" } } },
        };
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway.BaseUrl, "/v1/messages?beta=true"))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("anthropic-version", "2023-06-01");
        return request;
    }

    static async Task<string> ReadUntilAsync(StreamReader reader, string marker)
    {
        var seen = new StringBuilder();
        while (!seen.ToString().Contains(marker))
        {
            var line = await reader.ReadLineAsync() ?? throw new EndOfStreamException($"Stream ended before '{marker}': {seen}");
            seen.Append(line).Append('\n');
        }
        return seen.ToString();
    }

    static int FreePortNobodyListensOn()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
