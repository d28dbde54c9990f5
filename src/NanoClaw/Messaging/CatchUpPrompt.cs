using System.Globalization;
using System.Text;
using NanoClaw.Storage;

namespace NanoClaw.Messaging;

/// <summary>
/// The prompt an agent gets: every message since its last reply in the group, not just the trigger, as
/// <c>&lt;messages&gt;&lt;message sender="Name" time="ISO"&gt;escaped text&lt;/message&gt;...&lt;/messages&gt;</c>.
/// </summary>
public static class CatchUpPrompt
{
    public static string Format(IEnumerable<StoredMessage> messages)
    {
        var sb = new StringBuilder("<messages>\n");
        foreach (var m in messages)
        {
            sb.Append("<message sender=\"").Append(Escape(m.SenderName)).Append("\" time=\"")
              .Append(m.Timestamp.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append("\">")
              .Append(Escape(m.Content)).Append("</message>\n");
        }
        return sb.Append("</messages>").ToString();
    }

    /// <summary>XML escaping, so a message cannot close the tag it sits in or forge another sender.</summary>
    public static string Escape(string text) => text
        .Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
}
