using NanoClaw.Scheduling;
using NanoClaw.Storage;

namespace NanoClaw.Tests.Scheduling;

public class ScheduleTests
{
    static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    static List<DateTimeOffset> Next(string cron, TimeZoneInfo zone, string fromUtc, int count)
    {
        var valid = Schedule.Parse(ScheduleType.Cron, cron, zone, Utc(fromUtc)).ShouldBeOfType<ScheduleCheck.Valid>();
        var result = new List<DateTimeOffset> { valid.FirstRun };
        while (result.Count < count) result.Add(valid.Schedule.NextAfter(result[^1], result[^1], zone)!.Value);
        return result;
    }

    [Theory]
    // Europe/Berlin, spring forward 2026-03-29 02:00 -> 03:00: 9:00 local stays 9:00 local (08:00Z, then 07:00Z).
    [InlineData("Europe/Berlin", "0 9 * * *", "2026-03-27T12:00:00Z", "2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z")]
    // 02:30 does not exist that night: it runs at the first moment after the gap (03:00 CEST), once.
    [InlineData("Europe/Berlin", "30 2 * * *", "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z")]
    // Fall back 2026-10-25 03:00 -> 02:00: 02:30 happens twice but runs once (the first), then 02:30 CET.
    [InlineData("Europe/Berlin", "30 2 * * *", "2026-10-24T12:00:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", "2026-10-27T01:30:00Z")]
    [InlineData("Europe/Berlin", "0 9 * * *", "2026-10-23T12:00:00Z", "2026-10-24T07:00:00Z", "2026-10-25T08:00:00Z", "2026-10-26T08:00:00Z")]
    // America/New_York, spring forward 2026-03-08 02:00 -> 03:00.
    [InlineData("America/New_York", "0 9 * * *", "2026-03-06T18:00:00Z", "2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z", "2026-03-09T13:00:00Z")]
    [InlineData("America/New_York", "30 2 * * *", "2026-03-07T12:00:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z")]
    // Fall back 2026-11-01 02:00 -> 01:00: 01:30 happens twice, runs once.
    [InlineData("America/New_York", "30 1 * * *", "2026-10-31T12:00:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z", "2026-11-03T06:30:00Z")]
    [InlineData("America/New_York", "0 9 * * *", "2026-10-30T18:00:00Z", "2026-10-31T13:00:00Z", "2026-11-01T14:00:00Z", "2026-11-02T14:00:00Z")]
    public void CronFollowsLocalTimeAcrossDaylightSavingTransitions(string zone, string cron, string from, string first, string second, string third) =>
        Next(cron, TimeZoneInfo.FindSystemTimeZoneById(zone), from, 3).ShouldBe([Utc(first), Utc(second), Utc(third)]);

    [Fact]
    public void WeekdayCronAtNineRunsMondayToFridayAtNineLocalTime()
    {
        // From Friday 2026-06-05 10:00 Berlin: the next ten runs are the next two working weeks.
        var runs = Next("0 9 * * 1-5", Berlin, "2026-06-05T08:00:00Z", 10).Select(r => TimeZoneInfo.ConvertTime(r, Berlin)).ToList();
        runs.ShouldAllBe(r => r.Hour == 9 && r.Minute == 0 && r.DayOfWeek != DayOfWeek.Saturday && r.DayOfWeek != DayOfWeek.Sunday);
        runs.First().Date.ShouldBe(new DateTime(2026, 6, 8));
        runs.Last().Date.ShouldBe(new DateTime(2026, 6, 19));
    }

    [Fact]
    public void IntervalIsAnchoredSoRunLengthNeverAddsDrift()
    {
        var created = Utc("2026-01-01T00:00:00Z");
        var valid = Schedule.Parse(ScheduleType.Interval, "3600000", Berlin, created).ShouldBeOfType<ScheduleCheck.Valid>();
        var due = valid.FirstRun;
        due.ShouldBe(created.AddHours(1));
        for (var k = 2; k <= 101; k++)
        {
            var runLength = TimeSpan.FromMinutes(k % 59) + TimeSpan.FromMilliseconds(k * 37); // each run ends at a different moment
            due = valid.Schedule.NextAfter(due, due + runLength, Berlin)!.Value;
            due.ShouldBe(created.AddHours(k));
        }
    }

    [Fact]
    public void AnIntervalOfExactlyOneMinuteIsAccepted() =>
        Schedule.Parse("interval", "60000", Berlin, Utc("2026-01-01T00:00:00Z")).ShouldBeOfType<ScheduleCheck.Valid>()
            .FirstRun.ShouldBe(Utc("2026-01-01T00:01:00Z"));

