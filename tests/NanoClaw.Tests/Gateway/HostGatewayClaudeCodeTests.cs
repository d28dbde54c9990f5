using NanoClaw.Gateway;
using NanoClaw.Gateway.Credentials;
using NanoClaw.Tests.Fakes;

namespace NanoClaw.Tests.Gateway;

/// <summary>The real Claude Code CLI, holding only a run token, talks to the fake upstream through the gateway.</summary>
public class HostGatewayClaudeCodeTests
{
    const string RealKey = "sk-ant-real-key-for-cli-tests";
    static readonly RunIdentity Main = new("run-cli", "main", "123@s.whatsapp.net", IsMain: true);

    [Fact]
    public async Task TheRealCliGetsTheScriptedReplyAndOnlyTheRealKeyReachesTheUpstream()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        fake.Script("Hello through the gateway.");
        var tokens = new RunTokens();
        await using var gateway = await HostGateway.StartAsync(new UpstreamCredential(UpstreamCredentialKind.AnthropicApiKey, RealKey, fake.BaseUrl), tokens);
        var token = tokens.Issue(Main);
        using var cli = new ClaudeCli(gateway.BaseUrl, token);

        var run = await cli.RunAsync("hello");

        run.ExitCode.ShouldBe(0, run.ToString());
        run.Result.ShouldBe("Hello through the gateway.");
        fake.Requests.ShouldNotBeEmpty();
        fake.Requests.ShouldAllBe(r => r.Header("x-api-key") == RealKey);
        foreach (var request in fake.Requests) CredentialProxyTests.ShouldCarryNoTraceOf(request, token);
    }

    [Fact]
    public async Task ABashToolCallRoundTripsThroughTheGateway()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        var bash = fake.ScriptToolCall("Bash", new { command = "echo via-gateway", description = "Echo" }, thenReply: "Echoed.");
        var tokens = new RunTokens();
        await using var gateway = await HostGateway.StartAsync(new UpstreamCredential(UpstreamCredentialKind.AnthropicApiKey, RealKey, fake.BaseUrl), tokens);
        var token = tokens.Issue(Main);
        using var cli = new ClaudeCli(gateway.BaseUrl, token);

        var run = await cli.RunAsync("echo something", "--allowedTools", "Bash");

        run.Result.ShouldBe("Echoed.", run.ToString());
        var result = await bash.WaitForResultAsync();
        result.IsError.ShouldBeFalse();
        result.Content.ShouldContain("via-gateway");
        foreach (var request in fake.Requests) CredentialProxyTests.ShouldCarryNoTraceOf(request, token);
    }

    [Fact]
    public async Task ARevokedTokenStopsTheCliBeforeTheUpstream()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        fake.Script("never sent");
        var tokens = new RunTokens();
        await using var gateway = await HostGateway.StartAsync(new UpstreamCredential(UpstreamCredentialKind.AnthropicApiKey, RealKey, fake.BaseUrl), tokens);
        var token = tokens.Issue(Main);
        tokens.Revoke(token);
        using var cli = new ClaudeCli(gateway.BaseUrl, token);

        var run = await cli.RunAsync("hello");

        run.IsError.ShouldBeTrue(run.ToString());
        run.Result.ShouldNotBeNull().ShouldContain("401 Run token rejected");
        fake.Requests.ShouldBeEmpty();
    }
}
