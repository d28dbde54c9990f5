namespace NanoClaw.Files;

/// <summary>What a file's first bytes say it is: how to send it, its MIME type, and the extension of the name the host gives it.</summary>
public sealed record SniffedType(FileKind Kind, string MimeType, string Extension);
