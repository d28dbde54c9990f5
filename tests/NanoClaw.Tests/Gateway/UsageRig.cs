using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Credentials;
using NanoClaw.Outbound;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;
using NanoClaw.Usage;

namespace NanoClaw.Tests.Gateway;

/// <summary>A real gateway with accounting on (a real SQLite file), in front of the fake Messages API; budget notices go to a real outbox table.</summary>
sealed class UsageRig : IAsyncDisposable
{
    public const string RealKey = "sk-ant-real-key-for-tests";
    public TestHome Home { get; } = new();
    public FakeMessagesApi Fake { get; private set; } = null!;
    public RunTokens Tokens { get; } = new();
    public HostGateway Gateway { get; private set; } = null!;
    public UsageMeter Meter { get; private set; } = null!;
    public Budgets Budgets { get; private set; } = null!;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<UsageRig> StartAsync(TimeProvider? time = null)
    {
        var rig = new UsageRig();
        var clock = time ?? TimeProvider.System;
        rig.Fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        rig.Budgets = new Budgets(rig.Home.Db, TimeZoneInfo.Utc, clock, NullLogger<Budgets>.Instance,
            new Outbox(rig.Home.Db, [], rig.Home.Config, clock, NullLogger<Outbox>.Instance));
        rig.Meter = new UsageMeter(rig.Home.Db, rig.Budgets, clock, rig.Home.Logs.CreateLogger<UsageMeter>());
        rig.Gateway = await HostGateway.StartAsync(new UpstreamCredential(UpstreamCredentialKind.AnthropicApiKey, RealKey, rig.Fake.BaseUrl), rig.Tokens,
            rig.Home.Logs, clock, usage: rig.Meter);
        return rig;
    }

    public HttpRequestMessage Request(string token, bool stream, string model = "claude-sonnet-4-5", int maxTokens = 100)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["max_tokens"] = maxTokens,
            ["stream"] = stream,
            ["messages"] = new JsonArray { new JsonObject { ["role"] = "user", ["content"] = "hi" } },
            ["tools"] = new JsonArray { new JsonObject { ["name"] = "Bash", ["input_schema"] = new JsonObject { ["type"] = "object" } } },
        };
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Gateway.BaseUrl, "/v1/messages?beta=true"))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("anthropic-version", "2023-06-01");
        request.Headers.Add("x-api-key", token);
        return request;
    }

    /// <summary>One whole call; returns the status and body.</summary>
    public async Task<(int Status, string Body)> CallAsync(string token, bool stream = true, string model = "claude-sonnet-4-5", int maxTokens = 100)
    {
        using var request = Request(token, stream, model, maxTokens);
        using var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Calls are recorded when the gateway's handler finishes, just after the client has the last byte.</summary>
    public async Task<IReadOnlyList<ApiCall>> CallsAsync(int atLeast)
    {
        await Eventually.True(() => Home.Db.ApiCallsSince(DateTimeOffset.MinValue).Count >= atLeast, $"{atLeast} api_calls rows");
        return Home.Db.ApiCallsSince(DateTimeOffset.MinValue);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Gateway.DisposeAsync();
        await Fake.DisposeAsync();
        Home.Dispose();
    }
}
