using System.Globalization;

namespace NanoClaw.Channels.Telegram;

/// <summary>Chats as jids: <c>tg:&lt;chat id&gt;</c>. Telegram's group and supergroup ids are negative, private chats positive.</summary>
public static class TelegramJid
{
    public const string Prefix = "tg:";

    public static string For(long chatId) => Prefix + chatId.ToString(CultureInfo.InvariantCulture);

    public static bool TryParse(string jid, out long chatId)
    {
        chatId = 0;
        return jid.StartsWith(Prefix, StringComparison.Ordinal)
            && long.TryParse(jid.AsSpan(Prefix.Length), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out chatId);
    }

    /// <summary>A group or supergroup (negative id): Telegram limits a bot to about 20 messages a minute there.</summary>
    public static bool IsGroup(string jid) => TryParse(jid, out var id) && id < 0;
}