    [Fact]
    public void AnIntervalRunLongerThanTheIntervalSkipsToTheNextSlotOnTheGrid()
    {
        var created = Utc("2026-01-01T00:00:00Z");
        var schedule = new Schedule.Interval(TimeSpan.FromHours(1));
        schedule.NextAfter(created.AddHours(1), created.AddHours(3.5), Berlin).ShouldBe(created.AddHours(4));
        schedule.OccurrencesBetween(created.AddHours(1), created.AddHours(3.5), Berlin).ShouldBe(3);
    }

    [Fact]
    public void OnceIsReadAsLocalTimeInTheConfiguredZone()
    {
        var valid = Schedule.Parse("once", "2026-12-01T09:00:00", Berlin, Utc("2026-06-01T00:00:00Z")).ShouldBeOfType<ScheduleCheck.Valid>();
        valid.FirstRun.ShouldBe(Utc("2026-12-01T08:00:00Z"));
        Schedule.Parse("once", "2026-07-01T09:00", NewYork, Utc("2026-06-01T00:00:00Z")).ShouldBeOfType<ScheduleCheck.Valid>()
            .FirstRun.ShouldBe(Utc("2026-07-01T13:00:00Z"));
    }

    [Fact]
    public void OnceInThePastIsRejectedWithAClearError()
    {
        var invalid = Schedule.Parse("once", "2026-05-31T09:00:00", Berlin, Utc("2026-06-01T00:00:00Z")).ShouldBeOfType<ScheduleCheck.Invalid>();
        invalid.Error.ShouldContain("in the past");
        invalid.Error.ShouldContain("Europe/Berlin");
    }

    [Theory]
    [InlineData("2026-12-01T09:00:00Z")]
    [InlineData("2026-12-01T09:00:00+01:00")]
    [InlineData("tomorrow at 9")]
    public void OnceWithAnOffsetOrInAnotherFormatIsRejected(string value) =>
        Schedule.Parse("once", value, Berlin, Utc("2026-06-01T00:00:00Z")).ShouldBeOfType<ScheduleCheck.Invalid>()
            .Error.ShouldContain("without offset");

    [Fact]
    public void OnceInTheSpringForwardGapIsRejectedAndInTheFallBackHourMeansTheFirst()
    {
        Schedule.Parse("once", "2026-03-29T02:30:00", Berlin, Utc("2026-01-01T00:00:00Z")).ShouldBeOfType<ScheduleCheck.Invalid>()
            .Error.ShouldContain("does not exist");
        Schedule.Parse("once", "2026-11-01T01:30:00", NewYork, Utc("2026-01-01T00:00:00Z")).ShouldBeOfType<ScheduleCheck.Valid>()
            .FirstRun.ShouldBe(Utc("2026-11-01T05:30:00Z"));
    }

    [Theory]
    [InlineData("0 25 * * *", "hour field \"25\"")]
    [InlineData("61 9 * * *", "minute field \"61\"")]
    [InlineData("0 9 * * mon-fri-sat", "day of week field")]
    [InlineData("0 9 32 * *", "day of month field \"32\"")]
    [InlineData("0 9 * 13 *", "month field \"13\"")]
    [InlineData("0 9 * *", "it needs 5")]
    [InlineData("every day at 9", "it needs 5")]
    [InlineData("0 9 30 2 *", "never fires")]
    public void InvalidCronNamesTheField(string cron, string expected) =>
        Schedule.Parse("cron", cron, Berlin, Utc("2026-01-01T00:00:00Z")).ShouldBeOfType<ScheduleCheck.Invalid>().Error.ShouldContain(expected);

    [Theory]
    [InlineData("interval", "1000", "minimum")]
    [InlineData("interval", "59999", "minimum")]
    [InlineData("interval", "-60000", "milliseconds")]
    [InlineData("interval", "99999999999999999999", "milliseconds")] // beyond a long
    [InlineData("interval", "1h", "milliseconds")]
    [InlineData("interval", "31622400001", "maximum of 31622400000 ms")]
    [InlineData("interval", "999999999999999", "maximum")] // beyond TimeSpan
    [InlineData("interval", "300000000000000", "maximum")] // a first run beyond DateTimeOffset
    [InlineData("weekly", "x", "use cron, interval or once")]
    [InlineData("cron", " ", "empty")]
    [InlineData("once", "", "empty")]
    public void OtherInvalidSchedulesSayWhatToDo(string type, string value, string expected) =>
        Schedule.Parse(type, value, Berlin, Utc("2026-01-01T00:00:00Z")).ShouldBeOfType<ScheduleCheck.Invalid>().Error.ShouldContain(expected);
}
