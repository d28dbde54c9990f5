using System.Globalization;
using Cronos;
using NanoClaw.Storage;

namespace NanoClaw.Scheduling;

/// <summary>
/// A parsed <c>schedule_value</c>: when a task's occurrences fall. All wall-clock reasoning happens in the
/// configured time zone (<c>TZ</c>); stored instants are UTC.
/// <list type="bullet">
/// <item><c>cron</c>: a standard 5-field expression (minute hour day-of-month month day-of-week) or a macro
/// such as <c>@daily</c>, evaluated by Cronos in the time zone, so DST transitions are handled: a time that
/// does not exist (spring forward) runs at the first moment after the gap; a time that happens twice
/// (fall back) runs once.</item>
/// <item><c>interval</c>: milliseconds, as in the original (e.g. <c>3600000</c> for hourly), at least one
/// minute and at most 366 days. Occurrences are anchored to the first one (created + interval), so run length
/// never adds drift.</item>
/// <item><c>once</c>: a local time without offset, <c>2026-12-01T09:00:00</c> (seconds optional), in the
/// time zone. A time that happens twice (fall back) means the first of the two.</item>
/// </list>
/// </summary>
public abstract record Schedule
{
    private Schedule() { }

    public static readonly TimeSpan MinimumInterval = TimeSpan.FromMinutes(1);
    /// <summary>Longer intervals are typos, and far beyond this the first run is past what a date can hold.</summary>
    public static readonly TimeSpan MaximumInterval = TimeSpan.FromDays(366);

    public sealed record Cron(CronExpression Expression) : Schedule;
    public sealed record Interval(TimeSpan Every) : Schedule;
    public sealed record Once(DateTime LocalTime, DateTimeOffset At) : Schedule;

    /// <summary>Parses and checks a schedule given as the agent tools spell it (<c>cron|interval|once</c>).</summary>
    public static ScheduleCheck Parse(string scheduleType, string scheduleValue, TimeZoneInfo zone, DateTimeOffset now) =>
        scheduleType?.Trim().ToLowerInvariant() switch
        {
            "cron" => Parse(ScheduleType.Cron, scheduleValue, zone, now),
            "interval" => Parse(ScheduleType.Interval, scheduleValue, zone, now),
            "once" => Parse(ScheduleType.Once, scheduleValue, zone, now),
            _ => new ScheduleCheck.Invalid($"schedule_type \"{scheduleType}\" is not known; use cron, interval or once."),
        };

    /// <summary>Parses and checks a schedule; <paramref name="now"/> decides whether a <c>once</c> time is past.</summary>
    public static ScheduleCheck Parse(ScheduleType type, string scheduleValue, TimeZoneInfo zone, DateTimeOffset now)
    {
        var value = (scheduleValue ?? "").Trim();
        if (value.Length == 0) return new ScheduleCheck.Invalid("schedule_value is empty.");
        return type switch
        {
            ScheduleType.Cron => ParseCron(value, zone, now),
            ScheduleType.Interval => ParseInterval(value, now),
            ScheduleType.Once => ParseOnce(value, zone, now),
            _ => new ScheduleCheck.Invalid($"schedule_type {type} is not known; use cron, interval or once."),
        };
    }

    /// <summary>The schedule of a stored task, or null when its value no longer parses. A <c>once</c> time is not
    /// rejected for being past here: it was checked when the task was created.</summary>
    public static Schedule? Of(ScheduledTask task, TimeZoneInfo zone) =>
        Parse(task.ScheduleType, task.ScheduleValue, zone, task.CreatedAt) is ScheduleCheck.Valid v ? v.Schedule : null;

    /// <summary>
    /// The first occurrence strictly after <paramref name="now"/>, given that the occurrence due at
    /// <paramref name="due"/> is being run. Null when there is none (a <c>once</c> task).
    /// </summary>
    public DateTimeOffset? NextAfter(DateTimeOffset due, DateTimeOffset now, TimeZoneInfo zone) => this switch
    {
        Cron c => c.Expression.GetNextOccurrence(now > due ? now : due, zone, inclusive: false),
        // Anchored: due + k*every for the smallest k that lands after now, however long the run or downtime was.
        Interval i => due + i.Every * (Math.Floor((now - due) / i.Every) + 1),
        Once => null,
        _ => throw new InvalidOperationException("unknown schedule"),
    };

