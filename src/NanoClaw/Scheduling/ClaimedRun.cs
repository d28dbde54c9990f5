namespace NanoClaw.Scheduling;

/// <summary>A run claimed in the database and not yet finished.</summary>
internal sealed record ClaimedRun(string TaskId, string ChatJid, long RunId, int FailedAttempts);
