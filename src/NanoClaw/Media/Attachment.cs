namespace NanoClaw.Media;

/// <summary>
/// The file a message carries (the <c>messages.attachment</c> column, as JSON).
/// </summary>
/// <param name="RelativePath">Where the file is, relative to the group's folder (<c>media/2026-12-07/ABC.jpg</c>); null when
/// it was not stored (over the size cap, download failed), and then <paramref name="Note"/> says why.</param>
/// <param name="Mime">The media type the sender's app claimed, or one derived from the file; only a label.</param>
/// <param name="Size">Bytes stored, or the size the sender's app claimed when nothing was stored (0 when unknown).</param>
/// <param name="Note">What the agent should know: why the file is missing, or that transcription is off.</param>
/// <param name="Transcript">A voice note's machine-made transcript (Whisper on the host).</param>
public sealed record Attachment(AttachmentKind Kind, string? RelativePath, string Mime, long Size, string? Note = null, string? Transcript = null);
