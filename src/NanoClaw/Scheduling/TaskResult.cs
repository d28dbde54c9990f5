using NanoClaw.Storage;

namespace NanoClaw.Scheduling;

/// <summary>The outcome of a task operation: the task as it now is, or why nothing was done (a message for the agent or user).</summary>
public abstract record TaskResult
{
    private TaskResult() { }
    public sealed record Ok(ScheduledTask Task) : TaskResult;
    public sealed record Rejected(string Error) : TaskResult;
}
