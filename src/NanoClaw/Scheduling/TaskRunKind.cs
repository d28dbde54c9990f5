namespace NanoClaw.Scheduling;

/// <summary>Why a run happened (the <c>kind</c> of a <c>task_run_logs</c> row).</summary>
public static class TaskRunKind
{
    /// <summary>An occurrence of the schedule, on time.</summary>
    public const string Scheduled = "scheduled";
    /// <summary>One run standing for every occurrence missed while the host was down; the note says how many.</summary>
    public const string CatchUp = "catch-up";
    /// <summary>A failed run tried again after a backoff.</summary>
    public const string Retry = "retry";
    /// <summary>Asked for by "run now"; the schedule does not move.</summary>
    public const string Manual = "manual";
}
