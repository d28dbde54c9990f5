using NanoClaw.Gateway;
using NanoClaw.Storage;

namespace NanoClaw.Tests.Gateway;

public class TaskScheduleInputTests
{
    static readonly DateTimeOffset Now = new(2026, 3, 10, 8, 0, 0, TimeSpan.Zero);
    static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Fact]
    public void CronRunsInTheHostsTimeZone()
    {
        var (schedule, error) = TaskScheduleInput.Parse(ScheduleType.Cron, "0 10 * * *", Now, Berlin); // 08:00 UTC is 09:00 in Berlin
        error.ShouldBeNull();
        schedule!.NextRun.ShouldBe(new DateTimeOffset(2026, 3, 10, 10, 0, 0, TimeSpan.FromHours(1)));
    }

    [Fact]
    public void IntervalStartsOneIntervalFromNow() =>
        TaskScheduleInput.Parse(ScheduleType.Interval, "3600000", Now, Berlin).Schedule!.NextRun.ShouldBe(Now.AddHours(1));

    [Fact]
    public void OnceWithoutOffsetIsLocalTimeInTheHostsZone() =>
        TaskScheduleInput.Parse(ScheduleType.Once, "2026-03-10T18:30:00", Now, Berlin).Schedule!.NextRun
            .ShouldBe(new DateTimeOffset(2026, 3, 10, 17, 30, 0, TimeSpan.Zero));

    [Fact]
    public void OnceWithAnExplicitOffsetIsThatInstant() =>
        TaskScheduleInput.Parse(ScheduleType.Once, "2026-03-10T18:30:00Z", Now, Berlin).Schedule!.NextRun
            .ShouldBe(new DateTimeOffset(2026, 3, 10, 18, 30, 0, TimeSpan.Zero));

    [Theory]
    [InlineData(ScheduleType.Cron, "every day at 9", "not a cron expression")]
    [InlineData(ScheduleType.Cron, "0 9 * *", "not a cron expression")]
    [InlineData(ScheduleType.Cron, "0 0 30 2 *", "never fires")]
    [InlineData(ScheduleType.Interval, "59999", "too short")]
    [InlineData(ScheduleType.Interval, "-60000", "not an interval")]
    [InlineData(ScheduleType.Interval, "1h", "not an interval")]
    [InlineData(ScheduleType.Interval, "99999999999999999999", "not an interval")]
    [InlineData(ScheduleType.Once, "tomorrow", "not a time")]
    [InlineData(ScheduleType.Once, "2026-03-10T07:59:00", "in the past")]
    [InlineData(ScheduleType.Once, "2026-03-29T02:30:00", "does not exist")]
    [InlineData(ScheduleType.Once, "", "empty")]
    public void BadValuesAreRefusedWithAReason(ScheduleType type, string value, string reason)
    {
        var (schedule, error) = TaskScheduleInput.Parse(type, value, Now, Berlin);
        schedule.ShouldBeNull();
        error.ShouldNotBeNull().ShouldContain(reason);
    }

    [Theory]
    [InlineData("Cron")]
    [InlineData("daily")]
    [InlineData("")]
    [InlineData(null)]
    public void ScheduleTypesAreExactNames(string? type) => TaskScheduleInput.ParseType(type).ShouldBeNull();

    [Fact]
    public void ContextModesAreExactNames()
    {
        TaskScheduleInput.ParseContextMode("group").ShouldBe(ContextMode.Group);
        TaskScheduleInput.ParseContextMode("isolated").ShouldBe(ContextMode.Isolated);
        TaskScheduleInput.ParseContextMode("Isolated").ShouldBeNull();
    }
}
