using System.Text;
using System.Threading.Channels;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Usage;
using TaskStatus = NanoClaw.Storage.TaskStatus;

namespace NanoClaw.Scheduling;

public sealed partial class Scheduler
{
    const int MaxResultLength = 4000;

    /// <summary>
    /// One claimed run, called by the group queue when the group has a slot:
    /// 1. skip it if the task ended meanwhile; 2. mark it running; 3. run the agent (the group's session for
    /// <c>group</c> context, a fresh one for <c>isolated</c>, which leaves the group's session alone), sending
    /// output to the task's chat; 4. record the outcome and decide what follows (complete, retry, report).
    /// </summary>
    async Task ExecuteAsync(ClaimedRun claim, CancellationTokenSource cancel, CancellationToken stopping)
    {
        try
        {
            // 1. The task may have been cancelled (or completed) between claim and start.
            var task = _db.GetTask(claim.TaskId);
            if (task is not { Status: TaskStatus.Active or TaskStatus.Paused })
            {
                _db.SetTaskRunStatus(claim.RunId, TaskRunStatus.Skipped, "the task ended before this run started");
                return;
            }
            if (_db.GroupByJid(task.ChatJid) is not { } group)
            {
                _db.FinishTaskRun(claim.RunId, task.Id, _time.GetUtcNow(), TimeSpan.Zero, TaskRunStatus.Error, null,
                    $"{task.ChatJid} is no longer a registered group");
                Report($"{Named(task)} could not run: its chat {task.ChatJid} is no longer registered. Cancel it or register the chat again.");
                return;
            }

            // Budget gate: over budget, this occurrence is skipped and logged as such (not retried; the schedule goes on).
            if (_budgets?.Check(group, _time.GetUtcNow()) is BudgetDecision.Over over)
            {
                _db.SetTaskRunStatus(claim.RunId, TaskRunStatus.Skipped, "over budget: " + over.Reason);
                _budgets.RunRefused(group, over);
                return;
            }

            // 2. From here on a crash means "interrupted", never "run again".
            var started = _time.GetUtcNow();
            _db.StartTaskRun(claim.RunId, started);
            LogRunStarting(_log, task.Id, group.Name);

            // 3. Run the agent.
            var outcome = await RunAgentAsync(task, group, cancel.Token, stopping);

            // 4. Record and follow up.
            var duration = _time.GetUtcNow() - started;
            var status = outcome.Error is null ? TaskRunStatus.Success
                : cancel.IsCancellationRequested ? TaskRunStatus.Cancelled
                : stopping.IsCancellationRequested ? TaskRunStatus.Interrupted
                : TaskRunStatus.Error;
            _db.FinishTaskRun(claim.RunId, task.Id, started, duration, status, outcome.Result, outcome.Error);
            LogRunFinished(_log, task.Id, status, duration);
            FollowUp(task, claim, status, outcome);
        }
        finally
        {
            _changes.Remove(claim.TaskId);
            cancel.Dispose();
            Wake();
        }
    }

    async Task<RunOutcome> RunAgentAsync(ScheduledTask task, RegisteredGroup group, CancellationToken cancel, CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, stopping);
        var request = new AgentRequest(group, task.Prompt, task.ContextMode == ContextMode.Group ? _db.GetSession(group.Folder) : null, task.Id);
        // A task takes no follow-ups: the run ends after its turn.
        var followUps = Channel.CreateUnbounded<RunMessage>();
        var result = new StringBuilder();
        var outcome = await _events.RunAsync(request, followUps.Reader, storeSession: task.ContextMode == ContextMode.Group,
            text =>
            {
                if (result.Length < MaxResultLength) result.Append(result.Length > 0 ? "\n" : "").Append(text);
                return _outbox.Enqueue(task.ChatJid, text) > 0;
            },
            () => followUps.Writer.TryComplete(), linked.Token);
        var error = !outcome.Cancelled ? outcome.Error
            : cancel.IsCancellationRequested ? "cancelled while running"
            : "interrupted by shutdown";
        var text = result.Length > MaxResultLength ? result.ToString(0, MaxResultLength) : result.ToString();
        return new RunOutcome(text.Length == 0 ? null : text, error, outcome.Sent);
    }

    void FollowUp(ScheduledTask task, ClaimedRun claim, string status, RunOutcome outcome)
    {
        switch (status)
        {
            case TaskRunStatus.Cancelled:
                return; // the task is cancelled; nothing follows
            case TaskRunStatus.Success:
                if (task.ScheduleType == ScheduleType.Once) _db.SetTaskStatus(task.Id, TaskStatus.Completed, null, TaskStatus.Active);
                else if (claim.FailedAttempts > 0) _db.SetTaskPendingRun(task.Id, null, 0);
                return;
        }

        if (outcome.Sent)
        {
            // Part of the answer already reached the chat: running again would repeat it.
            Report($"{Named(task)} failed after sending part of its answer; it is not retried, so nothing is sent twice. {RunLog(task)}");
            if (task.ScheduleType == ScheduleType.Once) _db.SetTaskStatus(task.Id, TaskStatus.Completed, null, TaskStatus.Active);
            return;
        }
        if (status == TaskRunStatus.Interrupted)
        {
            // Shutdown stopped it before it said anything: run it again as soon as the host is back.
            _db.SetTaskPendingRun(task.Id, _time.GetUtcNow(), claim.FailedAttempts + 1);
            return;
        }

        var attempt = claim.FailedAttempts + 1;
        if (attempt <= MaxRetries)
        {
            var delay = FirstRetryDelay * Math.Pow(4, attempt - 1);
            LogRetrying(_log, task.Id, attempt, delay, outcome.Error ?? "");
            _db.SetTaskPendingRun(task.Id, _time.GetUtcNow() + delay, attempt);
            return;
        }

        _db.SetTaskPendingRun(task.Id, null, 0);
        var then = task.ScheduleType == ScheduleType.Once
            ? _db.SetTaskStatus(task.Id, TaskStatus.Paused, null, TaskStatus.Active)
                ? $" It is paused; `./nanoclaw tasks resume {task.Id}` tries again."
                : ""
            : _db.GetTask(task.Id) is { Status: TaskStatus.Active, NextRun: { } next } ? $" It runs again at its next slot, {Local(next)}." : "";
        Report($"{Named(task)} failed {attempt} times.{then} {RunLog(task)}");
    }

    sealed record RunOutcome(string? Result, string? Error, bool Sent);
}
