using NanoClaw.Media;

namespace NanoClaw.Channels.WhatsApp;

/// <summary>A <c>message</c> event's <c>media</c>: what the sender's app says the file is. Nothing is downloaded until the host
/// asks (<see cref="BridgeCommand.Download"/>); <paramref name="Size"/> is only the declared size.</summary>
public sealed record MessageMedia(AttachmentKind Kind, string? Mime, long? Size);
