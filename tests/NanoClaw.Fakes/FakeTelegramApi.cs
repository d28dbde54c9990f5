using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace NanoClaw.Tests.Fakes;

/// <summary>
/// FAKE of Telegram's Bot API (Telegram's servers cannot be reached from tests), speaking the real HTTP API on
/// 127.0.0.1: <c>POST /bot&lt;token&gt;/&lt;method&gt;</c>, answers <c>{"ok":true,"result":...}</c> or
/// <c>{"ok":false,"error_code":...,"description":...,"parameters":{"retry_after":...}}</c> with the same HTTP status.
/// getUpdates behaves like Telegram's: updates stay queued until a call's <c>offset</c> confirms them (offset greater
/// than their id), and a call with nothing to return is held open up to its <c>timeout</c> seconds.
/// <code>
/// await using var tg = await FakeTelegramApi.StartAsync("123:TEST");
/// tg.QueueMessage(-1001, "Family", "@Andy hi");         // a group message
/// tg.FailNext("sendMessage", -1001, FakeTelegramError.TooManyRequests(5));
/// await tg.WaitForSentAsync(-1001, count: 1);
/// </code>
/// </summary>
public sealed class FakeTelegramApi : IAsyncDisposable
{
    public const long BotId = 7000000001;
    public const string BotUsername = "andy_test_bot";

    readonly WebApplication _app;
    readonly Lock _gate = new();
    readonly List<JsonObject> _updates = [];
    readonly List<FakeTelegramCall> _calls = [];
    readonly List<(string Method, long? ChatId, FakeTelegramError Error)> _failures = [];
    readonly Dictionary<long, int> _nextMessageId = [];
    TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    int _nextUpdateId = 500_000;
    string _token;

    FakeTelegramApi(WebApplication app, string token) => (_app, _token) = (app, token);

