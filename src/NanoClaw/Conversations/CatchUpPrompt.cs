using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using NanoClaw.Storage;

namespace NanoClaw.Conversations;

/// <summary>
/// The prompt an agent gets: every message since its last reply in the group, not just the trigger, as
/// <c>&lt;messages&gt;&lt;message sender="Name" time="ISO"&gt;escaped text&lt;/message&gt;...&lt;/messages&gt;</c>.
/// <para>Who wrote what is marked by the host, never by the text: the owner's own messages (sent from the owner's account)
/// carry <c>from_owner="true"</c>; anyone else's display name is their own choice, so one that looks like the owner's or
/// the assistant's carries <c>sender_claimed="true"</c>. Text and names are XML-escaped, so a message cannot close its
/// element or forge these attributes.</para>
/// <para>A message with a file carries it as <c>&lt;attachment kind="image" path="/workspace/group/media/..." size="N"
/// mime="..."&gt;caption&lt;/attachment&gt;</c>, the path as the VM sees it (the group's folder is <c>/workspace/group</c>
/// there). A voice note's transcript is a <c>&lt;transcript machine_made="true"&gt;</c> inside it; a file that was not
/// stored has no path and a <c>note</c> saying why.</para>
/// </summary>
public static partial class CatchUpPrompt
{
    /// <summary>Names a sender might take to pass as someone the agent trusts.</summary>
    static readonly string[] AuthorityWords = ["owner", "admin", "assistant", "system", "nanoclaw"];

    /// <summary>Where the group's folder is inside the VM (the guest's <c>GuestPaths.GroupDir</c>).</summary>
    public const string GuestGroupDir = "/workspace/group";

    public static string Format(IEnumerable<StoredMessage> messages) => Format(messages, assistantName: null);

    /// <param name="assistantName">The assistant's name (<c>Andy</c>); a sender calling themselves that is marked as claimed.</param>
    public static string Format(IEnumerable<StoredMessage> messages, string? assistantName)
    {
        var list = messages.ToList();
        var ownerNames = list.Where(m => m.IsFromMe).Select(m => m.SenderName).Append(assistantName ?? "");
        var trusted = ownerNames.SelectMany(n => Words(n).Append(Fold(n)))
            .Where(n => n.Length >= 2).Concat(AuthorityWords).ToHashSet();
        var sb = new StringBuilder("<messages>\n");
        foreach (var m in list)
        {
            sb.Append("<message sender=\"").Append(Escape(m.SenderName)).Append('"');
            if (m.IsFromMe) sb.Append(" from_owner=\"true\"");
            else if (Claims(m.SenderName, trusted)) sb.Append(" sender_claimed=\"true\"");
            sb.Append(" time=\"").Append(m.Timestamp.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append("\">")
              .Append(m.Attachment is { } a ? AttachmentElement(a, m.Content) : Escape(m.Content)).Append("</message>\n");
        }
        return sb.Append("</messages>").ToString();
    }

    static string AttachmentElement(Media.Attachment a, string caption)
    {
        var sb = new StringBuilder("<attachment kind=\"").Append(Media.MediaNames.KindName(a.Kind)).Append('"');
        if (a.RelativePath is { } path) sb.Append(" path=\"").Append(Escape(GuestGroupDir + "/" + path)).Append('"');
        sb.Append(" size=\"").Append(a.Size.ToString(CultureInfo.InvariantCulture)).Append("\" mime=\"").Append(Escape(a.Mime)).Append('"');
        if (a.Note is { } note) sb.Append(" note=\"").Append(Escape(note)).Append('"');
        sb.Append('>').Append(Escape(caption));
        if (a.Transcript is { } transcript)
            sb.Append("<transcript machine_made=\"true\">").Append(Escape(transcript)).Append("</transcript>");
        return sb.Append("</attachment>").ToString();
    }

    /// <summary>XML escaping, so a message cannot close the tag it sits in or forge another sender.</summary>
    public static string Escape(string text) => text
        .Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    /// <summary>
    /// A name claims a trusted one when, folded, it is that name or one of its words is: "Andy (assistant)", "A.n.d.y"
    /// and "andy_bot" claim "Andy"; "Sandy" and "Cassandra" do not. A long trusted name (six letters or more, such as
    /// an owner's "Sam Smith", folded "samsmith") also counts anywhere inside the folded name ("Sam.Smith2"); the
    /// authority words only as whole words ("Systematic Sue" is not "system").
    /// </summary>
    static bool Claims(string name, HashSet<string> trusted)
    {
        var folded = Fold(name);
        return trusted.Contains(folded)
            || Words(name).Any(trusted.Contains)
            || trusted.Any(t => t.Length >= 6 && !AuthorityWords.Contains(t) && folded.Contains(t, StringComparison.Ordinal));
    }

    /// <summary>The runs of letters and digits in a name, folded: "Andy (bot)" gives "andy" and "bot".</summary>
    static IEnumerable<string> Words(string name) =>
        WordPattern().Matches(name.Normalize(NormalizationForm.FormKC)).Select(w => w.Value.ToLowerInvariant());

    [GeneratedRegex(@"[\p{L}\p{Nd}]+")]
    private static partial Regex WordPattern();

    /// <summary>Letters and digits only, lower-case: "A.n.d.y 🤖" and "ANDY" both fold to "andy".</summary>
    static string Fold(string name) =>
        new([.. name.Normalize(NormalizationForm.FormKC).Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant)]);
}
