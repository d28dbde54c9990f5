using Telegram.Bot;

namespace NanoClaw.Channels.Telegram;

/// <summary>The library's Bot API client, set up the one way this host uses it.</summary>
public static class TelegramClient
{
    /// <summary>
    /// NOTE: the library's own retry of "429 retry after X" is switched off: it would wait inside the send, holding
    /// every chat behind one. A 429 goes to the outbox instead, which holds that chat only (<see cref="SendResult.Held"/>).
    /// </summary>
    public static TelegramBotClient Create(string token, Uri apiUrl, HttpClient http) =>
        new(new TelegramBotClientOptions(token, apiUrl.ToString().TrimEnd('/')) { RetryCount = 0, RetryThreshold = 0 }, http);
}
