namespace NanoClaw.Storage;

/// <summary>The states of a <see cref="MessageRun"/> (stored as text).</summary>
public static class MessageRunState
{
    /// <summary>Handed to a run; nothing of its answer is in the outbox yet. Found at start-up: the host died.</summary>
    public const string Started = "started";
    /// <summary>Part of the answer is in the durable outbox: never run again (no duplicate reply).</summary>
    public const string OutputSent = "output_sent";
    public const string Done = "done";
    /// <summary>The run failed before answering and its messages went back to pending for the queue's retry.</summary>
    public const string Retried = "retried";
    /// <summary>The host died before any answer; its messages went back to pending and are run once more.</summary>
    public const string Crashed = "crashed";
    /// <summary>Given up: the chat was told, and writing again retries.</summary>
    public const string Failed = "failed";
}
