using Microsoft.Extensions.Logging;
using NanoClaw.Channels;
using NanoClaw.Conversations;
using NanoClaw.Files;
using NanoClaw.Storage;

namespace NanoClaw.Outbound;

/// <summary>
/// Replies are written to the <c>outbox</c> table first and sent from there, so a reply survives a channel
/// outage or a crash. Delivery is in order per chat: a failed message holds back the later ones of its chat.
/// </summary>
/// <param name="signal">Shared with the channels (their "connected again"); null: one of its own (no channel reconnects).</param>
public sealed partial class Outbox(Database db, IReadOnlyList<IChannel> channels, Config config, TimeProvider time, ILogger<Outbox> log,
    OutboxSignal? signal = null)
{
    static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);
    readonly OutboxSignal _signal = signal ?? new OutboxSignal(time);
    // One delivery pass at a time, or two passes could send the same entry twice.
    readonly SemaphoreSlim _deliverLock = new(1, 1);

    /// <summary>Stores the prepared reply (prefix, internal spans, split) and wakes delivery. Returns how many parts were
    /// queued. <paramref name="answers"/>: the message runs this reply answers, marked <c>output_sent</c> in the same
    /// transaction as its parts (only if it has any: a reply of only internal text answers nothing).</summary>
    public int Enqueue(string chatJid, string text, IReadOnlyCollection<long>? answers = null)
    {
        var channel = ChannelFor(chatJid);
        var parts = OutboundText.Prepare(text, config.AssistantName,
            prefix: !config.AssistantHasOwnNumber && (channel?.PrefixesReplies ?? true),
            maxLength: channel?.MaxMessageLength ?? 4000);
        if (parts.Count == 0) return 0;
        db.EnqueueReply(chatJid, parts, time.GetUtcNow(), answers ?? []);
        Wake();
        return parts.Count;
    }

    /// <summary>Stores a file to send (the host's spooled copy) with its caption, prepared like a reply but never split
    /// (the agent tool keeps captions short), and wakes delivery.</summary>
    public void EnqueueFile(string chatJid, OutboundFile file, string caption)
    {
        var channel = ChannelFor(chatJid);
        var prepared = OutboundText.Prepare(caption, config.AssistantName,
            prefix: !config.AssistantHasOwnNumber && (channel?.PrefixesReplies ?? true), maxLength: int.MaxValue);
        db.EnqueueOutbound(chatJid, prepared.Count > 0 ? prepared[0] : "", time.GetUtcNow(), file);
        Wake();
    }

    public void Wake() => _signal.Wake.Set();

    /// <summary>
    /// <paramref name="channel"/> (re)connected: its chats' replies that wait for a retry are due now instead of
    /// when their backoff (up to 5 minutes) ends. Only the head of each chat is touched, so order is kept.
    /// </summary>
    public void RetryNow(IChannel channel)
    {
        var now = time.GetUtcNow();
        foreach (var entry in db.DueOutbound(DateTimeOffset.MaxValue))
            if (ChannelFor(entry.ChatJid) == channel) db.DeferOutbound(entry.Id, now);
        Wake();
    }

    /// <summary>Sends everything due until cancelled; sleeps until woken or the next retry is due.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await DeliverDueAsync(cancellationToken);
            var next = db.NextOutboundDue();
            var wait = next is { } due ? Clamp(due - time.GetUtcNow()) : Timeout.InfiniteTimeSpan;
            if (wait == TimeSpan.Zero) continue;
            try { await _signal.Wake.WaitAsync(wait, cancellationToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>One delivery pass over everything due now. Returns how many were sent.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        await _deliverLock.WaitAsync(cancellationToken);
        try { return await DeliverDueLockedAsync(cancellationToken); }
        finally { _deliverLock.Release(); }
    }

    async Task<int> DeliverDueLockedAsync(CancellationToken cancellationToken)
    {
        while (_signal.TryTakeReconnected(out var reconnected)) RetryNow(reconnected);
        var sent = 0;
        var blockedChats = new HashSet<string>();
        foreach (var entry in db.DueOutbound(time.GetUtcNow()))
        {
            if (blockedChats.Contains(entry.ChatJid)) continue;
            var channel = ChannelFor(entry.ChatJid);
            string? error = channel switch
            {
                null => "no channel reaches this chat",
                { IsConnected: false } => $"{channel.Name} is not connected",
                _ => null,
            };
            if (error is null)
            {
                try
                {
                    if (await SendAsync(channel!, entry, cancellationToken) is SendResult.Held held)
                    {
                        // Nothing was sent: only this chat waits (its later replies stay behind it), others go on.
                        blockedChats.Add(entry.ChatJid);
                        db.DeferOutbound(entry.Id, held.Until);
                        LogHeld(log, entry.Id, entry.ChatJid, held.Until, held.Reason);
                        continue;
                    }
                    db.MarkOutboundSent(entry.Id, time.GetUtcNow());
                    if (entry.File is { } sentFile) DeleteSpooled(sentFile);
                    sent++;
                    continue;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    error = ex.Message;
                }
            }
            blockedChats.Add(entry.ChatJid);
            var retryIn = Backoff(entry.Attempts + 1);
            db.MarkOutboundFailed(entry.Id, error, time.GetUtcNow() + retryIn);
            LogDeferred(log, entry.Id, entry.ChatJid, error, retryIn);
        }
        return sent;
    }

    static Task<SendResult> SendAsync(IChannel channel, OutboxEntry entry, CancellationToken cancellationToken) =>
        entry.File is not { } file ? channel.SendAsync(entry.ChatJid, entry.Text, cancellationToken)
        // The spool is the host's; only someone deleting it by hand removes it. Say so rather than retry for ever.
        : !File.Exists(file.SpoolPath) ? channel.SendAsync(entry.ChatJid, OutboundFiles.NotSentText(entry.Text, "the host's copy of the file is gone"), cancellationToken)
        : channel.SendFileAsync(entry.ChatJid, file, entry.Text, cancellationToken);

    void DeleteSpooled(OutboundFile file)
    {
        try { File.Delete(file.SpoolPath); }
        catch (IOException ex) { LogSpoolNotDeleted(log, file.SpoolPath, ex.Message); }
    }

    /// <summary>Shows "typing..." in the chat while a run is going, where the channel supports it. Best effort.</summary>
    public async Task SetTypingAsync(string chatJid, bool typing, CancellationToken cancellationToken)
    {
        if (ChannelFor(chatJid) is not { IsConnected: true } channel) return;
        try { await channel.SetTypingAsync(chatJid, typing, cancellationToken); }
        catch (Exception ex) when (ex is not OperationCanceledException) { LogTypingFailed(log, chatJid, ex.Message); }
    }

    IChannel? ChannelFor(string chatJid) => channels.FirstOrDefault(c => c.Owns(chatJid));

    /// <summary>2 s, 4 s, 8 s ... capped at 5 minutes: an outage of hours costs one attempt every 5 minutes.</summary>
    internal static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, Math.Min(attempt, 20))));

    static TimeSpan Clamp(TimeSpan t) => t <= TimeSpan.Zero ? TimeSpan.Zero : t > MaxBackoff ? MaxBackoff : t;

    [LoggerMessage(EventId = 201, Level = LogLevel.Debug, Message = "Typing indicator for {ChatJid} failed: {Error}")]
    static partial void LogTypingFailed(ILogger logger, string chatJid, string error);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Outbound message {Id} to {ChatJid} held until {Until:O}: {Reason}")]
    static partial void LogHeld(ILogger logger, long id, string chatJid, DateTimeOffset until, string reason);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "The sent file {Path} could not be deleted: {Error}")]
    static partial void LogSpoolNotDeleted(ILogger logger, string path, string error);

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Outbound message {Id} to {ChatJid} not sent ({Error}); retrying in {RetryIn}")]
    static partial void LogDeferred(ILogger logger, long id, string chatJid, string error, TimeSpan retryIn);
}
