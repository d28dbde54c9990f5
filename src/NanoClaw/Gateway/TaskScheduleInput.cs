using System.Globalization;
using Cronos;
using NanoClaw.Storage;

namespace NanoClaw.Gateway;

/// <summary>
/// A schedule as an agent gives it to <c>schedule_task</c>, parsed strictly, with the first run it implies.
/// <list type="bullet">
/// <item><c>cron</c>: five fields (<c>0 9 * * 1-5</c>), in the host's time zone (TZ).</item>
/// <item><c>interval</c>: milliseconds, at least one minute; the first run is one interval from now.</item>
/// <item><c>once</c>: <c>yyyy-MM-ddTHH:mm[:ss]</c> in the host's time zone, or with an explicit offset; in the future.</item>
/// </list>
/// </summary>
public static class TaskScheduleInput
{
    /// <summary>Each interval run boots a VM; anything faster than this is a mistake, not a schedule.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMinutes(1);

    static readonly string[] LocalFormats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF"];
    static readonly string[] OffsetFormats = ["yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];

    /// <summary>A parsed schedule and its first run.</summary>
    public sealed record Parsed(ScheduleType Type, string Value, DateTimeOffset NextRun);

    /// <summary>The schedule type named exactly <c>cron</c>, <c>interval</c> or <c>once</c>; null otherwise.</summary>
    public static ScheduleType? ParseType(string? value) => value switch
    {
        "cron" => ScheduleType.Cron,
        "interval" => ScheduleType.Interval,
        "once" => ScheduleType.Once,
        _ => null,
    };

    /// <summary>The context mode named exactly <c>group</c> or <c>isolated</c>; null otherwise.</summary>
    public static ContextMode? ParseContextMode(string? value) => value switch
    {
        "group" => ContextMode.Group,
        "isolated" => ContextMode.Isolated,
        _ => null,
    };

    /// <summary>Parses <paramref name="value"/> as a schedule of <paramref name="type"/> and computes its first run after
    /// <paramref name="now"/>. Returns the parsed schedule, or the reason it is not one.</summary>
    public static (Parsed? Schedule, string? Error) Parse(ScheduleType type, string? value, DateTimeOffset now, TimeZoneInfo zone)
    {
        if (string.IsNullOrWhiteSpace(value)) return (null, "schedule_value is empty.");
        value = value.Trim();
        return type switch
        {
            ScheduleType.Cron => ParseCron(value, now, zone),
            ScheduleType.Interval => ParseInterval(value, now),
            ScheduleType.Once => ParseOnce(value, now, zone),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
    }

    /// <summary>The run after <paramref name="after"/> for a repeating schedule; null for <c>once</c> or a cron that never fires again.</summary>
    public static DateTimeOffset? NextAfter(ScheduleType type, string value, DateTimeOffset after, TimeZoneInfo zone) => type switch
    {
        ScheduleType.Cron => CronExpression.TryParse(value, CronFormat.Standard, out var cron) ? cron.GetNextOccurrence(after, zone) : null,
        ScheduleType.Interval => long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? after + TimeSpan.FromMilliseconds(ms) : null,
        _ => null,
    };

    static (Parsed?, string?) ParseCron(string value, DateTimeOffset now, TimeZoneInfo zone)
    {
        if (!CronExpression.TryParse(value, CronFormat.Standard, out var cron))
            return (null, $"\"{value}\" is not a cron expression: use five fields, minute hour day-of-month month day-of-week, e.g. \"0 9 * * 1-5\" for 9:00 on weekdays.");
        return cron.GetNextOccurrence(now, zone) is { } next
            ? (new Parsed(ScheduleType.Cron, value, next), null)
            : (null, $"the cron expression \"{value}\" never fires.");
    }

    static (Parsed?, string?) ParseInterval(string value, DateTimeOffset now)
    {
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > (long)TimeSpan.FromDays(366).TotalMilliseconds)
            return (null, $"\"{value}\" is not an interval: give whole milliseconds (digits only), e.g. \"3600000\" for every hour, at most a year.");
        if (ms < MinInterval.TotalMilliseconds)
            return (null, $"an interval of {ms} ms is too short: the minimum is {MinInterval.TotalMilliseconds:F0} ms (one minute).");
        return (new Parsed(ScheduleType.Interval, value, now + TimeSpan.FromMilliseconds(ms)), null);
    }

    static (Parsed?, string?) ParseOnce(string value, DateTimeOffset now, TimeZoneInfo zone)
    {
        DateTimeOffset at;
        if (DateTime.TryParseExact(value, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            // NOTE: a local time is read in the host's zone, not the guest's or UTC: the original misread these.
            if (zone.IsInvalidTime(local))
                return (null, $"{value} does not exist in {zone.Id} (the clocks skip it); choose another time.");
            at = new DateTimeOffset(local, zone.GetUtcOffset(local));
        }
        else if (DateTimeOffset.TryParseExact(value, OffsetFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var withOffset))
            at = withOffset;
        else
            return (null, $"\"{value}\" is not a time: use local time as yyyy-MM-ddTHH:mm:ss, e.g. \"2026-12-24T18:00:00\" ({zone.Id}).");
        if (at <= now)
            return (null, $"{value} is in the past (now is {TimeZoneInfo.ConvertTime(now, zone):yyyy-MM-dd'T'HH:mm:ss} in {zone.Id}).");
        return (new Parsed(ScheduleType.Once, value, at), null);
    }
}
