namespace NanoClaw.Files;

/// <summary>How a channel presents a file: an image shows inline, anything else is a document to open.</summary>
public enum FileKind { Image, Document }
