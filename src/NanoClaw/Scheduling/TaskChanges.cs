using NanoClaw.Conversations;
using NanoClaw.Storage;
using TaskStatus = NanoClaw.Storage.TaskStatus;

namespace NanoClaw.Scheduling;

/// <summary>
/// What <see cref="TaskService"/> and the <see cref="Scheduler"/> share, built before both so neither needs the other
/// (the agent tools need the task API before the runner, and so the scheduler, exists): a change wakes the scheduler,
/// and cancelling a task stops its run at once. The runs claimed or going are registered here for that.
/// </summary>
public sealed class TaskChanges(Database db, TimeProvider time)
{
    readonly Lock _lock = new();
    // Task id -> its claimed or running run; cancelled when the task is cancelled.
    readonly Dictionary<string, CancellationTokenSource> _inFlight = new();

    /// <summary>What the scheduler sleeps on between passes.</summary>
    public WakeSignal Wake { get; } = new(time);

    /// <summary>How many runs are claimed or going.</summary>
    public int InFlightCount { get { lock (_lock) return _inFlight.Count; } }

    /// <summary>Told by <see cref="TaskService"/> after every change: the scheduler re-plans, a cancelled task's run stops.</summary>
    public void Changed(string taskId)
    {
        lock (_lock)
        {
            if (_inFlight.TryGetValue(taskId, out var cancel) && db.GetTask(taskId) is { Status: TaskStatus.Cancelled })
                cancel.Cancel();
        }
        Wake.Set();
    }

    /// <summary>False when the task already has a run claimed or going.</summary>
    internal bool TryAdd(string taskId, CancellationTokenSource cancel) { lock (_lock) return _inFlight.TryAdd(taskId, cancel); }

    internal void Remove(string taskId) { lock (_lock) _inFlight.Remove(taskId); }

    internal bool IsInFlight(string taskId) { lock (_lock) return _inFlight.ContainsKey(taskId); }
}
