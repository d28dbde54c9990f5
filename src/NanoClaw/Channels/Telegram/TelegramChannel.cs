using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using NanoClaw.Files;
using NanoClaw.Storage;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace NanoClaw.Channels.Telegram;

/// <summary>
/// Telegram through the Bot API (the Telegram.Bot library), by long polling: no public URL needed. Messages of
/// registered chats (<c>tg:&lt;chat id&gt;</c>) are stored through <see cref="ChannelInbound.Deliver"/>; other chats only
/// get their metadata, so the owner can find and register them. Nothing is lost: the update offset
/// (<c>telegram_offset</c> in <c>router_state</c>) moves past an update only after it was stored, so a restart asks
/// Telegram again for everything not yet stored, and an update stored twice is ignored by the store's
/// <c>(id, chat_jid)</c> key (the id is Telegram's message id, unique per chat).
/// </summary>
public sealed partial class TelegramChannel : IChannel, IAsyncDisposable
{
    /// <summary>Telegram's limit for one text message.</summary>
    public const int MaxLength = 4096;
    public const string OffsetKey = "telegram_offset";

    readonly Config _config;
    readonly Database _db;
    readonly ILogger<TelegramChannel> _log;
    readonly TimeProvider _time;
    readonly TelegramTimings _timings;
    readonly TelegramSendLimits _limits;
    readonly HttpClient _http;
    // Null when the token is not even well-formed: the channel is then Unauthorized from the start and never polls.
    readonly TelegramBotClient? _client;
    readonly CancellationTokenSource _stop = new();
    readonly ConcurrentDictionary<string, ITimer> _typing = new(StringComparer.Ordinal);
    readonly ChannelInbound _inbound;
    Task _polling = Task.CompletedTask;
    volatile TelegramState _state = TelegramState.Starting;

    /// <param name="inbound">Where its messages go, and whom a (re)connect tells (media is not handled yet).</param>
    public TelegramChannel(Config config, Database db, ILoggerFactory logs, ChannelInbound inbound, TelegramTimings? timings = null, TimeProvider? time = null)
    {
        var token = config.TelegramBotToken ?? throw new ArgumentException("TELEGRAM_BOT_TOKEN is not set.", nameof(config));
        (_config, _db, _log, _inbound) = (config, db, logs.CreateLogger<TelegramChannel>(), inbound);
        _time = time ?? TimeProvider.System;
        _timings = timings ?? new TelegramTimings();
        _limits = new TelegramSendLimits(_time);
        // Long enough for a long poll plus a slow answer; a stop cancels the request anyway.
        _http = new HttpClient { Timeout = _timings.PollTimeout + TimeSpan.FromSeconds(30) };
        try { _client = TelegramClient.Create(token, config.TelegramApiUrl, _http); }
        catch (ArgumentException) { _state = TelegramState.Unauthorized; }
    }

    public string Name => "telegram";
    public bool Owns(string chatJid) => chatJid.StartsWith(TelegramJid.Prefix, StringComparison.Ordinal);
    public bool IsConnected => _state == TelegramState.Polling;
    public int MaxMessageLength => MaxLength;
    /// <summary>A bot speaks under its own name: no "Andy: " prefix needed.</summary>
    public bool PrefixesReplies => false;
    public TelegramState State => _state;
    /// <summary>The bot's username (from getMe) once connected: <c>@username</c> mentions address the assistant.</summary>
    public string? BotUsername { get; private set; }
    long _botId;

    /// <summary>Starts polling.</summary>
    public void Start()
    {
        if (_client is null)
        {
            LogUnauthorized(_log, "The token is not in Telegram's format (<bot id>:<secret>). " + TelegramTokenCheck.InvalidAdvice);
            return;
        }
        _polling = Task.Run(() => PollAsync(_client, _stop.Token));
    }

    /// <summary>
    /// Sends one message as plain text. Held (nothing sent) when a rate limit holds it, ours or Telegram's 429 with
    /// <c>retry_after</c>: the outbox then holds this chat only, without counting an attempt. Other refusals throw
    /// <see cref="IOException"/>; the outbox retries with backoff.
    /// </summary>
    public Task<SendResult> SendAsync(string chatJid, string text, CancellationToken cancellationToken) =>
        SendOneAsync(chatJid, "sendMessage", (client, chatId) => client.SendMessage(chatId, text, cancellationToken: cancellationToken));

    /// <summary>Photos above this go as documents: the Bot API refuses larger photo uploads.</summary>
    public const long MaxPhotoBytes = 10L << 20;

