namespace NanoClaw.Media;

/// <summary>A file is over <c>MEDIA_MAX_MB</c>: refused before any byte was kept (declared size) or while copying.</summary>
public sealed class MediaTooLargeException(long limitBytes, string detail)
    : IOException($"{detail}; the limit is {MediaNames.Megabytes(limitBytes)} (MEDIA_MAX_MB)")
{
    public long LimitBytes { get; } = limitBytes;
}
