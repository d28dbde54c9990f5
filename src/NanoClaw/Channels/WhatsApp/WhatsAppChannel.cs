using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using NanoClaw.Conversations;
using NanoClaw.Media;
using NanoClaw.Storage;

namespace NanoClaw.Channels.WhatsApp;

/// <summary>
/// WhatsApp through the sidecar (<see cref="WhatsAppBridge"/>). Inbound messages of registered chats are stored
/// through <see cref="ChannelInbound.Deliver"/>; other chats only get their metadata (<c>chats</c> row), so the owner
/// can find and register them. The owner's self-chat (the <c>jid</c> of <c>connected</c>) is meant to be the main
/// chat; it is registered like any group (<c>groups register --main</c>), nothing here does it automatically.
/// </summary>
public sealed partial class WhatsAppChannel : IChannel, IAsyncDisposable
{
    /// <summary>Well below the sidecar's 64 KB cap, and long messages read badly on a phone anyway.</summary>
    public const int MaxLength = 4000;
    // Ids of the messages this host sent, to recognise their echo. Bounded: echoes arrive within seconds.
    const int RememberedSentIds = 1000;
    // WhatsApp takes at most 100 ids per read receipt command (docs/whatsapp-bridge.md).
    const int MarkReadBatch = 100;
    // Unread ids kept per chat until a run takes them; a chat nobody triggers must not grow without bound.
    const int RememberedUnreadPerChat = 1000;
    /// <summary>The sidecar fetches the group list on every connect; a long-lived connection also gets it daily, so renamed groups show up.</summary>
    public static readonly TimeSpan GroupSyncInterval = TimeSpan.FromDays(1);

    readonly Config _config;
    readonly Database _db;
    readonly ILogger<WhatsAppChannel> _log;
    readonly WhatsAppBridge _bridge;
    readonly TimeProvider _time;
    readonly OutboundRateLimiter _limiter;
    readonly BridgeTimings _timings;
    readonly Lock _unreadLock = new();
    readonly Dictionary<string, List<StoredMessage>> _unread = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, string> _chatNames = new();
    readonly Lock _sentLock = new();
    readonly HashSet<string> _sentIds = [];
    readonly Queue<string> _sentOrder = new();
    readonly ChannelInbound _inbound;
    readonly InboundMedia? _media;
    // The last inbound message still being handled off the reader task (a media download); later messages queue behind
    // it so they are stored in the order the sidecar reported them. Only the reader task touches this field.
    Task _handling = Task.CompletedTask;
    ITimer? _groupSync;
    volatile bool _connected;

    /// <param name="inbound">Where its messages go, and whom a (re)connect tells. With its <see cref="ChannelInbound.Media"/>,
    /// photos, voice notes and files of registered chats are downloaded; without, they arrive as a note that downloads are off.</param>
    public WhatsAppChannel(Config config, Database db, BridgeCommandLine commandLine, ILoggerFactory logs, ChannelInbound inbound, BridgeTimings? timings = null,
        TimeProvider? time = null)
    {
        (_config, _db, _log, _inbound, _media) = (config, db, logs.CreateLogger<WhatsAppChannel>(), inbound, inbound.Media);
        _time = time ?? TimeProvider.System;
        _limiter = new OutboundRateLimiter(config.WhatsAppSendPerChatPerMinute, config.WhatsAppSendPerMinute, _time);
        _timings = timings ?? new BridgeTimings();
        _bridge = new WhatsAppBridge(commandLine, OnEvent, logs.CreateLogger<WhatsAppBridge>(), _timings);
    }

    public string Name => "whatsapp";
    /// <summary>Groups, phone jids and <c>@lid</c> jids: a direct chat whose phone number WhatsApp hides arrives
    /// as a LID (docs/whatsapp-bridge.md) and its replies must route back through this channel too.</summary>
    public bool Owns(string chatJid) =>
        chatJid.EndsWith("@g.us", StringComparison.Ordinal) || chatJid.EndsWith("@s.whatsapp.net", StringComparison.Ordinal)
        || chatJid.EndsWith("@lid", StringComparison.Ordinal);
    public bool IsConnected => _connected;
    public int MaxMessageLength => MaxLength;
    public bool PrefixesReplies => !_config.AssistantHasOwnNumber;
    /// <summary>The owner's phone jid from the last <c>connected</c> event: also the jid of the owner's self-chat.</summary>
    public string? OwnerJid { get; private set; }
    /// <summary>Completes when the sidecar will not be started again.</summary>
    public Task Stopped => _bridge.Stopped;

