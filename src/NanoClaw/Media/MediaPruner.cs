using Microsoft.Extensions.Logging;

namespace NanoClaw.Media;

/// <summary>Deletes inbound media older than <c>MEDIA_KEEP_DAYS</c>: once at start, then every day (on the host's <see cref="TimeProvider"/>).</summary>
public sealed partial class MediaPruner(MediaStore store, int keepDays, TimeProvider time, ILogger<MediaPruner> log) : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromDays(1);
    ITimer? _timer;

    public void Start()
    {
        PruneNow();
        _timer = time.CreateTimer(_ => PruneNow(), null, Interval, Interval);
    }

    /// <summary>One pass; a failure is logged (the next day tries again), never thrown into a timer.</summary>
    public int PruneNow()
    {
        try
        {
            var removed = store.Prune(keepDays);
            if (removed > 0) LogPruned(log, removed, keepDays);
            return removed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogPruneFailed(log, e.Message);
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_timer is not null) await _timer.DisposeAsync();
    }

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Deleted {Count} day folder(s) of media older than {Days} days (MEDIA_KEEP_DAYS)")]
    static partial void LogPruned(ILogger logger, int count, int days);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Pruning old media failed ({Reason}); tomorrow's pass tries again")]
    static partial void LogPruneFailed(ILogger logger, string reason);
}
