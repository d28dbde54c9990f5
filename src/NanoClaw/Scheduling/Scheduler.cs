using System.Globalization;
using Microsoft.Extensions.Logging;
using NanoClaw.Conversations;
using NanoClaw.Outbound;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Usage;
using TaskStatus = NanoClaw.Storage.TaskStatus;

namespace NanoClaw.Scheduling;

/// <summary>
/// Runs scheduled tasks: sleeps on the <see cref="TimeProvider"/> until the earliest due time (or until a task
/// changes), claims each due run in the database, then hands it to the group queue, where tasks go before
/// messages. Invariants:
/// <list type="number">
/// <item>A run is claimed (next run computed and stored, run log row written, one transaction) before it is
/// dispatched, so a crash or a slow run never runs the same occurrence twice.</item>
/// <item>A task has at most one run claimed or going at a time; a slot that falls due meanwhile is claimed
/// when that run ends.</item>
/// <item>Occurrences missed while the host was down are run once, as one catch-up run, and the run log says so.</item>
/// <item>A failed run that sent nothing is retried with backoff (<see cref="MaxRetries"/> times, stored, so a
/// restart keeps it); then the main chat is told. This is also how a task waits out a VM runtime outage.</item>
/// </list>
/// </summary>
public sealed partial class Scheduler
{
    public const int MaxRetries = 4;
    /// <summary>The first retry's delay; each further one is four times longer (1, 4, 16, 64 minutes).</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMinutes(1);
    /// <summary>A run later than this after its slot counts as a catch-up (the host was down or asleep).</summary>
    public static readonly TimeSpan CatchUpGrace = TimeSpan.FromMinutes(1);
    /// <summary>The safety net for changes this process is not told about: the CLI edits tasks from another process.</summary>
    public static readonly TimeSpan SafetyPoll = TimeSpan.FromSeconds(30);

    readonly Database _db;
    readonly GroupQueue _queue;
    readonly Outbox _outbox;
    readonly AgentRunEvents _events;
    readonly TimeZoneInfo _zone;
    readonly TimeProvider _time;
    readonly ILogger<Scheduler> _log;
    readonly TaskChanges _changes;

    readonly Budgets? _budgets;

    /// <param name="changes">What the task API (<see cref="TaskService"/> built with <see cref="TaskChanges.Changed"/>) tells
    /// this scheduler: it sleeps on its wake signal, and its runs are registered there so a cancel stops them.</param>
    public Scheduler(Database db, GroupQueue queue, Outbox outbox, IAgentRunner runner, TaskChanges changes, TimeZoneInfo zone, TimeProvider time, ILogger<Scheduler> log,
        Budgets? budgets = null)
    {
        (_db, _queue, _outbox, _changes, _zone, _time, _log, _budgets) = (db, queue, outbox, changes, zone, time, log, budgets);
        _events = new AgentRunEvents(db, runner, log);
    }

    /// <summary>How many runs are claimed or going.</summary>
    public int InFlightCount => _changes.InFlightCount;

