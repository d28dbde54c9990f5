namespace NanoClaw.Usage;

/// <summary>
/// Budget periods in the host's time zone (<c>TZ</c>): a day starts at local midnight, a month on the 1st at local
/// midnight, so "daily" means what the user's clock says, across daylight-saving changes.
/// </summary>
public static class BudgetPeriod
{
    public static DateTimeOffset DayStart(DateTimeOffset now, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        return AtLocal(local.Date, zone);
    }

    public static DateTimeOffset NextDayStart(DateTimeOffset now, TimeZoneInfo zone) =>
        AtLocal(TimeZoneInfo.ConvertTime(now, zone).Date.AddDays(1), zone);

    public static DateTimeOffset MonthStart(DateTimeOffset now, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        return AtLocal(new DateTime(local.Year, local.Month, 1), zone);
    }

    public static DateTimeOffset NextMonthStart(DateTimeOffset now, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        return AtLocal(new DateTime(local.Year, local.Month, 1).AddMonths(1), zone);
    }

    // A local midnight that does not exist (a DST jump at 00:00) is taken as the first instant after the gap.
    static DateTimeOffset AtLocal(DateTime localMidnight, TimeZoneInfo zone)
    {
        var unspecified = DateTime.SpecifyKind(localMidnight, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(unspecified)) unspecified = unspecified.AddMinutes(30);
        return new DateTimeOffset(unspecified, zone.GetUtcOffset(unspecified));
    }
}
