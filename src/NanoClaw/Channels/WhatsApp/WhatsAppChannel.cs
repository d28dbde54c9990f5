using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using NanoClaw.Messaging;
using NanoClaw.Storage;

namespace NanoClaw.Channels.WhatsApp;

/// <summary>
/// WhatsApp through the sidecar (<see cref="WhatsAppBridge"/>). Inbound messages of registered chats are stored
/// through <see cref="MessageLoop.Deliver"/>; other chats only get their metadata (<c>chats</c> row), so the owner
/// can find and register them. The owner's self-chat (the <c>jid</c> of <c>connected</c>) is meant to be the main
/// chat; it is registered like any group (<c>groups register --main</c>), nothing here does it automatically.
/// </summary>
public sealed partial class WhatsAppChannel : IChannel, IAsyncDisposable
{
    /// <summary>Well below the sidecar's 64 KB cap, and long messages read badly on a phone anyway.</summary>
    public const int MaxLength = 4000;
    // Ids of the messages this host sent, to recognise their echo. Bounded: echoes arrive within seconds.
    const int RememberedSentIds = 1000;

    readonly Config _config;
    readonly Database _db;
    readonly ILogger<WhatsAppChannel> _log;
    readonly WhatsAppBridge _bridge;
    readonly ConcurrentDictionary<string, string> _chatNames = new();
    readonly Lock _sentLock = new();
    readonly HashSet<string> _sentIds = [];
    readonly Queue<string> _sentOrder = new();
    MessageLoop? _loop;
    volatile bool _connected;

    public WhatsAppChannel(Config config, Database db, BridgeCommandLine commandLine, ILoggerFactory logs, BridgeTimings? timings = null)
    {
        (_config, _db, _log) = (config, db, logs.CreateLogger<WhatsAppChannel>());
        _bridge = new WhatsAppBridge(commandLine, OnEvent, logs.CreateLogger<WhatsAppBridge>(), timings);
    }

    public string Name => "whatsapp";
    public bool Owns(string chatJid) =>
        chatJid.EndsWith("@g.us", StringComparison.Ordinal) || chatJid.EndsWith("@s.whatsapp.net", StringComparison.Ordinal);
    public bool IsConnected => _connected;
    public int MaxMessageLength => MaxLength;
    public bool PrefixesReplies => !_config.AssistantHasOwnNumber;
    /// <summary>The owner's phone jid from the last <c>connected</c> event: also the jid of the owner's self-chat.</summary>
    public string? OwnerJid { get; private set; }
    /// <summary>Completes when the sidecar will not be started again.</summary>
    public Task Stopped => _bridge.Stopped;

    /// <summary>Starts the sidecar; its messages go to <paramref name="loop"/> from now on.</summary>
    public void Start(MessageLoop loop)
    {
        _loop = loop;
        _bridge.Start();
    }

    /// <summary>Sends one message. Throws when WhatsApp refuses it or does not answer, so the outbox retries it.</summary>
    public async Task SendAsync(string chatJid, string text, CancellationToken cancellationToken)
    {
        var ack = await _bridge.SendAsync(new BridgeCommand.Send(chatJid, text), cancellationToken);
        if (!ack.Ok) throw new IOException("WhatsApp did not send the message: " + ack.Error);
        if (ack.Id is { } id) RememberSent(id);
    }

    public async Task SetTypingAsync(string chatJid, bool typing, CancellationToken cancellationToken)
    {
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
                break;
            case BridgeEvent.Closed c:
                _connected = false;
                LogClosed(_log, c.Reason, c.WillReconnect);
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
            case BridgeEvent.Message m:
                Receive(m);
                break;
        }
    }

    void Receive(BridgeEvent.Message m)
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
        var message = new StoredMessage(m.Id, m.ChatJid, m.SenderJid, m.SenderName, Content(m), m.Timestamp, m.IsFromMe, isOwn);
        _loop!.Deliver(message, chatName);
    }

    /// <summary>
    /// The text, and for a reply the quoted message as context after it. After, not before: the trigger
    /// (<c>@Andy</c>) must stay at the start of the content to be recognised.
    /// </summary>
    internal static string Content(BridgeEvent.Message m) => m.Quoted is { } q
        ? $"{m.Text}\n[replying to {NumberOf(q.SenderJid)}: \"{q.Text}\"]"
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

    public ValueTask DisposeAsync() => _bridge.DisposeAsync();

    [LoggerMessage(EventId = 720, Level = LogLevel.Information, Message = "WhatsApp connected as {Jid} (its self-chat is the main chat once registered with `groups register --main`)")]
    static partial void LogConnected(ILogger logger, string jid);

    [LoggerMessage(EventId = 721, Level = LogLevel.Warning, Message = "WhatsApp connection closed ({Reason}); the sidecar reconnects by itself: {WillReconnect}")]
    static partial void LogClosed(ILogger logger, string reason, bool willReconnect);

    [LoggerMessage(EventId = 722, Level = LogLevel.Error, Message = "WhatsApp is not paired: the sidecar asks for a QR scan. Stop NanoClaw and pair with `./nanoclaw auth`.")]
    static partial void LogNotPaired(ILogger logger);

    [LoggerMessage(EventId = 723, Level = LogLevel.Warning, Message = "WhatsApp sidecar reported an error: {Error}")]
    static partial void LogSidecarError(ILogger logger, string error);
}
