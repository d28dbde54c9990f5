namespace NanoClaw.Storage;

/// <summary>One hand-over of a chat's messages (<paramref name="FirstSeq"/>..<paramref name="LastSeq"/>) to a run:
/// its first prompt or a follow-up. <paramref name="Attempts"/> is 1, or 2 when the host died once over these messages.</summary>
public sealed record MessageRun(long Id, string ChatJid, long FirstSeq, long LastSeq, string State, int Attempts);
