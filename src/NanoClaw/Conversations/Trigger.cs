using System.Text.RegularExpressions;
using NanoClaw.Storage;

namespace NanoClaw.Conversations;

/// <summary>When a message wakes the assistant: it starts with the trigger (<c>@Andy</c>, case-insensitive, at a word boundary).</summary>
public static class Trigger
{
    public static string DefaultPattern(string assistantName) => "@" + assistantName;

    public static bool Matches(string content, string triggerPattern) =>
        Regex.IsMatch(content.TrimStart(), "^" + Regex.Escape(triggerPattern) + @"(?![\p{L}\p{N}_])",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

    /// <summary>
    /// Whether these new messages should start (or feed) a run in the group. The main chat and groups registered
    /// with <c>requires_trigger = false</c> answer everything; other groups only when one message carries the trigger.
    /// The others are not lost: they stay in the store and reach the agent as context with the next trigger.
    /// </summary>
    public static bool ShouldRespond(RegisteredGroup group, IEnumerable<StoredMessage> newMessages) =>
        group.IsMain || !group.RequiresTrigger || newMessages.Any(m => Matches(m.Content, group.TriggerPattern));
}
