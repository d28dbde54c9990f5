using System.Text.RegularExpressions;
using NanoClaw.Conversations;

namespace NanoClaw.Channels.Telegram;

/// <summary>
/// What a Telegram message is stored as. Telegram has more ways to address a bot than the trigger: an
/// <c>@botname</c> mention, a reply to one of the bot's messages, or a private chat with it. Those are rewritten
/// into the trigger form (<c>@Andy ...</c>) when the message is stored, rather than teaching <see cref="Trigger"/>
/// about Telegram: the loop decides from stored content alone (also when it recovers after a restart), so one rule
/// in one place keeps working for every channel, and the agent reads the message the way it was meant.
/// </summary>
public static class TelegramAddressing
{
    /// <param name="text">The message text (or a media caption).</param>
    /// <param name="triggerPattern">The registered group's trigger, e.g. <c>@Andy</c>.</param>
    /// <param name="botUsername">The bot's username from getMe, without <c>@</c>.</param>
    /// <param name="isPrivate">A one-to-one chat with the bot: everything in it is for the bot.</param>
    /// <param name="repliesToBot">The message replies to one of the bot's messages.</param>
    /// <param name="quoted">For a reply, who said what: kept as context after the text, so the trigger stays first.</param>
    public static string Content(string text, string triggerPattern, string botUsername, bool isPrivate, bool repliesToBot,
        (string Sender, string Text)? quoted = null)
    {
        var body = text.TrimStart();
        var mention = "@" + botUsername;
        if (botUsername.Length > 0 && Trigger.Matches(body, mention))
            body = triggerPattern + body[mention.Length..]; // "@andy_bot hi" -> "@Andy hi"
        else if (!Trigger.Matches(body, triggerPattern) && (isPrivate || repliesToBot || Mentions(body, mention)))
            body = triggerPattern + " " + body;
        return quoted is { } q ? $"{body}\n[replying to {q.Sender}: \"{q.Text}\"]" : body;
    }

    /// <summary><c>@botname</c> anywhere in the text, as a whole word (Telegram usernames are case-insensitive).</summary>
    static bool Mentions(string text, string mention) => mention.Length > 1
        && Regex.IsMatch(text, @"(?<![\p{L}\p{N}_@])" + Regex.Escape(mention) + @"(?![\p{L}\p{N}_])",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
}