    /// <summary>How many occurrences fell in [<paramref name="due"/>, <paramref name="now"/>] (at least 1, at most <paramref name="cap"/>).</summary>
    public int OccurrencesBetween(DateTimeOffset due, DateTimeOffset now, TimeZoneInfo zone, int cap = 10_000)
    {
        if (now <= due) return 1;
        switch (this)
        {
            case Interval i:
                return (int)Math.Min(cap, Math.Floor((now - due) / i.Every) + 1);
            case Cron c:
                var count = 1;
                foreach (var _ in c.Expression.GetOccurrences(due, now, zone, fromInclusive: false, toInclusive: true))
                    if (++count >= cap) break;
                return count;
            default:
                return 1;
        }
    }

    static readonly string[] CronFields = ["minute", "hour", "day of month", "month", "day of week"];

    static ScheduleCheck ParseCron(string value, TimeZoneInfo zone, DateTimeOffset now)
    {
        var fields = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (!value.StartsWith('@') && fields.Length != 5)
            return new ScheduleCheck.Invalid(
                $"cron \"{value}\" has {fields.Length} fields; it needs 5: minute hour day-of-month month day-of-week (e.g. \"0 9 * * 1-5\" for weekdays at 9:00).");
        CronExpression expression;
        try { expression = CronExpression.Parse(string.Join(' ', fields), CronFormat.Standard); }
        catch (CronFormatException ex)
        {
            // Cronos names no field, so find the culprit by parsing each field alone in an all-"*" expression.
            for (var i = 0; i < fields.Length && !value.StartsWith('@'); i++)
            {
                var probe = Enumerable.Repeat("*", 5).ToArray();
                probe[i] = fields[i];
                if (!CronExpression.TryParse(string.Join(' ', probe), CronFormat.Standard, out _))
                    return new ScheduleCheck.Invalid($"cron \"{value}\": the {CronFields[i]} field \"{fields[i]}\" is invalid ({ex.Message.TrimEnd('.')}).");
            }
            return new ScheduleCheck.Invalid($"cron \"{value}\" is invalid: {ex.Message}");
        }
        var first = expression.GetNextOccurrence(now, zone, inclusive: false);
        return first is { } f
            ? new ScheduleCheck.Valid(new Cron(expression), f)
            : new ScheduleCheck.Invalid($"cron \"{value}\" never fires (e.g. 30 February); check the day and month fields.");
    }

    static ScheduleCheck ParseInterval(string value, DateTimeOffset now)
    {
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            return new ScheduleCheck.Invalid($"interval \"{value}\" must be a whole number of milliseconds, e.g. 3600000 for every hour.");
        if (ms > (long)MaximumInterval.TotalMilliseconds)
            return new ScheduleCheck.Invalid($"interval {ms} ms is longer than the maximum of {(long)MaximumInterval.TotalMilliseconds} ms (366 days); for rarer runs use a cron expression, e.g. \"0 9 1 1 *\" for every 1 January at 9:00.");
        var every = TimeSpan.FromMilliseconds(ms);
        if (every < MinimumInterval)
            return new ScheduleCheck.Invalid($"interval {ms} ms is shorter than the minimum of {(long)MinimumInterval.TotalMilliseconds} ms (one minute).");
        return new ScheduleCheck.Valid(new Interval(every), now + every);
    }

    static readonly string[] OnceFormats = ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm"];

    static ScheduleCheck ParseOnce(string value, TimeZoneInfo zone, DateTimeOffset now)
    {
        if (!DateTime.TryParseExact(value, OnceFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
            return new ScheduleCheck.Invalid(
                $"once \"{value}\" must be a local time without offset or Z, like 2026-12-01T09:00:00; it is read in {zone.Id}.");
        if (zone.IsInvalidTime(local))
            return new ScheduleCheck.Invalid($"once \"{value}\" does not exist in {zone.Id} (the clocks jump over it for daylight saving); pick a time outside the gap.");
        // Fall back: the wall time happens twice; the larger offset is the earlier of the two instants.
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        var at = new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), offset);
        if (at <= now)
            return new ScheduleCheck.Invalid(
                $"once \"{value}\" is in the past (now is {TimeZoneInfo.ConvertTime(now, zone):yyyy-MM-dd'T'HH:mm:ss} in {zone.Id}); give a future local time.");
        return new ScheduleCheck.Valid(new Once(local, at), at);
    }
}
