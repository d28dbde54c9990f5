using Telegram.Bot;
using Telegram.Bot.Exceptions;

namespace NanoClaw.Channels.Telegram;

/// <summary>What getMe says about the configured token: used by <c>auth telegram</c>, <c>doctor</c> and the channel's start.</summary>
public abstract record TelegramTokenCheck
{
    public sealed record Valid(long BotId, string Username, string Name) : TelegramTokenCheck;
    public sealed record Invalid(string Reason) : TelegramTokenCheck;
    public sealed record Unreachable(string Reason) : TelegramTokenCheck;

    public const string InvalidAdvice = "TELEGRAM_BOT_TOKEN does not work: copy the token again from @BotFather " +
        "(/mybots > your bot > API Token), put it in .env as TELEGRAM_BOT_TOKEN=..., and restart.";

    /// <summary>Calls getMe once, within <paramref name="timeout"/>.</summary>
    public static async Task<TelegramTokenCheck> RunAsync(Config config, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (config.TelegramBotToken is not { } token) return new Invalid("TELEGRAM_BOT_TOKEN is not set");
        using var http = new HttpClient { Timeout = timeout };
        try
        {
            var client = TelegramClient.Create(token, config.TelegramApiUrl, http);
            var me = await client.GetMe(cancellationToken);
            return new Valid(me.Id, me.Username ?? "", me.FirstName);
        }
        catch (ArgumentException ex) { return new Invalid("the token is not in Telegram's format (<bot id>:<secret>): " + ex.Message); }
        catch (ApiRequestException ex) when (ex.ErrorCode is 401 or 404) { return new Invalid($"Telegram answered {ex.ErrorCode} ({ex.Message})"); }
        catch (Exception ex) when (ex is RequestException or HttpRequestException or TaskCanceledException or ApiRequestException)
        {
            return new Unreachable($"{config.TelegramApiUrl} did not answer getMe: {ex.Message}");
        }
    }
}
