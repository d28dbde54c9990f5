namespace NanoClaw.Scheduling;

/// <summary>
/// The states of a <c>task_run_logs</c> row. A run is <see cref="Claimed"/> in the same transaction that moves
/// the task's next run, then <see cref="Running"/> just before the agent starts, then one of the end states.
/// After a crash, a claimed run never started and is dispatched again; a running one may have had effects
/// and becomes <see cref="Interrupted"/> instead of running twice.
/// </summary>
public static class TaskRunStatus
{
    public const string Claimed = "claimed";
    public const string Running = "running";
    public const string Success = "success";
    public const string Error = "error";
    public const string Cancelled = "cancelled";
    public const string Interrupted = "interrupted";
    public const string Skipped = "skipped";
}
