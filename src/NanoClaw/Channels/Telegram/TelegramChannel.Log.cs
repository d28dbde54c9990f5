using Microsoft.Extensions.Logging;

namespace NanoClaw.Channels.Telegram;

public sealed partial class TelegramChannel
{
    [LoggerMessage(EventId = 740, Level = LogLevel.Information, Message = "Telegram connected as @{Username}, polling from update {Offset}")]
    static partial void LogConnected(ILogger logger, string username, long offset);

    [LoggerMessage(EventId = 741, Level = LogLevel.Error, Message = "Telegram stays offline. {Advice}")]
    static partial void LogUnauthorized(ILogger logger, string advice);

    [LoggerMessage(EventId = 742, Level = LogLevel.Warning, Message = "Telegram polling failed ({Error}); trying again in {Delay}")]
    static partial void LogPollFailed(ILogger logger, string error, TimeSpan delay);

    [LoggerMessage(EventId = 743, Level = LogLevel.Warning, Message = "Telegram asked to wait {Seconds} s before polling again (429)")]
    static partial void LogPollHeld(ILogger logger, int seconds);

    [LoggerMessage(EventId = 744, Level = LogLevel.Information, Message = "Telegram message in unregistered chat {Jid} ({Name}) not stored; register it with `./nanoclaw groups register --jid {Jid} ...`")]
    static partial void LogUnregistered(ILogger logger, string jid, string name);

    [LoggerMessage(EventId = 745, Level = LogLevel.Information, Message = "Telegram message in {Jid} has no text ({Type}); media is not handled yet, so it is not stored")]
    static partial void LogNotText(ILogger logger, string jid, string type);

    [LoggerMessage(EventId = 746, Level = LogLevel.Debug, Message = "Telegram update {UpdateId} was already stored; ignored")]
    static partial void LogDuplicateUpdate(ILogger logger, int updateId);

    [LoggerMessage(EventId = 747, Level = LogLevel.Debug, Message = "Typing indicator for {ChatJid} failed: {Error}")]
    static partial void LogTypingFailed(ILogger logger, string chatJid, string error);
}
