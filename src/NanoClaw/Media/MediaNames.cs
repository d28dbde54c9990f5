using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace NanoClaw.Media;

/// <summary>
/// File names for stored media. Nothing the sender chose reaches a path: the name is the message id when that id is
/// plain (letters, digits, '-', '_', at most 100 characters; WhatsApp's and Telegram's ids are), otherwise a hash of it,
/// and the extension comes from a short allow-list by media type, never from the sender's file name.
/// </summary>
public static partial class MediaNames
{
    public const int MaxPlainIdLength = 100;

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex PlainId();

    static readonly Dictionary<string, string> Extensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["image/jpeg"] = "jpg",
        ["image/png"] = "png",
        ["image/webp"] = "webp",
        ["image/gif"] = "gif",
        ["image/heic"] = "heic",
        ["audio/ogg"] = "ogg",
        ["audio/opus"] = "ogg",
        ["audio/mpeg"] = "mp3",
        ["audio/mp4"] = "m4a",
        ["audio/aac"] = "aac",
        ["audio/wav"] = "wav",
        ["audio/x-wav"] = "wav",
        ["audio/amr"] = "amr",
        ["video/mp4"] = "mp4",
        ["video/3gpp"] = "3gp",
        ["video/quicktime"] = "mov",
        ["video/webm"] = "webm",
        ["application/pdf"] = "pdf",
        ["text/plain"] = "txt",
        ["text/csv"] = "csv",
        ["application/json"] = "json",
        ["application/zip"] = "zip",
        ["application/msword"] = "doc",
        ["application/vnd.ms-excel"] = "xls",
        ["application/vnd.openxmlformats-officedocument.wordprocessingml.document"] = "docx",
        ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"] = "xlsx",
        ["application/vnd.openxmlformats-officedocument.presentationml.presentation"] = "pptx",
    };

    /// <summary>The file name's stem for a message id: the id itself when plain, else <c>m-</c> and 32 hex digits of its SHA-256.
    /// Deterministic, so a message delivered twice lands on the same file.</summary>
    public static string Stem(string messageId) =>
        messageId.Length is > 0 and <= MaxPlainIdLength && PlainId().IsMatch(messageId)
            ? messageId
            : "m-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(messageId)))[..32];

    /// <summary>The media type without parameters (<c>audio/ogg; codecs=opus</c> -> <c>audio/ogg</c>), lower-case; a default by kind when missing or odd.</summary>
    public static string CleanMime(string? mime, AttachmentKind kind)
    {
        var bare = (mime ?? "").Split(';')[0].Trim().ToLowerInvariant();
        return bare.Length is > 2 and <= 100 && bare.Count(c => c == '/') == 1 && bare.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '+')
            ? bare
            : kind switch
            {
                AttachmentKind.Image => "image/jpeg",
                AttachmentKind.Voice => "audio/ogg",
                AttachmentKind.Audio => "audio/mpeg",
                AttachmentKind.Video => "video/mp4",
                _ => "application/octet-stream",
            };
    }

    /// <summary>The extension for a (clean) media type: from the allow-list, else <c>bin</c>.</summary>
    public static string Extension(string mime) => Extensions.GetValueOrDefault(mime, "bin");

    /// <summary>The media type a local file's extension suggests (for <c>/attach</c>), and the kind it makes.</summary>
    public static (AttachmentKind Kind, string Mime) FromExtension(string path)
    {
        var ext = Path.GetExtension(path).TrimStart('.').ToLowerInvariant();
        var mime = Extensions.FirstOrDefault(p => p.Value == ext).Key ?? "application/octet-stream";
        var kind = mime.StartsWith("image/", StringComparison.Ordinal) ? AttachmentKind.Image
            : mime.StartsWith("audio/", StringComparison.Ordinal) ? AttachmentKind.Audio
            : mime.StartsWith("video/", StringComparison.Ordinal) ? AttachmentKind.Video
            : AttachmentKind.Document;
        return (kind, mime);
    }

    public static string KindName(AttachmentKind kind) => kind.ToString().ToLowerInvariant();

    public static string Megabytes(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.#", CultureInfo.InvariantCulture) + " MB";
}
