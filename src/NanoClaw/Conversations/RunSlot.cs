namespace NanoClaw.Conversations;

/// <summary>
/// What the queue gives a message run along with its slot. <paramref name="Attempt"/> counts from 1; on the
/// <paramref name="IsLastAttempt"/> a failure is not retried, so the run itself tells the chat.
/// <paramref name="Yield"/> fires when the group's slot is wanted (a task waits for it, or the host is draining):
/// an idle conversation then closes at once instead of after its idle timeout. <paramref name="Stopping"/> fires
/// when shutdown's grace is over and the run must end now.
/// </summary>
public sealed record RunSlot(int Attempt, bool IsLastAttempt, CancellationToken Yield, CancellationToken Stopping);
