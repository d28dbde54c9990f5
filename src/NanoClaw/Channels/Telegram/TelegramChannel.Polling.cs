using System.Globalization;
using NanoClaw.Storage;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace NanoClaw.Channels.Telegram;

public sealed partial class TelegramChannel
{
    /// <summary>
    /// 1. getMe until it answers (who the bot is: its username makes <c>@username</c> mentions address it).
    /// 2. getUpdates with the stored offset, held open by Telegram until something arrives or the poll times out.
    /// 3. Each update in order: stored (or its chat's metadata noted), THEN the offset is committed past it.
    /// A refused token (401) stops for good; anything else is retried after a growing pause.
    /// </summary>
    async Task PollAsync(TelegramBotClient client, CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (BotUsername is null)
                {
                    await IdentifyAsync(client, cancellationToken);
                    Connected(); // sends can go now; the first poll may be held open for its whole timeout
                }
                var offset = StoredOffset();
                var updates = await client.GetUpdates(offset, limit: 100, timeout: (int)_timings.PollTimeout.TotalSeconds,
                    allowedUpdates: [UpdateType.Message], cancellationToken: cancellationToken);
                if (_state != TelegramState.Polling) Connected();
                failures = 0;
                foreach (var update in updates.OrderBy(u => u.Id))
                {
                    // Already stored and committed (Telegram, or a proxy, sent it again): nothing to do.
                    if (offset is { } next && update.Id < next) { LogDuplicateUpdate(_log, update.Id); continue; }
                    if (update.Message is { } message) Receive(message);
                    _db.SetState(OffsetKey, (update.Id + 1).ToString(CultureInfo.InvariantCulture));
                    offset = update.Id + 1;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { break; }
            catch (ApiRequestException ex) when (ex.ErrorCode is 401 or 404)
            {
                // 404: Telegram's answer to a token that is not even well-formed.
                BecomeUnauthorized($"Telegram answered {ex.ErrorCode} ({ex.Message}) to {(BotUsername is null ? "getMe" : "getUpdates")}");
                break;
            }
            catch (ApiRequestException ex) when (ex.ErrorCode == 429 && ex.Parameters?.RetryAfter is { } retryAfter)
            {
                LogPollHeld(_log, retryAfter);
                await PauseAsync(TimeSpan.FromSeconds(retryAfter), cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Network, a 409 (another process polls with this token), a 5xx, or the store failing: nothing was
                // committed past what was stored, so the same updates come again after the pause.
                if (_state == TelegramState.Polling) _state = TelegramState.Offline;
                var delay = _timings.RetryDelays[Math.Min(failures++, _timings.RetryDelays.Count - 1)];
                LogPollFailed(_log, ex.Message, delay);
                await PauseAsync(delay, cancellationToken);
            }
        }
    }

    async Task IdentifyAsync(TelegramBotClient client, CancellationToken cancellationToken)
    {
        var me = await client.GetMe(cancellationToken);
        (_botId, BotUsername) = (me.Id, me.Username ?? "");
    }

    void Connected()
    {
        _state = TelegramState.Polling;
        LogConnected(_log, BotUsername ?? "", StoredOffset() ?? 0);
        // Replies held while offline go out now, not when the outbox's retry backoff (up to 5 min) ends.
        _inbound.Reconnected(this);
    }

    async Task PauseAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try { await Task.Delay(delay, _time, cancellationToken); }
        catch (OperationCanceledException) { }
    }

    /// <summary>Stores a message of a registered chat (text or caption; media itself is not handled yet), or notes an unregistered chat.</summary>
    void Receive(Message m)
    {
        var jid = TelegramJid.For(m.Chat.Id);
        var chatName = ChatName(m.Chat);
        var timestamp = new DateTimeOffset(DateTime.SpecifyKind(m.Date, DateTimeKind.Utc));
        if (_db.GroupByJid(jid) is not { } group)
        {
            // Not registered: metadata only, so `groups` lists the chat with its id; its content is not kept.
            _db.UpsertChat(jid, chatName, timestamp);
            LogUnregistered(_log, jid, chatName);
            return;
        }
        if ((m.Text ?? m.Caption) is not { } text)
        {
            LogNotText(_log, jid, m.Type.ToString());
            return;
        }
        var reply = m.ReplyToMessage;
        var repliesToBot = reply?.From?.Id == _botId;
        (string, string)? quoted = reply is { } r && (r.Text ?? r.Caption) is { } quotedText
            ? (repliesToBot ? _config.AssistantName : SenderName(r.From), quotedText) : null;
        var content = TelegramAddressing.Content(text, group.TriggerPattern, BotUsername ?? "",
            isPrivate: m.Chat.Type == ChatType.Private, repliesToBot, quoted);
        var sender = m.From?.Id.ToString(CultureInfo.InvariantCulture) ?? jid;
        _inbound.Deliver(new StoredMessage(m.Id.ToString(CultureInfo.InvariantCulture), jid, sender, SenderName(m.From), content,
            timestamp, IsFromMe: false, IsBotMessage: false), chatName);
    }

    static string ChatName(global::Telegram.Bot.Types.Chat chat) => chat.Title
        ?? (FullName(chat.FirstName, chat.LastName) is { Length: > 0 } name ? name : chat.Username ?? "");

    static string SenderName(User? user) => user is null ? ""
        : FullName(user.FirstName, user.LastName) is { Length: > 0 } name ? name : user.Username ?? user.Id.ToString(CultureInfo.InvariantCulture);

    static string FullName(string? first, string? last) => string.Join(' ', new[] { first, last }.Where(s => !string.IsNullOrEmpty(s)));
}
