using System.CommandLine;
using NanoClaw.Channels.Telegram;

namespace NanoClaw.Cli;

/// <summary>
/// <c>./nanoclaw auth telegram</c>: checks TELEGRAM_BOT_TOKEN with getMe and says how to find and register chats.
/// Nothing is stored: the token lives in <c>.env</c>, and Telegram needs no pairing. Safe while the service runs
/// (getMe does not compete with its polling).
/// </summary>
static class TelegramAuthCommand
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static Command Create()
    {
        var command = new Command("telegram", "Check TELEGRAM_BOT_TOKEN with Telegram (getMe) and show how to register chats.");
        command.SetAction(async (ParseResult _, CancellationToken ct) =>
            await RunAsync(Config.Load(), Console.Out, ct));
        return command;
    }

    /// <summary>0 when Telegram accepted the token, 1 otherwise; what to do is written to <paramref name="output"/>.</summary>
    internal static async Task<int> RunAsync(Config config, TextWriter output, CancellationToken cancellationToken)
    {
        if (config.TelegramBotToken is null)
        {
            output.WriteLine("TELEGRAM_BOT_TOKEN is not set. In Telegram, talk to @BotFather: /newbot, pick a name and a username,");
            output.WriteLine($"then put the token it gives you in {Path.Combine(config.Home, ".env")} as TELEGRAM_BOT_TOKEN=... and run this again.");
            return 1;
        }
        switch (await TelegramTokenCheck.RunAsync(config, Timeout, cancellationToken))
        {
            case TelegramTokenCheck.Valid bot:
                output.WriteLine($"Telegram accepted the token: the bot is @{bot.Username} ({bot.Name}).");
                output.WriteLine("To find a chat's id: add the bot to the group (or message it privately), send a message there that");
                output.WriteLine($"mentions @{bot.Username} (bots only see mentions in groups unless /setprivacy is off in @BotFather),");
                output.WriteLine("with ./nanoclaw run going. Then ./nanoclaw groups chats lists it as tg:<chat id> (groups are negative). Register it:");
                output.WriteLine($"  ./nanoclaw groups register --jid tg:-1001234567890 --name \"Family\" --folder family");
                output.WriteLine("In a registered chat the assistant answers @" + config.AssistantName + $", @{bot.Username}, replies to its messages, and everything in a private chat.");
                return 0;
            case TelegramTokenCheck.Invalid invalid:
                output.WriteLine($"The token was not accepted: {invalid.Reason}.");
                output.WriteLine(TelegramTokenCheck.InvalidAdvice);
                return 1;
            case TelegramTokenCheck.Unreachable unreachable:
                output.WriteLine($"Could not reach Telegram: {unreachable.Reason}. Check the network (and TELEGRAM_API_URL if set), then run this again.");
                return 1;
            default:
                throw new InvalidOperationException("unknown token check result");
        }
    }
}
