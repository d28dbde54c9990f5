namespace NanoClaw.Files;

/// <summary>
/// A file the assistant sends, as the outbox holds it: a host-owned copy (<paramref name="SpoolPath"/>, never the
/// group's file, which a later run could change), its kind and MIME type from its content, and the name the chat
/// shows, chosen by the host.
/// </summary>
public sealed record OutboundFile(string SpoolPath, FileKind Kind, string MimeType, string FileName, long Bytes);