    /// <summary>Starts the sidecar (with media downloads on, the spool is emptied first).</summary>
    public void Start()
    {
        if (_media is not null) MediaSpool.Clear(_config.WhatsAppMediaSpoolDir);
        _groupSync = _time.CreateTimer(_ => _ = SyncGroupsAsync(), null, GroupSyncInterval, GroupSyncInterval);
        _bridge.Start();
    }

    /// <summary>
    /// Sends one message. Held (nothing sent) when the rate limit holds it; throws when WhatsApp refuses it or does not
    /// answer. The outbox tries again in both cases.
    /// </summary>
    public async Task<SendResult> SendAsync(string chatJid, string text, CancellationToken cancellationToken)
    {
        if (_limiter.TryTake(chatJid) is { } hold) return hold;
        var ack = await _bridge.SendAsync(new BridgeCommand.Send(chatJid, text), cancellationToken);
        if (!ack.Ok) throw new IOException("WhatsApp did not send the message: " + ack.Error);
        if (ack.Id is { } id) RememberSent(id);
        return new SendResult.Sent();
    }

    /// <summary>
    /// Sends a file: the sidecar hands the host's copy to Baileys as an image or a document (under the host's name), with
    /// the caption. Held and refused like <see cref="SendAsync"/>.
    /// </summary>
    public async Task<SendResult> SendFileAsync(string chatJid, Files.OutboundFile file, string caption, CancellationToken cancellationToken)
    {
        if (_limiter.TryTake(chatJid) is { } hold) return hold;
        var kind = file.Kind == Files.FileKind.Image ? "image" : "document";
        var ack = await _bridge.SendAsync(new BridgeCommand.SendFile(chatJid, Path.GetFullPath(file.SpoolPath), kind, file.MimeType, file.FileName, caption), cancellationToken);
        if (!ack.Ok) throw new IOException("WhatsApp did not send the file: " + ack.Error);
        if (ack.Id is { } id) RememberSent(id);
        return new SendResult.Sent();
    }

    /// <summary>
    /// Also sends read receipts, when the agent takes messages rather than when they are stored: blue ticks tell
    /// the sender the assistant has seen the message, and marking on arrival would claim that while the host is
    /// busy or a run fails. Typing on means a run has just taken every pending message of the chat (the prompt
    /// holds them all). Typing off means the run ended; what arrived meanwhile was fed to it if it could start a
    /// run by itself (see <see cref="MarkReadAsync"/>).
    /// </summary>
    public async Task SetTypingAsync(string chatJid, bool typing, CancellationToken cancellationToken)
    {
        await MarkReadAsync(chatJid, runEnded: !typing, cancellationToken);
        var ack = await _bridge.SendAsync(new BridgeCommand.Typing(chatJid, typing), cancellationToken);
        if (!ack.Ok) throw new IOException("WhatsApp refused the typing indicator: " + ack.Error);
    }

    /// <summary>Runs on the bridge's reader task, in the order the sidecar wrote the events.</summary>
    void OnEvent(BridgeEvent e)
    {
        switch (e)
        {
            case BridgeEvent.Connected c:
                OwnerJid = c.Jid;
                _connected = true;
                LogConnected(_log, c.Jid);
                // Replies held while disconnected go out now, not when the outbox's retry backoff (up to 5 min) ends.
                _inbound.Reconnected(this);
                break;
            case BridgeEvent.Closed c:
                _connected = false;
                if (c.WillReconnect) LogClosed(_log, c.Reason);
                else LogClosedForGood(_log, CloseAdvice.For(c));
                break;
            case BridgeEvent.SidecarExited:
                _connected = false;
                break;
            case BridgeEvent.Qr or BridgeEvent.PairingCode:
                LogNotPaired(_log);
                break;
            case BridgeEvent.Chat c when c.Name is { Length: > 0 } name:
                _chatNames[c.Jid] = name;
                _db.UpsertChat(c.Jid, name, DateTimeOffset.MinValue);
                break;
            case BridgeEvent.Groups g:
                foreach (var group in g.List.Where(x => x.Name.Length > 0))
                {
                    _chatNames[group.Jid] = group.Name;
                    _db.UpsertChat(group.Jid, group.Name, DateTimeOffset.MinValue);
                }
                break;
            // Recorded here, on the reader task, so the id is known before the sidecar's echo of the message is read.
            case BridgeEvent.Ack { Ok: true, Id: { } id }:
                RememberSent(id);
                break;
            case BridgeEvent.SidecarError s:
                LogSidecarError(_log, s.Text);
                break;
            case BridgeEvent.Message m when m.Media is null && _handling.IsCompleted:
                Receive(m, null);
                break;
            case BridgeEvent.Message m:
                // A download needs the reader (its ack comes through it), so it runs beside it, in order.
                _handling = ReceiveInOrderAsync(_handling, m);
                break;
        }
    }

