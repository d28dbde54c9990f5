namespace NanoClaw.Files;

/// <summary>
/// The kind of a file from its content (magic bytes), never from its name: a guest names its files as it likes, and a
/// ".png" that is an executable must not reach a phone as an image.
/// </summary>
public static class FileSniffer
{
    /// <summary>How many leading bytes <see cref="Sniff"/> looks at.</summary>
    public const int HeadBytes = 512;

    public static SniffedType Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])) return new(FileKind.Image, "image/png", "png");
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) return new(FileKind.Image, "image/jpeg", "jpg");
        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8)) return new(FileKind.Image, "image/gif", "gif");
        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8)) return new(FileKind.Image, "image/webp", "webp");
        if (head.StartsWith("%PDF-"u8)) return new(FileKind.Document, "application/pdf", "pdf");
        if (head.StartsWith("PK\x03\x04"u8)) return new(FileKind.Document, "application/zip", "zip");
        return LooksLikeText(head) ? new(FileKind.Document, "text/plain", "txt") : new(FileKind.Document, "application/octet-stream", "bin");
    }

    /// <summary>No NUL and valid UTF-8 (a sequence cut at the end of the head is allowed).</summary>
    static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty || head.Contains((byte)0)) return false;
        // Cut up to 3 trailing bytes of a sequence the head may have split.
        for (var cut = 0; cut <= Math.Min(3, head.Length - 1); cut++)
            if (System.Text.Unicode.Utf8.IsValid(head[..^cut])) return true;
        return false;
    }
}