    /// <summary>
    /// Uploads the host's copy of the file (multipart, as the Bot API takes new files): an image as a photo, anything else
    /// (or an image too big for a photo) as a document under the host's file name, with the caption. Holds and refusals
    /// as for <see cref="SendAsync"/>.
    /// </summary>
    public async Task<SendResult> SendFileAsync(string chatJid, OutboundFile file, string caption, CancellationToken cancellationToken)
    {
        var asPhoto = file.Kind == FileKind.Image && file.Bytes <= MaxPhotoBytes;
        await using var stream = File.OpenRead(file.SpoolPath);
        var input = InputFile.FromStream(stream, file.FileName);
        var text = caption.Length > 0 ? caption : null;
        return await SendOneAsync(chatJid, asPhoto ? "sendPhoto" : "sendDocument", (client, chatId) => asPhoto
            ? client.SendPhoto(chatId, input, caption: text, cancellationToken: cancellationToken)
            : client.SendDocument(chatId, input, caption: text, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// One send. Held (nothing sent) when a rate limit holds it, ours or Telegram's 429 with <c>retry_after</c>: the
    /// outbox then holds this chat only, without counting an attempt. Other refusals throw <see cref="IOException"/>;
    /// the outbox retries with backoff.
    /// </summary>
    async Task<SendResult> SendOneAsync(string chatJid, string method, Func<TelegramBotClient, long, Task> send)
    {
        var chatId = ChatIdOf(chatJid);
        if (_limits.TryTake(chatJid) is { } hold) return hold;
        if (_client is null) throw new IOException(TelegramTokenCheck.InvalidAdvice);
        try
        {
            await send(_client, chatId);
            return new SendResult.Sent();
        }
        catch (ApiRequestException ex) when (ex.ErrorCode == 429)
        {
            var wait = TimeSpan.FromSeconds(Math.Max(1, ex.Parameters?.RetryAfter ?? 1));
            return new SendResult.Held(_time.GetUtcNow() + wait, $"Telegram answered 429 Too Many Requests, retry after {wait.TotalSeconds:0} s");
        }
        catch (ApiRequestException ex) when (ex.ErrorCode == 401)
        {
            BecomeUnauthorized($"Telegram answered 401 Unauthorized to {method}");
            throw new IOException(TelegramTokenCheck.InvalidAdvice, ex);
        }
        catch (ApiRequestException ex) { throw new IOException($"Telegram refused the message ({ex.ErrorCode}: {ex.Message})", ex); }
    }

    /// <summary>
    /// "typing..." while a run works. Telegram shows it for about 5 s per call, so it is repeated until the run ends
    /// (a sent message clears it in the apps; the next repeat shows it again while the run goes on).
    /// </summary>
    public async Task SetTypingAsync(string chatJid, bool typing, CancellationToken cancellationToken)
    {
        var chatId = ChatIdOf(chatJid);
        if (_typing.TryRemove(chatJid, out var old)) await old.DisposeAsync();
        if (!typing || _client is null) return;
        await _client.SendChatAction(chatId, ChatAction.Typing, cancellationToken: cancellationToken);
        var timer = _time.CreateTimer(_ => _ = RefreshTypingAsync(chatJid, chatId), null, _timings.TypingRefresh, _timings.TypingRefresh);
        if (!_typing.TryAdd(chatJid, timer)) await timer.DisposeAsync(); // a concurrent call won; one timer per chat
    }

    async Task RefreshTypingAsync(string chatJid, long chatId)
    {
        if (!IsConnected || _client is null) return;
        try { await _client.SendChatAction(chatId, ChatAction.Typing, cancellationToken: _stop.Token); }
        // Runs on a timer with nobody to observe it; a missed "typing..." costs nothing.
        catch (Exception ex) { LogTypingFailed(_log, chatJid, ex.Message); }
    }

    static long ChatIdOf(string chatJid) => TelegramJid.TryParse(chatJid, out var id)
        ? id : throw new ArgumentException($"{chatJid} is not a Telegram chat (tg:<chat id>).", nameof(chatJid));

    void BecomeUnauthorized(string why)
    {
        if (_state == TelegramState.Unauthorized) return;
        _state = TelegramState.Unauthorized;
        LogUnauthorized(_log, $"{why}. {TelegramTokenCheck.InvalidAdvice}");
        _stop.Cancel(); // polling stops for good: the same token will be refused again
    }

    /// <summary>The offset to ask getUpdates for: one past the last update stored, or null before the first.</summary>
    int? StoredOffset() => int.TryParse(_db.GetState(OffsetKey), NumberStyles.None, CultureInfo.InvariantCulture, out var offset) ? offset : null;

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        try { await _polling; }
        catch (OperationCanceledException) { }
        foreach (var timer in _typing.Values) await timer.DisposeAsync();
        _typing.Clear();
        if (_state != TelegramState.Unauthorized) _state = TelegramState.Stopped;
        _http.Dispose();
        _stop.Dispose();
    }
}
