namespace NanoClaw.Scheduling;

/// <summary>The outcome of checking a schedule: valid with its first run, or invalid with a message for the agent.</summary>
public abstract record ScheduleCheck
{
    private ScheduleCheck() { }
    public sealed record Valid(Schedule Schedule, DateTimeOffset FirstRun) : ScheduleCheck;
    public sealed record Invalid(string Error) : ScheduleCheck;
}
