using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace NanoClaw.Tests.Fakes;

public class FakeMessagesApiTests
{
    [Fact]
    public async Task TheRealCliPrintsTheScriptedReply()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        fake.Script("Hello from the fake.");
        using var cli = new ClaudeCli(fake.BaseUrl, "sk-test-key");

        var run = await cli.RunAsync("hello");

        run.ExitCode.ShouldBe(0, run.ToString());
        run.Result.ShouldBe("Hello from the fake.");
        var request = fake.Requests.ShouldHaveSingleItem();
        request.Path.ShouldBe("/v1/messages");
        request.Query.ShouldBe("?beta=true");
        request.Header("x-api-key").ShouldBe("sk-test-key");
        request.Stream.ShouldBeTrue();
        request.LastUserText.ShouldContain("hello");
        fake.UnknownRequests.ShouldBeEmpty();
        fake.PendingSteps.ShouldBe(0);
    }

    [Fact]
    public async Task TheRealCliRunsAScriptedBashCallAndSendsTheToolResultBack()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        var bash = fake.ScriptToolCall("Bash", new { command = "echo tool-says-hi", description = "Say hi" }, thenReply: "Bash ran.");
        using var cli = new ClaudeCli(fake.BaseUrl, "sk-test-key");

        var run = await cli.RunAsync("run the command", "--allowedTools", "Bash");

        run.Result.ShouldBe("Bash ran.", run.ToString());
        var result = await bash.WaitForResultAsync();
        result.IsError.ShouldBeFalse();
        result.Content.ShouldContain("tool-says-hi");
        fake.Requests.Count.ShouldBe(2);
    }

    [Fact]
    public async Task TheRealCliWritesAFileThroughAScriptedWriteCall()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        using var cli = new ClaudeCli(fake.BaseUrl, "sk-test-key");
        var target = Path.Combine(cli.WorkDir, "note.txt");
        var write = fake.ScriptToolCall("Write", new { file_path = target, content = "written by the fake model\n" }, thenReply: "Saved.");

        var run = await cli.RunAsync("save a note", "--allowedTools", "Write");

        run.Result.ShouldBe("Saved.", run.ToString());
        (await write.WaitForResultAsync()).IsError.ShouldBeFalse();
        File.ReadAllText(target).ShouldBe("written by the fake model\n");
    }

    [Fact]
    public async Task StreamsTheMessagesApiEventSequence()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        fake.Script(FakeReply.Of(FakeBlock.Text("Let me ", "check."), FakeBlock.ToolUse("Bash", new { command = "ls" })));
        using var http = new HttpClient();

        var response = await http.PostAsync(new Uri(fake.BaseUrl, "/v1/messages?beta=true"), MessagesBody(stream: true));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var events = ParseSse(await response.Content.ReadAsStringAsync());
        events.Select(e => e.Name).ShouldBe([
            "message_start", "ping",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "message_delta", "message_stop"]);
        events.ShouldAllBe(e => (string?)e.Data["type"] == e.Name);
        events[3].Data["delta"]!["type"]!.GetValue<string>().ShouldBe("text_delta");
        events[6].Data["content_block"]!["name"]!.GetValue<string>().ShouldBe("Bash");
        var json = string.Concat(events.Where(e => (string?)e.Data["delta"]?["type"] == "input_json_delta").Select(e => (string?)e.Data["delta"]!["partial_json"]));
        JsonNode.Parse(json)!["command"]!.GetValue<string>().ShouldBe("ls");
        events[10].Data["delta"]!["stop_reason"]!.GetValue<string>().ShouldBe("tool_use");
        events[10].Data["usage"]!["output_tokens"]!.GetValue<int>().ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task AnswersANonStreamingRequestWithOneJsonMessage()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        fake.Script("plain");
        using var http = new HttpClient();

        var response = await http.PostAsync(new Uri(fake.BaseUrl, "/v1/messages"), MessagesBody(stream: false));

        var message = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        message["type"]!.GetValue<string>().ShouldBe("message");
        message["content"]![0]!["text"]!.GetValue<string>().ShouldBe("plain");
        message["stop_reason"]!.GetValue<string>().ShouldBe("end_turn");
    }

    [Fact]
    public async Task AnUnscriptedRequestGetsANonRetryableErrorThatSaysWhy()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        using var http = new HttpClient();

        var response = await http.PostAsync(new Uri(fake.BaseUrl, "/v1/messages"), MessagesBody(stream: true));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain("script is used up");
    }

    [Fact]
    public async Task ASideRequestWithoutToolsIsAnsweredWithoutConsumingTheScript()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        fake.Script("main answer");
        using var http = new HttpClient();

        var side = await http.PostAsync(new Uri(fake.BaseUrl, "/v1/messages"), MessagesBody(stream: false, tools: []));

        (await side.Content.ReadAsStringAsync()).ShouldContain(FakeMessagesApi.SideReplyText);
        fake.PendingSteps.ShouldBe(1);
        fake.Requests.ShouldHaveSingleItem().IsSide.ShouldBeTrue();
    }

    [Fact]
    public async Task ADeferredMcpToolIsLoadedThroughToolSearchFirst()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        var send = fake.ScriptToolCall("mcp__nanoclaw__send_message", new { text = "hi" }, thenReply: "sent");
        using var http = new HttpClient();

        var first = ParseSse(await PostTextAsync(http, fake, MessagesBody(stream: true, tools: ["Bash", "ToolSearch"])));
        var search = first.Single(e => e.Name == "content_block_start").Data["content_block"]!;
        search["name"]!.GetValue<string>().ShouldBe("ToolSearch");
        var searchInput = string.Concat(first.Where(e => e.Name == "content_block_delta").Select(e => (string?)e.Data["delta"]!["partial_json"]));
        JsonNode.Parse(searchInput)!.ToJsonString().ShouldBe("""{"query":"select:mcp__nanoclaw__send_message","max_results":5}""");

        var second = ParseSse(await PostTextAsync(http, fake, MessagesBody(stream: true, tools: ["Bash", "ToolSearch", "mcp__nanoclaw__send_message"])));
        var call = second.Single(e => e.Name == "content_block_start").Data["content_block"]!;
        call["name"]!.GetValue<string>().ShouldBe("mcp__nanoclaw__send_message");
        call["id"]!.GetValue<string>().ShouldBe(send.Id);
        call["id"]!.GetValue<string>().ShouldNotBe(search["id"]!.GetValue<string>());
        send.UsedToolSearch.ShouldBeTrue();

        var withResult = MessagesBody(stream: true, tools: ["ToolSearch"], toolResultFor: send.Id);
        (await PostTextAsync(http, fake, withResult)).ShouldContain("sent");
        (await send.WaitForResultAsync()).Content.ShouldBe("ok from test");
    }

    [Fact]
    public async Task ToolUseIdsAreUniqueAcrossTheFakesLifetime()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        fake.Script(FakeReply.ToolUse("Bash", new { command = "a" }), FakeReply.Of(FakeBlock.ToolUse("Bash", new { command = "b" }), FakeBlock.ToolUse("Bash", new { command = "c" })));
        using var http = new HttpClient();

        var ids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var message = JsonNode.Parse(await PostTextAsync(http, fake, MessagesBody(stream: false)))!;
            ids.AddRange(message["content"]!.AsArray().Select(b => b!["id"]!.GetValue<string>()));
        }

        ids.Count.ShouldBe(3);
        ids.ShouldBeUnique();
        ids.ShouldAllBe(id => id.StartsWith("toolu_"));
    }

    [Fact]
    public async Task NextRequestAsyncHandsOutMainRequestsInArrivalOrder()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        fake.Script("one", "two");
        using var http = new HttpClient();

        var waiting = fake.NextRequestAsync();
        await PostTextAsync(http, fake, MessagesBody(stream: false, userText: "first"));
        await PostTextAsync(http, fake, MessagesBody(stream: false, userText: "second"));

        (await waiting).LastUserText.ShouldBe("first");
        (await fake.NextRequestAsync()).LastUserText.ShouldBe("second");
    }

    [Fact]
    public async Task AnswersTheOtherEndpointsClaudeCodeMayCallAndRecordsUnknownOnes()
    {
        await using var fake = await FakeMessagesApi.StartAsync();
        using var http = new HttpClient();

        var count = await http.PostAsync(new Uri(fake.BaseUrl, "/v1/messages/count_tokens?beta=true"), MessagesBody(stream: false));
        var models = await http.GetAsync(new Uri(fake.BaseUrl, "/v1/models"));
        var hello = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(fake.BaseUrl, "/api/hello")));
        var unknown = await http.GetAsync(new Uri(fake.BaseUrl, "/v1/files"));

        JsonNode.Parse(await count.Content.ReadAsStringAsync())!["input_tokens"]!.GetValue<int>().ShouldBeGreaterThan(0);
        JsonNode.Parse(await models.Content.ReadAsStringAsync())!["data"].ShouldBeOfType<JsonArray>();
        hello.StatusCode.ShouldBe(HttpStatusCode.OK);
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        fake.UnknownRequests.ShouldHaveSingleItem().Path.ShouldBe("/v1/files");
        fake.PendingSteps.ShouldBe(0);
    }

    internal static StringContent MessagesBody(bool stream, string[]? tools = null, string? toolResultFor = null, string userText = "hi")
    {
        var messages = new JsonArray { new JsonObject { ["role"] = "user", ["content"] = userText } };
        if (toolResultFor is not null)
        {
            messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = new JsonArray { new JsonObject { ["type"] = "tool_use", ["id"] = toolResultFor, ["name"] = "x", ["input"] = new JsonObject() } } });
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = new JsonArray { new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = toolResultFor, ["content"] = new JsonArray { new JsonObject { ["type"] = "text", ["text"] = "ok from test" } } } } });
        }
        var body = new JsonObject
        {
            ["model"] = "claude-test",
            ["max_tokens"] = 100,
            ["stream"] = stream,
            ["messages"] = messages,
            ["tools"] = new JsonArray([.. (tools ?? ["Bash"]).Select(n => (JsonNode)new JsonObject { ["name"] = n, ["input_schema"] = new JsonObject { ["type"] = "object" } })]),
        };
        return new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
    }

    internal static List<(string Name, JsonObject Data)> ParseSse(string text) =>
        [.. text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(frame => frame.Split('\n'))
            .Select(lines => (lines.Single(l => l.StartsWith("event: ")).Substring(7), (JsonObject)JsonNode.Parse(lines.Single(l => l.StartsWith("data: ")).Substring(6))!))];

    static async Task<string> PostTextAsync(HttpClient http, FakeMessagesApi fake, HttpContent body)
    {
        var response = await http.PostAsync(new Uri(fake.BaseUrl, "/v1/messages?beta=true"), body);
        return await response.Content.ReadAsStringAsync();
    }
}
