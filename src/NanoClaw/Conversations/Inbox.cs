using NanoClaw.Storage;

namespace NanoClaw.Conversations;

/// <summary>
/// Where inbound messages are stored and the <see cref="MessageLoop"/> is woken. Built before the channels and the
/// loop, so a channel gets its delivery delegate at construction although the loop (which needs the runner) comes later.
/// </summary>
public sealed class Inbox(Database db, TimeProvider time)
{
    /// <summary>What the message loop sleeps on.</summary>
    public WakeSignal Arrived { get; } = new(time);

    /// <summary>Stores an inbound message and wakes the loop. False when it was already stored (a redelivery).</summary>
    public bool Deliver(StoredMessage message, string? chatName = null)
    {
        db.UpsertChat(message.ChatJid, chatName ?? "", message.Timestamp);
        if (db.StoreMessage(message) is null) return false;
        Arrived.Set();
        return true;
    }
}