    public void Wake() => _changes.Wake.Set();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        RecoverAfterRestart();
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try { wait = DispatchDue(); }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // E.g. the store is locked for longer than its timeout: nothing was claimed, so trying again is safe.
                LogDispatchFailed(_log, ex);
                wait = SafetyPoll;
            }
            try { await _changes.Wake.WaitAsync(wait, cancellationToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>Claims and dispatches every due run; returns how long to sleep until the next one is due.</summary>
    public TimeSpan DispatchDue()
    {
        foreach (var claim in ClaimDue()) Dispatch(claim);
        var now = _time.GetUtcNow();
        var next = _db.TaskTimings().Where(t => !IsInFlight(t.Id)).Select(t => t.DueAt).Where(d => d is not null).Min();
        if (next is not { } due) return SafetyPoll;
        var wait = due - now;
        return wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < SafetyPoll ? wait : SafetyPoll;
    }

    /// <summary>Claims every due run in the database without dispatching it (dispatch is the caller's next step).</summary>
    internal IReadOnlyList<ClaimedRun> ClaimDue()
    {
        var now = _time.GetUtcNow();
        var claims = new List<ClaimedRun>();
        foreach (var timing in _db.TaskTimings())
        {
            if (timing.DueAt is not { } due || due > now || IsInFlight(timing.Id)) continue;
            if (Claim(timing, now) is { } claim) claims.Add(claim);
        }
        return claims;
    }

    ClaimedRun? Claim(TaskTiming timing, DateTimeOffset now)
    {
        if (_db.GetTask(timing.Id) is not { } task) return null;
        if (Schedule.Of(task, _zone) is not { } schedule)
        {
            _db.SetTaskStatus(task.Id, TaskStatus.Paused, null, TaskStatus.Active);
            Report($"Scheduled task {task.Id} has a schedule that no longer parses ({task.ScheduleType.ToString().ToLowerInvariant()} \"{task.ScheduleValue}\"); it is paused. Cancel it and create a new one.");
            return null;
        }

        long? runId;
        string kind;
        var attempts = timing.FailedAttempts;
        if (timing.Status == TaskStatus.Active && timing.NextRun is { } slot && slot <= now)
        {
            // An occurrence of the schedule. Any pending retry is folded into it: one run, not two.
            var missed = schedule.OccurrencesBetween(slot, now, _zone);
            var catchUp = missed > 1 || now - slot > CatchUpGrace;
            kind = catchUp ? TaskRunKind.CatchUp : TaskRunKind.Scheduled;
            var note = catchUp
                ? $"catch-up: {missed} occurrence{(missed == 1 ? "" : "s")} due since {Local(slot)} were missed while the host was down; run once now"
                : null;
            attempts = 0;
            runId = _db.ClaimTaskRun(timing, schedule.NextAfter(slot, now, _zone), clearPendingRun: true, attempts, kind, note, now);
            if (runId is not null && catchUp) LogCatchUp(_log, task.Id, missed);
        }
        else
        {
            kind = attempts > 0 ? TaskRunKind.Retry : TaskRunKind.Manual;
            var note = attempts > 0 ? $"retry {attempts} of {MaxRetries}" : "run now";
            runId = _db.ClaimTaskRun(timing, timing.NextRun, clearPendingRun: true, attempts, kind, note, now);
        }
        return runId is { } id ? new ClaimedRun(task.Id, task.ChatJid, id, attempts) : null;
    }

    /// <summary>Hands a claimed run to the group queue.</summary>
    internal void Dispatch(ClaimedRun claim)
    {
        var cancel = new CancellationTokenSource();
        if (!_changes.TryAdd(claim.TaskId, cancel)) { cancel.Dispose(); return; }
        LogDispatching(_log, claim.TaskId, claim.RunId);
        _queue.EnqueueTask(claim.ChatJid, claim.TaskId, ct => ExecuteAsync(claim, cancel, ct));
    }

    /// <summary>
    /// At start-up, settles runs a previous process left behind: a claimed run never started, so it is dispatched
    /// now (exactly once); a running one may have had effects, so it is marked interrupted and not repeated.
    /// </summary>
    public void RecoverAfterRestart()
    {
        foreach (var run in _db.TaskRunsInStatus(TaskRunStatus.Running))
        {
            _db.SetTaskRunStatus(run.Id, TaskRunStatus.Interrupted, "the host stopped while this run was going; not run again, so it cannot happen twice");
            var task = _db.GetTask(run.TaskId);
            if (task is null) continue;
            var what = $"{Named(task)} was interrupted by a restart while it ran; it was not run again, to avoid doing it twice.";
            // A once task has no later slot: pause it rather than leave it active with nothing to run.
            if (task.ScheduleType == ScheduleType.Once && task.Status == TaskStatus.Active && _db.SetTaskStatus(task.Id, TaskStatus.Paused, null, TaskStatus.Active))
                what += $" It is paused; `./nanoclaw tasks resume {task.Id}` runs it again.";
            else what += $" `./nanoclaw tasks run {task.Id}` runs it again now.";
            Report(what);
        }
        foreach (var run in _db.TaskRunsInStatus(TaskRunStatus.Claimed))
        {
            if (_db.GetTask(run.TaskId) is not { Status: TaskStatus.Active or TaskStatus.Paused } task)
            {
                _db.SetTaskRunStatus(run.Id, TaskRunStatus.Skipped, "the task ended before this run started");
                continue;
            }
            LogRedispatching(_log, task.Id, run.Id);
            Dispatch(new ClaimedRun(task.Id, task.ChatJid, run.Id, run.Kind == TaskRunKind.Retry ? FailedAttemptsOf(task.Id) : 0));
        }
    }

    int FailedAttemptsOf(string taskId) => _db.TaskTimings().FirstOrDefault(t => t.Id == taskId)?.FailedAttempts ?? 0;

    bool IsInFlight(string taskId) => _changes.IsInFlight(taskId);

    /// <summary>Tells the owner in the main chat (or nowhere, with a log line, when no main chat is registered).</summary>
    void Report(string text)
    {
        LogReport(_log, text);
        if (_db.RegisteredGroups().FirstOrDefault(g => g.IsMain) is { } main) _outbox.Enqueue(main.Jid, text);
    }

    string Local(DateTimeOffset t) => TimeZoneInfo.ConvertTime(t, _zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    // Reports to main are host-written sentences: a task's prompt and its run's error text come from the group (a
    // hostile guest can shape both), so they stay in the run log and never reach main as if the host said them.
    static string Named(ScheduledTask task) => $"Scheduled task {task.Id} of group folder \"{task.GroupFolder}\"";

    static string RunLog(ScheduledTask task) => $"Its errors are in its run log: `./nanoclaw tasks log {task.Id}`.";
}