    /// <summary>Starts on 127.0.0.1 on a free port; requests with any other token than <paramref name="token"/> get 401.</summary>
    public static async Task<FakeTelegramApi> StartAsync(string token)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var fake = new FakeTelegramApi(app, token);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        fake.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return fake;
    }

    /// <summary>e.g. <c>http://127.0.0.1:40123</c>: what TELEGRAM_API_URL should be.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Every call so far, in arrival order (getUpdates included).</summary>
    public IReadOnlyList<FakeTelegramCall> Calls { get { lock (_gate) return [.. _calls]; } }

    /// <summary>Texts the bot sent to a chat, in order (refused calls left out).</summary>
    public IReadOnlyList<string> SentTo(long chatId) =>
        [.. Calls.Where(c => c.Method == "sendMessage" && c.Status == 200 && c.ChatId == chatId).Select(c => c.Text!)];

    public int ChatActions(long chatId, string action = "typing") =>
        Calls.Count(c => c.Method == "sendChatAction" && c.Status == 200 && c.ChatId == chatId && c.Parameters["action"]?.GetValue<string>() == action);

    /// <summary>Updates queued and not yet confirmed by an offset.</summary>
    public int PendingUpdates { get { lock (_gate) return _updates.Count; } }

    /// <summary>From now on every token is refused with 401, as after /revoke in @BotFather.</summary>
    public void RevokeToken() { lock (_gate) _token = "revoked"; }

    /// <summary>The next call of <paramref name="method"/> (to <paramref name="chatId"/>, or any chat when null) fails with <paramref name="error"/>.</summary>
    public void FailNext(string method, long? chatId, FakeTelegramError error) { lock (_gate) _failures.Add((method, chatId, error)); }

    /// <summary>Queues a text message from a user as an update; returns its update id. Group ids are negative.</summary>
    public int QueueMessage(long chatId, string chatTitle, string text, long fromId = 4242, string fromName = "Bob",
        int? replyToBotMessageId = null, string? replyToText = null)
    {
        var chat = chatId < 0
            ? new JsonObject { ["id"] = chatId, ["type"] = "supergroup", ["title"] = chatTitle }
            : new JsonObject { ["id"] = chatId, ["type"] = "private", ["first_name"] = chatTitle };
        lock (_gate)
        {
            var message = new JsonObject
            {
                ["message_id"] = NextMessageId(chatId),
                ["from"] = new JsonObject { ["id"] = fromId, ["is_bot"] = false, ["first_name"] = fromName },
                ["chat"] = chat,
                ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["text"] = text,
            };
            if (text.StartsWith('@') && text.IndexOf(' ') is var end)
                message["entities"] = new JsonArray(new JsonObject { ["type"] = "mention", ["offset"] = 0, ["length"] = end < 0 ? text.Length : end });
            if (replyToBotMessageId is { } replyId)
                message["reply_to_message"] = new JsonObject
                {
                    ["message_id"] = replyId,
                    ["from"] = BotUser(),
                    ["chat"] = chat.DeepClone(),
                    ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                    ["text"] = replyToText ?? "",
                };
            var id = _nextUpdateId++;
            _updates.Add(new JsonObject { ["update_id"] = id, ["message"] = message });
            Changed();
            return id;
        }
    }

    /// <summary>Queues the update <paramref name="updateId"/> again, exactly as first queued (it must still be pending or be given).</summary>
    public void QueueAgain(JsonObject update) { lock (_gate) { _updates.Add((JsonObject)update.DeepClone()); Changed(); } }

    /// <summary>The pending update with this id, to send it again with <see cref="QueueAgain"/>.</summary>
    public JsonObject PendingUpdate(int updateId) { lock (_gate) return (JsonObject)_updates.First(u => (int)u["update_id"]! == updateId).DeepClone(); }

    /// <summary>Waits until <paramref name="condition"/> holds over the calls (checked after each call).</summary>
    public async Task WaitUntilAsync(Func<FakeTelegramApi, bool> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            Task changed;
            lock (_gate) changed = _changed.Task;
            if (condition(this)) return;
            try { await changed.WaitAsync(cts.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"Fake Telegram: not within the timeout: {what}"); }
        }
    }

    int NextMessageId(long chatId) => _nextMessageId[chatId] = _nextMessageId.GetValueOrDefault(chatId, 1000) + 1;

    static JsonObject BotUser() => new() { ["id"] = BotId, ["is_bot"] = true, ["first_name"] = "Andy", ["username"] = BotUsername };

    void Changed()
    {
        _changed.TrySetResult();
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var slash = path.IndexOf('/', 1);
        var token = path.StartsWith("/bot", StringComparison.Ordinal) && slash > 0 ? path[4..slash] : null;
        var method = slash > 0 ? path[(slash + 1)..] : "";
        var parameters = await ReadParametersAsync(context.Request);
        var uploads = await ReadUploadsAsync(context.Request, parameters);
        string expected;
        lock (_gate) expected = _token;
        var (status, body) = token != expected ? Error(FakeTelegramError.Unauthorized)
            : TakeFailure(method, parameters) is { } failure ? Error(failure)
            : method switch
            {
                "getMe" => Ok(BotUser()),
                "getUpdates" => Ok(await GetUpdatesAsync(parameters, context.RequestAborted)),
                "sendMessage" => Ok(Sent(parameters)),
                "sendChatAction" => Ok(true),
                "sendPhoto" => Upload(parameters, uploads, "photo"),
                "sendDocument" => Upload(parameters, uploads, "document"),
                _ => Error(new FakeTelegramError(404, "Not Found")),
            };
        lock (_gate)
        {
            _calls.Add(new FakeTelegramCall(method, parameters, status, DateTimeOffset.UtcNow, uploads));
            Changed();
        }
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    async Task<JsonArray> GetUpdatesAsync(JsonObject parameters, CancellationToken aborted)
    {
        var offset = IntOf(parameters["offset"]);
        var timeout = TimeSpan.FromSeconds(IntOf(parameters["timeout"]) ?? 0);
        var limit = IntOf(parameters["limit"]) ?? 100;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        cts.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                // Telegram forgets every update below the offset: confirmed.
                if (offset is { } o) _updates.RemoveAll(u => (int)u["update_id"]! < o);
                if (_updates.Count > 0 || cts.IsCancellationRequested)
                    return [.. _updates.Take(limit).Select(u => u.DeepClone())];
                changed = _changed.Task;
            }
            try { await changed.WaitAsync(cts.Token); }
            catch (OperationCanceledException) when (!aborted.IsCancellationRequested) { }
        }
    }

    JsonObject Sent(JsonObject parameters)
    {
        var chatId = long.Parse(parameters["chat_id"]!.ToString(), CultureInfo.InvariantCulture);
        lock (_gate)
            return new JsonObject
            {
                ["message_id"] = NextMessageId(chatId),
                ["from"] = BotUser(),
                ["chat"] = chatId < 0 ? new JsonObject { ["id"] = chatId, ["type"] = "supergroup", ["title"] = "chat" }
                    : new JsonObject { ["id"] = chatId, ["type"] = "private", ["first_name"] = "chat" },
                ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["text"] = parameters["text"]?.GetValue<string>() ?? "",
            };
    }

    /// <summary>sendPhoto/sendDocument as the Bot API takes a NEW file: a multipart/form-data part, named after the
    /// parameter (<c>photo</c>) or named by it (<c>photo=attach://&lt;part&gt;</c>, which the library sends), with the bytes.
    /// No such part (a URL or file id, which this fake does not serve, or nothing) is the API's 400.</summary>
    (int, JsonObject) Upload(JsonObject parameters, IReadOnlyDictionary<string, FakeTelegramUpload> uploads, string field)
    {
        if (!uploads.TryGetValue(field, out var file))
            return Error(new FakeTelegramError(400, $"Bad Request: there is no {field} in the request"));
        var message = Sent(parameters);
        message.Remove("text");
        if (parameters["caption"]?.GetValue<string>() is { } caption) message["caption"] = caption;
        var id = "fake-file-" + Guid.NewGuid().ToString("N");
        message[field] = field == "photo"
            ? new JsonArray(new JsonObject { ["file_id"] = id, ["file_unique_id"] = id[..20], ["width"] = 1, ["height"] = 1, ["file_size"] = file.Bytes.Length })
            : new JsonObject { ["file_id"] = id, ["file_unique_id"] = id[..20], ["file_name"] = file.FileName, ["mime_type"] = file.ContentType, ["file_size"] = file.Bytes.Length };
        return Ok(message);
    }

    /// <summary>The file parts, by part name and also by the parameter that names them with <c>attach://&lt;part&gt;</c>.</summary>
    static async Task<IReadOnlyDictionary<string, FakeTelegramUpload>> ReadUploadsAsync(HttpRequest request, JsonObject parameters)
    {
        if (!request.HasFormContentType) return new Dictionary<string, FakeTelegramUpload>();
        var form = await request.ReadFormAsync();
        var uploads = new Dictionary<string, FakeTelegramUpload>(StringComparer.Ordinal);
        foreach (var file in form.Files)
        {
            using var bytes = new MemoryStream();
            await file.CopyToAsync(bytes);
            uploads[file.Name] = new FakeTelegramUpload(file.FileName, file.ContentType ?? "", bytes.ToArray());
        }
        foreach (var (name, value) in parameters)
            if (value?.ToString() is { } v && v.StartsWith("attach://", StringComparison.Ordinal) && uploads.TryGetValue(v["attach://".Length..], out var named))
                uploads[name] = named;
        return uploads;
    }

    FakeTelegramError? TakeFailure(string method, JsonObject parameters)
    {
        var chatId = parameters["chat_id"] is { } id ? long.Parse(id.ToString(), CultureInfo.InvariantCulture) : (long?)null;
        lock (_gate)
        {
            var index = _failures.FindIndex(f => f.Method == method && (f.ChatId is null || f.ChatId == chatId));
            if (index < 0) return null;
            var failure = _failures[index].Error;
            _failures.RemoveAt(index);
            return failure;
        }
    }

    static (int, JsonObject) Ok(JsonNode result) => (200, new JsonObject { ["ok"] = true, ["result"] = result });

    static (int, JsonObject) Error(FakeTelegramError e)
    {
        var body = new JsonObject { ["ok"] = false, ["error_code"] = e.Code, ["description"] = e.Description };
        if (e.RetryAfter is { } after) body["parameters"] = new JsonObject { ["retry_after"] = after };
        return (e.Code, body);
    }

    /// <summary>The Bot API takes parameters as JSON, a form, or the query string; the library sends JSON.</summary>
    static async Task<JsonObject> ReadParametersAsync(HttpRequest request)
    {
        var result = new JsonObject();
        foreach (var (key, value) in request.Query) result[key] = value.ToString();
        if (request.HasFormContentType)
            foreach (var (key, value) in await request.ReadFormAsync()) result[key] = value.ToString();
        else if (request.ContentLength is not 0 && request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
            if (await JsonNode.ParseAsync(request.Body) is JsonObject json)
                foreach (var (key, value) in json) result[key] = value?.DeepClone();
        return result;
    }

    static int? IntOf(JsonNode? node) => node is null ? null
        : node.GetValueKind() == JsonValueKind.Number ? node.GetValue<int>()
        : int.TryParse(node.ToString(), CultureInfo.InvariantCulture, out var n) ? n : null;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
