using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Credentials;

namespace NanoClaw.Tests.Gateway;

/// <summary>The <c>/mcp</c> route of the real gateway over a real socket: token -> identity, the tool list, calls and errors.</summary>
public sealed class McpEndpointTests : IAsyncLifetime
{
    readonly AgentToolsHarness h = new();
    readonly RunTokens tokens = new();
    readonly HttpClient http = new();
    HostGateway gateway = null!;

    public async Task InitializeAsync()
    {
        var upstream = UpstreamCredential.FromConfig(h.Home.Config with { AnthropicApiKey = "sk-unused", UpstreamBaseUrl = new Uri("http://127.0.0.1:9") });
        gateway = await HostGateway.StartAsync(upstream, tokens, h.Home.Logs, tools: h.Tools);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await gateway.DisposeAsync();
        h.Dispose();
    }

    async Task<(HttpStatusCode Status, JsonObject? Message)> PostAsync(string? token, string method, object? @params = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway.BaseUrl, "/mcp"));
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var body = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method };
        if (@params is not null) body["params"] = System.Text.Json.JsonSerializer.SerializeToNode(@params);
        request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        // Streamable HTTP answers either as JSON or as one SSE event carrying the JSON-RPC message.
        var json = text.Split('\n').FirstOrDefault(l => l.StartsWith("data:", StringComparison.Ordinal)) is { } data ? data[5..].Trim() : text;
        return (response.StatusCode, json.Length > 0 ? JsonNode.Parse(json) as JsonObject : null);
    }

    Task<(HttpStatusCode Status, JsonObject? Message)> CallAsync(string token, string tool, object arguments) =>
        PostAsync(token, "tools/call", new { name = tool, arguments });

    static (bool IsError, string Text) ToolOutcome(JsonObject? message)
    {
        var result = message!["result"]!.AsObject();
        return (result["isError"]?.GetValue<bool>() ?? false, result["content"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task InitializeAndToolsListWorkWithAValidRunToken()
    {
        var token = tokens.Issue(h.FamilyRun);

        var (status, init) = await PostAsync(token, "initialize", new { protocolVersion = "2025-06-18", capabilities = new { }, clientInfo = new { name = "test", version = "1" } });
        status.ShouldBe(HttpStatusCode.OK);
        init!["result"]!["serverInfo"]!["name"]!.GetValue<string>().ShouldBe("nanoclaw");

        var (_, list) = await PostAsync(token, "tools/list");
        var names = list!["result"]!["tools"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).Order().ToList();
        names.ShouldBe(["cancel_task", "list_chats", "list_tasks", "pause_task", "register_group", "resume_task", "schedule_task", "send_message", "usage"]);
        var send = list["result"]!["tools"]!.AsArray().Single(t => t!["name"]!.GetValue<string>() == "send_message")!;
        // text is optional: a file may go without a caption (without a file, the tool refuses an empty text itself).
        (send["inputSchema"]!["required"]?.AsArray().Count ?? 0).ShouldBe(0);
        send["inputSchema"]!["properties"]!.AsObject().Select(p => p.Key).Order().ShouldBe(["attachment", "target_group_jid", "text"]);
    }

    [Fact]
    public void EachRunsMcpConfigNamesTheGatewayAndCarriesItsToken()
    {
        var config = JsonNode.Parse(NanoClaw.Runs.MicroVmAgentRunner.McpConfigJson("tok-123"))!;

        var server = config["mcpServers"]!.AsObject().ShouldHaveSingleItem();
        server.Key.ShouldBe("nanoclaw");
        server.Value!["type"]!.GetValue<string>().ShouldBe("http");
        server.Value["url"]!.GetValue<string>().ShouldBe("http://10.0.2.100/mcp");
        server.Value["headers"]!["Authorization"]!.GetValue<string>().ShouldBe("Bearer tok-123");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-token")]
    public async Task AMissingOrUnknownTokenIs401(string? token)
    {
        var (status, _) = await PostAsync(token, "tools/list");
        status.ShouldBe(HttpStatusCode.Unauthorized);
    }

    async Task<McpClient> ConnectAsync(string token) => await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
    {
        Endpoint = new Uri(gateway.BaseUrl, "/mcp"),
        TransportMode = HttpTransportMode.StreamableHttp,
        AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = $"Bearer {token}" },
    }));

    [Fact]
    public async Task AnUnboundTokenListsToolsButEveryCallIsAToolErrorUntilBound()
    {
        // A warm VM's parked Claude Code connects its MCP server before any run claims the VM: a real client over HTTP.
        var token = tokens.IssueUnbound();
        await using (var parked = await ConnectAsync(token))
        {
            (await parked.ListToolsAsync()).Select(t => t.Name).ShouldContain("send_message");
            var refused = await parked.CallToolAsync("send_message", new Dictionary<string, object?> { ["text"] = "hello?" });
            refused.IsError.ShouldBe(true);
            refused.Content.OfType<ModelContextProtocol.Protocol.TextContentBlock>().Single().Text.ShouldContain("no run yet");
            (await parked.CallToolAsync("list_tasks")).IsError.ShouldBe(true);
        }
        (await h.DeliveredAsync()).ShouldBeEmpty();

        tokens.Bind(token, h.FamilyRun).ShouldBeTrue();
        await using (var claimed = await ConnectAsync(token))
        {
            var sent = await claimed.CallToolAsync("send_message", new Dictionary<string, object?> { ["text"] = "on my way" });
            sent.IsError.ShouldNotBe(true);
        }
        (await h.DeliveredAsync()).ShouldBe([("family@g.us", "Andy: on my way")]);

        tokens.Revoke(token).ShouldBeTrue();
        (await PostAsync(token, "tools/list")).Status.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ARevokedTokenIs401()
    {
        var token = tokens.Issue(h.FamilyRun);
        (await PostAsync(token, "tools/list")).Status.ShouldBe(HttpStatusCode.OK);
        tokens.Revoke(token);
        (await PostAsync(token, "tools/list")).Status.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SendMessageGoesToTheChatOfTheTokensGroup()
    {
        var token = tokens.Issue(h.FamilyRun);

        var (status, message) = await CallAsync(token, "send_message", new { text = "on my way" });

        status.ShouldBe(HttpStatusCode.OK);
        ToolOutcome(message).IsError.ShouldBeFalse(message!.ToJsonString());
        (await h.DeliveredAsync()).ShouldBe([("family@g.us", "Andy: on my way")]);
    }

    [Fact]
    public async Task ANonMainTokenCannotSendToMainWhateverTheArgumentsSay()
    {
        var token = tokens.Issue(h.FamilyRun);

        var (_, message) = await CallAsync(token, "send_message", new { text = "hi boss", target_group_jid = "main@s.whatsapp.net" });

        var (isError, text) = ToolOutcome(message);
        isError.ShouldBeTrue();
        text.ShouldContain("only the main chat");
        (await h.DeliveredAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task AnUnknownArgumentIsAnErrorNotIgnored()
    {
        var token = tokens.Issue(h.FamilyRun);

        var (_, message) = await CallAsync(token, "send_message", new { text = "hi", group_folder = "main" });

        var (isError, text) = ToolOutcome(message);
        isError.ShouldBeTrue();
        text.ShouldContain("unknown argument group_folder");
        (await h.DeliveredAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task AnArgumentOfTheWrongTypeIsAnError()
    {
        var token = tokens.Issue(h.FamilyRun);

        var (_, message) = await CallAsync(token, "send_message", new { text = new[] { 1, 2 } });

        var (isError, text) = ToolOutcome(message);
        isError.ShouldBeTrue();
        text.ShouldContain("send_message");
        (await h.DeliveredAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task AMissingRequiredArgumentIsAnErrorWithItsName()
    {
        var token = tokens.Issue(h.FamilyRun);

        var (_, message) = await CallAsync(token, "schedule_task", new { prompt = "x", schedule_type = "cron" });

        var (isError, text) = ToolOutcome(message);
        isError.ShouldBeTrue();
        text.ShouldContain("missing required argument schedule_value");
    }

    [Fact]
    public async Task AGatewayWithoutToolsSaysSo()
    {
        await using var bare = await HostGateway.StartAsync(
            UpstreamCredential.FromConfig(h.Home.Config with { AnthropicApiKey = "sk-unused" }), tokens, h.Home.Logs);
        var token = tokens.Issue(h.FamilyRun);
        var swap = gateway;
        gateway = bare;
        try
        {
            var (_, message) = await CallAsync(token, "list_tasks", new { });
            var (isError, text) = ToolOutcome(message);
            isError.ShouldBeTrue();
            text.ShouldContain("serves no agent tools");
        }
        finally { gateway = swap; }
    }
}
