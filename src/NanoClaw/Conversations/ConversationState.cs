namespace NanoClaw.Conversations;

/// <summary>Where a group's <see cref="Conversation"/> stands.</summary>
public enum ConversationState
{
    /// <summary>No run holds the group's messages (one may be queued for a slot): new messages wait for a run.</summary>
    Quiet,
    /// <summary>A run has taken its messages and is working on a turn: new messages are fed into it.</summary>
    Busy,
    /// <summary>The run finished a turn and waits for follow-ups until its idle timer or a yield closes it.</summary>
    Idle,
    /// <summary>Follow-ups are closed; the run is winding down. New messages wait for the next run.</summary>
    Closing,
}
