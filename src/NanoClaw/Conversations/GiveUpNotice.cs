using NanoClaw.Outbound;
using NanoClaw.Storage;

namespace NanoClaw.Conversations;

/// <summary>
/// What the user sees when the assistant gives up on a group's messages: the chat gets one plain sentence (writing
/// again retries), main gets a host-written reason naming the group's folder and its run logs. Nothing here is ever
/// text from a run or a guest: a hostile run must not be able to speak to main in the host's voice.
/// </summary>
static class GiveUpNotice
{
    public const string ChatText = "Sorry, I could not answer your last message: something failed on my side. Write again to retry.";

    /// <param name="reason">Host-written, e.g. "the run failed 6 times in a row".</param>
    public static void Send(Database db, Outbox outbox, RegisteredGroup group, string reason)
    {
        var logs = $"groups/{group.Folder}/logs/";
        if (group.IsMain)
        {
            outbox.Enqueue(group.Jid, $"{ChatText} ({reason}; run logs: {logs})");
            return;
        }
        outbox.Enqueue(group.Jid, ChatText);
        if (db.RegisteredGroups().FirstOrDefault(g => g.IsMain) is { } main)
            outbox.Enqueue(main.Jid, $"The assistant could not answer in group folder \"{group.Folder}\": {reason}. Writing there again retries. Run logs: {logs}");
    }
}
