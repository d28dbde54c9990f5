using Microsoft.Extensions.Logging;

namespace NanoClaw.Media;

/// <summary>
/// The one way an inbound file becomes a message's <see cref="Attachment"/>, for every channel (WhatsApp, Telegram,
/// the terminal's <c>/attach</c>): stored by <see cref="MediaStore"/> (before the caller stores the message), a voice note
/// transcribed when a <see cref="ITranscriber"/> is configured. A refusal (too large, unreadable) never loses the message:
/// it becomes an attachment without a file whose note says what was refused.
/// </summary>
public sealed partial class InboundMedia(MediaStore store, ITranscriber? transcriber, ILogger<InboundMedia> log)
{
    public const string TranscriptionOff = "transcription is off: the host has no speech model (WHISPER_MODEL; see ./nanoclaw doctor)";

    public MediaStore Store => store;
    public long MaxBytes => store.MaxBytes;

    public async Task<Attachment> AcceptAsync(string groupFolder, string messageId, AttachmentKind kind, string? mime, Stream source,
        long? declaredSize, CancellationToken cancellationToken)
    {
        Attachment attachment;
        try { attachment = await store.StoreAsync(groupFolder, messageId, kind, mime, source, declaredSize, cancellationToken); }
        catch (MediaTooLargeException e)
        {
            LogRefused(log, MediaNames.KindName(kind), groupFolder, e.Message);
            return Refused(kind, mime, declaredSize, "not stored: " + e.Message);
        }
        if (kind != AttachmentKind.Voice) return attachment;
        if (transcriber is null) return attachment with { Note = TranscriptionOff };
        try
        {
            var text = await transcriber.TranscribeAsync(store.FullPath(groupFolder, attachment), cancellationToken);
            return attachment with { Transcript = text.Trim() };
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException)
        {
            LogTranscriptionFailed(log, groupFolder, e.Message);
            return attachment with { Note = "transcription failed: " + e.Message };
        }
    }

    /// <summary>An attachment that was not stored, with the reason for the agent (the message itself is still stored).</summary>
    public static Attachment Refused(AttachmentKind kind, string? mime, long? declaredSize, string note) =>
        new(kind, null, MediaNames.CleanMime(mime, kind), Math.Max(0, declaredSize ?? 0), note);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "A {Kind} for group {Folder} was refused: {Reason}")]
    static partial void LogRefused(ILogger logger, string kind, string folder, string reason);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Transcribing a voice note for group {Folder} failed: {Reason}")]
    static partial void LogTranscriptionFailed(ILogger logger, string folder, string reason);
}