    async Task ReceiveInOrderAsync(Task previous, BridgeEvent.Message m)
    {
        await previous; // never faults: see the catch below
        try
        {
            var attachment = m.Media is { } media && _db.GroupByJid(m.ChatJid) is { } group ? await FetchAsync(group, m, media) : null;
            Receive(m, attachment);
        }
        catch (Exception e) { LogReceiveFailed(_log, m.ChatJid, e); }
    }

    /// <summary>
    /// Downloads a registered chat's media through the sidecar and stores it in the group's folder, before the message row
    /// (<see cref="MediaStore"/> says why that order). Anything refused or failed still yields an attachment: no file, a note why.
    /// </summary>
    async Task<Attachment> FetchAsync(RegisteredGroup group, BridgeEvent.Message m, MessageMedia media)
    {
        if (_media is null) return InboundMedia.Refused(media.Kind, media.Mime, media.Size, "not downloaded: media downloads are off on this host");
        if (media.Size is { } declared && declared > _media.MaxBytes)
        {
            LogMediaRefused(_log, m.ChatJid, $"declared {declared} bytes, over the {_media.MaxBytes} limit (MEDIA_MAX_MB)");
            return InboundMedia.Refused(media.Kind, media.Mime, declared,
                $"not downloaded: the file is {MediaNames.Megabytes(declared)}; the limit is {MediaNames.Megabytes(_media.MaxBytes)} (MEDIA_MAX_MB)");
        }
        string? spooled = null;
        try
        {
            var ack = await _bridge.SendAsync(new BridgeCommand.Download(m.ChatJid, m.Id, _media.MaxBytes), CancellationToken.None, _timings.DownloadAckTimeout);
            if (!ack.Ok) throw new InvalidDataException(ack.Error ?? "refused");
            spooled = MediaSpool.Validate(_config.WhatsAppMediaSpoolDir, ack.File, ack.Size, _media.MaxBytes);
            await using var source = new FileStream(spooled, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            return await _media.AcceptAsync(group.Folder, m.Id, media.Kind, media.Mime, source, ack.Size, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or TimeoutException or UnauthorizedAccessException)
        {
            LogMediaRefused(_log, m.ChatJid, e.Message);
            return InboundMedia.Refused(media.Kind, media.Mime, media.Size, "not downloaded: " + e.Message);
        }
        finally
        {
            if (spooled is not null) File.Delete(spooled);
        }
    }

    void Receive(BridgeEvent.Message m, Attachment? attachment)
    {
        var chatName = _chatNames.GetValueOrDefault(m.ChatJid);
        if (_db.GroupByJid(m.ChatJid) is null)
        {
            // Not registered: metadata only, so `groups` can list the chat; its content is not kept.
            _db.UpsertChat(m.ChatJid, chatName ?? "", m.Timestamp);
            return;
        }
        var isOwn = WasSent(m.Id)
            || (PrefixesReplies && m.IsFromMe && m.Text.StartsWith(_config.AssistantName + ": ", StringComparison.Ordinal));
        var message = new StoredMessage(m.Id, m.ChatJid, m.SenderJid, m.SenderName, Content(m), m.Timestamp, m.IsFromMe, isOwn, attachment);
        if (_inbound.Deliver(message, chatName) && !m.IsFromMe) RememberUnread(message);
    }

    void RememberUnread(StoredMessage message)
    {
        lock (_unreadLock)
        {
            if (!_unread.TryGetValue(message.ChatJid, out var list)) _unread[message.ChatJid] = list = [];
            list.Add(message);
            if (list.Count > RememberedUnreadPerChat) list.RemoveAt(0);
        }
    }

    /// <summary>
    /// Read receipts for the chat's messages the agent has taken. At a run's start that is all of them. At its end
    /// it is those up to the last one that could start a run by itself (with the trigger, or any in a chat that
    /// answers everything): the message loop fed that one, with everything before it, into the running run. Chatter
    /// after it was not fed and stays unread until a run takes it. Best effort: a failure is logged, not retried.
    /// </summary>
    async Task MarkReadAsync(string chatJid, bool runEnded, CancellationToken cancellationToken)
    {
        List<string> ids;
        lock (_unreadLock)
        {
            if (!_unread.TryGetValue(chatJid, out var list)) return;
            var taken = list.Count;
            if (runEnded)
                taken = _db.GroupByJid(chatJid) is { } group ? list.FindLastIndex(m => Trigger.ShouldRespond(group, [m])) + 1 : 0;
            ids = [.. list.Take(taken).Select(m => m.Id)];
            list.RemoveRange(0, taken);
            if (list.Count == 0) _unread.Remove(chatJid);
        }
        foreach (var batch in ids.Chunk(MarkReadBatch))
        {
            try
            {
                var ack = await _bridge.SendAsync(new BridgeCommand.MarkRead(chatJid, batch), cancellationToken);
                if (!ack.Ok) LogMarkReadFailed(_log, chatJid, ack.Error ?? "refused");
            }
            catch (Exception ex) when (ex is IOException or TimeoutException) { LogMarkReadFailed(_log, chatJid, ex.Message); }
        }
    }

    /// <summary>The daily group list refresh. The <c>groups</c> event it causes is handled like the one after a connect.</summary>
    async Task SyncGroupsAsync()
    {
        if (!_connected) return; // the next connect fetches the list anyway
        try
        {
            var ack = await _bridge.SendAsync(new BridgeCommand.SyncGroups(), CancellationToken.None);
            if (!ack.Ok) LogGroupSyncFailed(_log, ack.Error ?? "refused");
        }
        // Runs on a timer with nobody to observe it: every failure is logged here (e.g. a sidecar stopping meanwhile).
        catch (Exception ex) { LogGroupSyncFailed(_log, ex.Message); }
    }

    /// <summary>
    /// The text, and for a reply the quoted message as context after it. After, not before: the trigger
    /// (<c>@Andy</c>) must stay at the start of the content to be recognised. The quoted author and text are what the
    /// sender's app says they are (a modified app can put anything there), so they are labelled as claimed.
    /// </summary>
    internal static string Content(BridgeEvent.Message m) => m.Quoted is { } q
        ? $"{m.Text}\n[replying to a message the sender says is from {NumberOf(q.SenderJid)} (claimed, not verified): \"{q.Text}\"]"
        : m.Text;

    static string NumberOf(string jid) => jid.IndexOf('@') is var at and > 0 ? jid[..at] : jid;

    void RememberSent(string id)
    {
        lock (_sentLock)
        {
            if (!_sentIds.Add(id)) return;
            _sentOrder.Enqueue(id);
            if (_sentOrder.Count > RememberedSentIds) _sentIds.Remove(_sentOrder.Dequeue());
        }
    }

    bool WasSent(string id)
    {
        lock (_sentLock) return _sentIds.Contains(id);
    }

    public async ValueTask DisposeAsync()
    {
        if (_groupSync is not null) await _groupSync.DisposeAsync();
        await _bridge.DisposeAsync();
    }

    [LoggerMessage(EventId = 720, Level = LogLevel.Information, Message = "WhatsApp connected as {Jid} (its self-chat is the main chat once registered with `groups register --main`)")]
    static partial void LogConnected(ILogger logger, string jid);

    [LoggerMessage(EventId = 721, Level = LogLevel.Warning, Message = "WhatsApp connection closed ({Reason}); the sidecar reconnects by itself")]
    static partial void LogClosed(ILogger logger, string reason);

    [LoggerMessage(EventId = 726, Level = LogLevel.Error, Message = "WhatsApp stays offline. {Advice}")]
    static partial void LogClosedForGood(ILogger logger, string advice);

    [LoggerMessage(EventId = 722, Level = LogLevel.Error, Message = "WhatsApp is not paired: the sidecar asks for a QR scan. Stop NanoClaw and pair with `./nanoclaw auth`.")]
    static partial void LogNotPaired(ILogger logger);

    [LoggerMessage(EventId = 724, Level = LogLevel.Warning, Message = "Marking messages in {ChatJid} as read failed: {Error}")]
    static partial void LogMarkReadFailed(ILogger logger, string chatJid, string error);

    [LoggerMessage(EventId = 725, Level = LogLevel.Warning, Message = "Refreshing the WhatsApp group list failed ({Error}); the next connect or daily refresh tries again")]
    static partial void LogGroupSyncFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 727, Level = LogLevel.Warning, Message = "A file in {ChatJid} was not stored: {Reason}")]
    static partial void LogMediaRefused(ILogger logger, string chatJid, string reason);

    [LoggerMessage(EventId = 728, Level = LogLevel.Error, Message = "Storing a message of {ChatJid} failed")]
    static partial void LogReceiveFailed(ILogger logger, string chatJid, Exception exception);

    [LoggerMessage(EventId = 723, Level = LogLevel.Warning, Message = "WhatsApp sidecar reported an error: {Error}")]
    static partial void LogSidecarError(ILogger logger, string error);
}
