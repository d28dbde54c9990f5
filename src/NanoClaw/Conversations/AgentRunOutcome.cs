namespace NanoClaw.Conversations;

/// <summary>How an agent run ended: <paramref name="Error"/> is null on success; <paramref name="Sent"/> says whether
/// any of its output went into the durable outbox; <paramref name="Cancelled"/> says the caller's token ended it.</summary>
public sealed record AgentRunOutcome(string? Error, bool Sent, bool Cancelled);
