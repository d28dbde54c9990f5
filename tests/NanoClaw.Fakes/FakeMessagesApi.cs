using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace NanoClaw.Tests.Fakes;

/// <summary>
/// FAKE of Anthropic's Messages API (Anthropic cannot be reached from tests), speaking the real protocol over a
/// real socket so the real Claude Code CLI can talk to it. Script what the model says, then assert on what arrived:
/// <code>
/// await using var fake = await FakeMessagesApi.StartAsync();
/// var write = fake.ScriptToolCall("Write", new { file_path = "/tmp/x/a.txt", content = "hi" }, thenReply: "Done.");
/// // ... run the CLI with ANTHROPIC_BASE_URL = fake.BaseUrl ...
/// (await write.WaitForResultAsync()).IsError.ShouldBeFalse();
/// fake.Requests.ShouldAllBe(r => r.Header("x-api-key") == "sk-test");
/// </code>
/// Each main request (one that offers tools) consumes the next script step. Side requests (no tools, e.g. title
/// generation) get plain text without touching the script. An unscripted main request gets a 400 error, which the CLI
/// reports and does not retry, so a missing step fails fast instead of stalling.
/// </summary>
public sealed class FakeMessagesApi : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
    public const string SideReplyText = "Fake side reply";

    readonly WebApplication app;
    readonly string? requiredApiKey;
    readonly string idPrefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    readonly Lock gate = new();
    readonly LinkedList<Func<FakeRequest, (FakeReply Reply, bool Done)>> script = new();
    readonly List<FakeRequest> requests = [];
    readonly List<ScriptedToolCall> toolCalls = [];
    readonly Channel<FakeRequest> mainRequests = Channel.CreateUnbounded<FakeRequest>();
    long nextId;

    FakeMessagesApi(WebApplication app, string? requiredApiKey) => (this.app, this.requiredApiKey) = (app, requiredApiKey);

    /// <summary>Starts on 127.0.0.1 on a free port. With <paramref name="requiredApiKey"/>, any other key gets 401 like the real API.</summary>
    public static async Task<FakeMessagesApi> StartAsync(string? requiredApiKey = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var fake = new FakeMessagesApi(app, requiredApiKey);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        fake.BaseUrl = new Uri(address);
        return fake;
    }

    /// <summary>e.g. <c>http://127.0.0.1:40123</c>: what ANTHROPIC_BASE_URL (or the gateway's upstream) should be.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Every request received so far, in arrival order, including side and unknown ones.</summary>
    public IReadOnlyList<FakeRequest> Requests { get { lock (gate) return [.. requests]; } }

    /// <summary>Requests the fake did not recognise (answered 404). Empty when Claude Code only used known endpoints.</summary>
    public IReadOnlyList<FakeRequest> UnknownRequests => [.. Requests.Where(r => r.Path != "/v1/messages" && !KnownPaths.Contains(r.Path))];

    /// <summary>Script steps not yet used.</summary>
    public int PendingSteps { get { lock (gate) return script.Count; } }

    /// <summary>Each reply answers one main request, in order.</summary>
    public FakeMessagesApi Script(params FakeReply[] replies)
    {
        foreach (var reply in replies) Enqueue(_ => (reply, true));
        return this;
    }

    /// <summary>One step computed from the request it answers (e.g. echo what the user said).</summary>
    public FakeMessagesApi Script(Func<FakeRequest, FakeReply> answer)
    {
        Enqueue(r => (answer(r), true));
        return this;
    }

    /// <summary>A standing step: every main request that reaches it is answered by <paramref name="answer"/>, for as
    /// long as the fake lives (e.g. a host that is restarted several times and asks an unknown number of times).</summary>
    public FakeMessagesApi AnswerEvery(Func<FakeRequest, FakeReply> answer)
    {
        Enqueue(r => (answer(r), false));
        return this;
    }

    /// <summary>Text answers, one per main request: <c>fake.Script("first", "second")</c>.</summary>
    public FakeMessagesApi Script(params string[] texts) => Script([.. texts.Select(t => FakeReply.Text(t))]);

    /// <summary>
    /// The model calls <paramref name="toolName"/> with <paramref name="input"/> (loading it through ToolSearch first when the
    /// CLI deferred it), and, when <paramref name="thenReply"/> is given, answers the request carrying the result with that text.
    /// </summary>
    public ScriptedToolCall ScriptToolCall(string toolName, object input, string? thenReply = null)
    {
        var call = new ScriptedToolCall(toolName, FakeBlock.ToJsonObject(input));
        lock (gate) toolCalls.Add(call);
        Enqueue(r => call.Answer(r, NewToolUseId));
        if (thenReply is not null) Script(thenReply);
        return call;
    }

    /// <summary>The next main request not yet taken by an earlier call, waiting for it if needed.</summary>
    public async Task<FakeRequest> NextRequestAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        try { return await mainRequests.Reader.ReadAsync().AsTask().WaitAsync(limit); }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No Messages API request arrived within {limit}. Received so far: [{string.Join(", ", Requests)}].");
        }
    }

    /// <summary>A fresh <c>tool_use</c> id, unique for this fake's lifetime (and, by its random prefix, across fakes).</summary>
    public string NewToolUseId() => $"toolu_fake{idPrefix}{Interlocked.Increment(ref nextId):D5}";

    public async ValueTask DisposeAsync()
    {
        mainRequests.Writer.TryComplete();
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(stopping.Token);
        await app.DisposeAsync();
    }

    static readonly HashSet<string> KnownPaths = ["/v1/messages", "/v1/messages/count_tokens", "/v1/models", "/api/hello"];

    void Enqueue(Func<FakeRequest, (FakeReply, bool)> step)
    {
        lock (gate) script.AddLast(step);
    }

    async Task HandleAsync(HttpContext context)
    {
        var request = await RecordAsync(context);
        if (requiredApiKey is not null && request.Path.StartsWith("/v1/", StringComparison.Ordinal) && request.Header("x-api-key") != requiredApiKey)
        {
            await FakeReplyWriter.WriteErrorAsync(context, 401, "authentication_error", "invalid x-api-key");
            return;
        }
        switch (context.Request.Method, request.Path)
        {
            case ("POST", "/v1/messages"):
                await AnswerMessagesAsync(context, request);
                break;
            case ("POST", "/v1/messages/count_tokens"):
                await context.Response.WriteAsJsonAsync(new { input_tokens = Math.Max(1, request.RawBody.Length / 4) });
                break;
            case ("GET", "/v1/models"):
                await context.Response.WriteAsJsonAsync(new { data = Array.Empty<object>(), has_more = false, first_id = (string?)null, last_id = (string?)null });
                break;
            case ("HEAD" or "GET", "/api/hello"):
                break; // connectivity check made when nonessential traffic is allowed
            default:
                await FakeReplyWriter.WriteErrorAsync(context, 404, "not_found_error", $"The fake Messages API does not serve {request.Method} {request.Path}.");
                break;
        }
        request.AnsweredAt = DateTimeOffset.UtcNow;
    }

    async Task AnswerMessagesAsync(HttpContext context, FakeRequest request)
    {
        if (request.Body is null)
        {
            await FakeReplyWriter.WriteErrorAsync(context, 400, "invalid_request_error", "Body must be a JSON object.");
            return;
        }
        ScriptedToolCall[] calls;
        lock (gate) calls = [.. toolCalls];
        foreach (var call in calls) call.Observe(request);

        FakeReply? reply = null;
        if (request.IsSide) reply = FakeReply.Text(SideReplyText);
        else
        {
            lock (gate)
            {
                if (script.First is { } first)
                {
                    var (r, done) = first.Value(request);
                    if (done) script.RemoveFirst();
                    reply = r;
                }
            }
            mainRequests.Writer.TryWrite(request);
        }
        if (reply is null)
        {
            // NOTE: Claude Code retries some failures for minutes; this header makes it give up at once.
            context.Response.Headers["x-should-retry"] = "false";
            reply = FakeReply.Error(400, "invalid_request_error",
                $"FakeMessagesApi: the script is used up; nothing scripted for request #{Requests.Count} ({request}). Add a step with fake.Script(...).");
        }
        await FakeReplyWriter.WriteAsync(context, request, reply, $"msg_fake{idPrefix}{Interlocked.Increment(ref nextId):D5}", NewToolUseId);
    }

    async Task<FakeRequest> RecordAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var raw = await reader.ReadToEndAsync(context.RequestAborted);
        JsonObject? body = null;
        try { body = raw.Length > 0 ? JsonNode.Parse(raw) as JsonObject : null; }
        catch (JsonException) { }
        var request = new FakeRequest
        {
            Method = context.Request.Method,
            Path = context.Request.Path.Value ?? "/",
            Query = context.Request.QueryString.Value ?? "",
            Headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            RawBody = raw,
            Body = body,
            // Claude Code's own helper calls (titles, summaries) offer no tools; agent turns always do.
            IsSide = context.Request.Path == "/v1/messages" && body is not null && body["tools"] is not JsonArray { Count: > 0 },
            ReceivedAt = DateTimeOffset.UtcNow,
        };
        lock (gate) requests.Add(request);
        return request;
    }
}
