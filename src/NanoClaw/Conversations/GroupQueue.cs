using Microsoft.Extensions.Logging;

namespace NanoClaw.Conversations;

/// <summary>
/// Hands out run slots, nothing more. Invariants: at most one run per group; at most <c>maxConcurrent</c> runs
/// overall; groups waiting for a slot are served first come, first served; within a group, queued tasks go before
/// messages; a message run that fails is retried with backoff (<see cref="MaxRetries"/> times). What a run does
/// (which messages, follow-ups, idle timer) belongs to its owner: the group's <see cref="Conversation"/> or the
/// scheduler's task run.
/// </summary>
/// <param name="roomForAVm">Asked when a run starts for messages or a task: false when the machine is short of memory for
/// its VM; then other groups' runs that only wait (a prepared run, an idle conversation) give way, as they do for a group
/// that waits for a slot. Null: never asked.</param>
public sealed partial class GroupQueue(int maxConcurrent, TimeProvider time, ILogger<GroupQueue> log, Func<bool>? roomForAVm = null)
{
    public const int MaxRetries = 5;
    static readonly TimeSpan BaseRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>A group's message run: true when done (or nothing to do), false to retry later.</summary>
    public delegate Task<bool> MessageRun(RunSlot slot);

    sealed class Group
    {
        public SlotState State;
        public readonly Queue<QueuedTask> Tasks = new();
        /// <summary>Set while the group's messages want a run (the owner's run function).</summary>
        public MessageRun? Messages;
        /// <summary>Set during a run: what to start when it ends, if nothing else wants the group or a slot (a prepared run).</summary>
        public MessageRun? Prepared;
        public int Retries;
        public ITimer? RetryTimer;
        public CancellationTokenSource? Yield;
    }

    sealed record QueuedTask(string TaskId, Func<CancellationToken, Task> Run);

    readonly Lock _lock = new();
    readonly Dictionary<string, Group> _groups = new();
    readonly LinkedList<string> _waiting = new();
    readonly CancellationTokenSource _stopping = new();
    readonly List<TaskCompletionSource> _quietWaiters = new();
    int _running;
    bool _draining;

    /// <summary>Asked (outside the queue's lock) when a group's task run has ended: the group's prepared run, or null. It is
    /// started on <see cref="PrepareAfterRun"/>'s terms: a task's message in a chat is often what the owner answers next.</summary>
    public Func<string, MessageRun?>? PreparedRunAfterTask { get; set; }

    /// <summary>Runs that ended in failure with no retry left (counted while draining, when nothing is retried).</summary>
    public int FailedRuns { get; private set; }

    public int RunningCount { get { lock (_lock) return _running; } }

    /// <summary>The group's messages want a run: <paramref name="run"/> gets the group's next free slot.</summary>
    public void EnqueueMessages(string chatJid, MessageRun run)
    {
        lock (_lock)
        {
            var g = GroupOf(chatJid);
            g.Messages = run;
            if (g.RetryTimer is not null) return; // the pending retry covers these messages, after its backoff
            TryStart(chatJid, g);
        }
    }

    /// <summary>
    /// When the group's current run ends, starts <paramref name="run"/> in its slot, but only if then nothing else wants
    /// the group (messages, a task, a retry), no group waits for a slot and one is free, and the host is not draining:
    /// a prepared run never delays a real one. Otherwise it is dropped. It runs as a message run (a task makes it yield).
    /// </summary>
    public void PrepareAfterRun(string chatJid, MessageRun run)
    {
        lock (_lock)
        {
            var g = GroupOf(chatJid);
            if (g.State == SlotState.MessageRun && !_draining) g.Prepared = run;
        }
    }

    /// <summary>Starts <paramref name="run"/> as a prepared run now, on <see cref="PrepareAfterRun"/>'s terms: only if the
    /// group's slot is free and nothing wants the group, no group waits, a slot is free and the host is not draining.</summary>
    public void PrepareNow(string chatJid, MessageRun run)
    {
        lock (_lock)
        {
            var g = GroupOf(chatJid);
            if (g.State == SlotState.Free && MayPrepare(g)) StartMessageRun(chatJid, g, run);
        }
    }

    bool MayPrepare(Group g) => !HasWork(g) && g.RetryTimer is null && _waiting.Count == 0 && _running < maxConcurrent && !_draining && !_stopping.IsCancellationRequested;

    /// <summary>Queues a scheduled task's run for the group. A task already queued is not queued twice.</summary>
    public void EnqueueTask(string chatJid, string taskId, Func<CancellationToken, Task> run)
    {
        lock (_lock)
        {
            var g = GroupOf(chatJid);
            if (g.Tasks.Any(t => t.TaskId == taskId)) return;
            g.Tasks.Enqueue(new QueuedTask(taskId, run));
            if (g.State == SlotState.MessageRun) g.Yield?.Cancel(); // an idle conversation yields to the task
            TryStart(chatJid, g);
        }
    }

    /// <summary>From now on: idle runs close at once and failures are not retried (used when input has ended).</summary>
    public void BeginDrain()
    {
        lock (_lock)
        {
            _draining = true;
            CancelRetries();
            foreach (var g in _groups.Values) g.Yield?.Cancel();
            CheckQuiet();
        }
    }

    /// <summary>Completes when nothing runs, waits or is scheduled for retry.</summary>
    public Task WhenQuietAsync()
    {
        lock (_lock)
        {
            if (IsQuiet()) return Task.CompletedTask;
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _quietWaiters.Add(tcs);
            return tcs.Task;
        }
    }

    /// <summary>Asks every run to finish, waits up to <paramref name="grace"/>, then cancels what is left
    /// (runners then destroy their VMs) and waits for that too.</summary>
    public async Task ShutdownAsync(TimeSpan grace)
    {
        lock (_lock)
        {
            _draining = true;
            CancelRetries();
            foreach (var g in _groups.Values) { g.Messages = null; g.Tasks.Clear(); g.Yield?.Cancel(); }
            _waiting.Clear();
        }
        var quiet = WhenQuietAsync();
        if (await Task.WhenAny(quiet, Task.Delay(grace, time)) != quiet)
        {
            LogShutdownCancelling(log, RunningCount);
            await _stopping.CancelAsync();
            await quiet.WaitAsync(TimeSpan.FromSeconds(30), time);
        }
    }

    Group GroupOf(string chatJid) => _groups.TryGetValue(chatJid, out var g) ? g : _groups[chatJid] = new Group();

    static bool HasWork(Group g) => g.Tasks.Count > 0 || (g.Messages is not null && g.RetryTimer is null);

    /// <summary>Starts the group's next run if it has work and a slot is free; else it waits its turn.</summary>
    void TryStart(string chatJid, Group g)
    {
        if (g.State != SlotState.Free || !HasWork(g)) return;
        if (_running >= maxConcurrent || (_waiting.Count > 0 && _waiting.First!.Value != chatJid))
        {
            if (!_waiting.Contains(chatJid)) _waiting.AddLast(chatJid);
            // A group waiting for a slot never waits for another group's conversation that only idles (or a prepared
            // run): those close now, at their next idle if busy.
            YieldIdleRuns();
            return;
        }
        _waiting.Remove(chatJid);
        // Waiting VMs hold memory this run's VM needs: they close now (or at their next idle if busy).
        if (roomForAVm?.Invoke() == false && YieldIdleRuns() > 0) LogYieldingForMemory(log, chatJid);
        // Tasks go before messages: tasks are not re-discovered from the store, messages are.
        if (g.Tasks.TryDequeue(out var task)) StartTask(chatJid, g, task);
        else
        {
            var run = g.Messages!;
            g.Messages = null;
            StartMessageRun(chatJid, g, run);
        }
    }

    /// <summary>Message runs (the only ones that wait) close now if idle or prepared, else at their next idle. The group
    /// being started is not in a message run, so it is never asked.</summary>
    /// <returns>How many were asked.</returns>
    int YieldIdleRuns()
    {
        var asked = 0;
        foreach (var other in _groups.Values.Where(o => o.State == SlotState.MessageRun && o.Yield is { IsCancellationRequested: false }))
        {
            other.Yield!.Cancel();
            asked++;
        }
        return asked;
    }

    void StartMessageRun(string chatJid, Group g, MessageRun run)
    {
        g.State = SlotState.MessageRun;
        g.Yield = new CancellationTokenSource();
        if (_draining || g.Tasks.Count > 0) g.Yield.Cancel();
        _running++;
        var slot = new RunSlot(g.Retries + 1, g.Retries >= MaxRetries || _draining, g.Yield.Token, _stopping.Token);
        _ = Task.Run(async () =>
        {
            var ok = false;
            try { ok = await run(slot); }
            catch (Exception ex) { LogRunCrashed(log, chatJid, ex); }
            lock (_lock)
            {
                if (ok) g.Retries = 0;
                else ScheduleRetry(chatJid, g, run);
                Finish(chatJid, g);
            }
        });
    }

    void StartTask(string chatJid, Group g, QueuedTask task)
    {
        g.State = SlotState.TaskRun;
        _running++;
        _ = Task.Run(async () =>
        {
            try { await task.Run(_stopping.Token); }
            catch (Exception ex) { LogTaskCrashed(log, task.TaskId, chatJid, ex); }
            var prepared = PreparedRunAfterTask?.Invoke(chatJid);
            lock (_lock)
            {
                if (!_draining) g.Prepared = prepared;
                Finish(chatJid, g);
            }
        });
    }

    void Finish(string chatJid, Group g)
    {
        g.State = SlotState.Free;
        g.Yield?.Dispose();
        g.Yield = null;
        _running--;
        var prepared = g.Prepared;
        g.Prepared = null;
        // Fairness: if other groups already wait for a slot, this group goes behind them.
        if (HasWork(g) && _waiting.Count > 0 && !_waiting.Contains(chatJid)) _waiting.AddLast(chatJid);
        else TryStart(chatJid, g);
        while (_running < maxConcurrent && _waiting.First is { } head)
        {
            var next = _groups[head.Value];
            if (next.State != SlotState.Free || !HasWork(next)) { _waiting.RemoveFirst(); continue; }
            TryStart(head.Value, next);
        }
        if (prepared is not null && g.State == SlotState.Free && MayPrepare(g)) StartMessageRun(chatJid, g, prepared);
        CheckQuiet();
    }

    void ScheduleRetry(string chatJid, Group g, MessageRun run)
    {
        if (_draining || _stopping.IsCancellationRequested) { FailedRuns++; return; }
        g.Retries++;
        if (g.Retries > MaxRetries)
        {
            // The run told the chat on its last attempt; the messages wait for the next message in the group.
            LogGaveUp(log, chatJid, MaxRetries);
            g.Retries = 0;
            FailedRuns++;
            return;
        }
        // The retry covers every pending message of the group: messages noted during the failed run wait for it.
        g.Messages = run;
        var delay = BaseRetryDelay * Math.Pow(2, g.Retries - 1);
        LogRetrying(log, chatJid, g.Retries, delay);
        ITimer? timer = null;
        timer = time.CreateTimer(_ =>
        {
            // One critical section (Lock is re-entrant), so nobody sees "quiet" between the two steps.
            lock (_lock)
            {
                if (timer is null || g.RetryTimer != timer) return; // cancelled by drain or shutdown
                timer.Dispose();
                g.RetryTimer = null;
                TryStart(chatJid, g);
                CheckQuiet();
            }
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        g.RetryTimer = timer;
        timer.Change(delay, Timeout.InfiniteTimeSpan); // armed only once registered, so the callback always finds it
    }

    /// <summary>Scheduled retries are dropped and counted as failed; their messages stay stored and are
    /// recovered at the next start.</summary>
    void CancelRetries()
    {
        foreach (var g in _groups.Values.Where(g => g.RetryTimer is not null))
        {
            g.RetryTimer!.Dispose();
            g.RetryTimer = null;
            g.Messages = null;
            FailedRuns++;
        }
    }

    bool IsQuiet() => _running == 0 && _waiting.Count == 0 && _groups.Values.All(g => g.RetryTimer is null && !HasWork(g));

    void CheckQuiet()
    {
        if (!IsQuiet()) return;
        foreach (var w in _quietWaiters) w.TrySetResult();
        _quietWaiters.Clear();
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Error, Message = "Message run for {ChatJid} crashed")]
    static partial void LogRunCrashed(ILogger logger, string chatJid, Exception ex);

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "Task {TaskId} for {ChatJid} crashed")]
    static partial void LogTaskCrashed(ILogger logger, string taskId, string chatJid, Exception ex);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Run for {ChatJid} failed; retry {Attempt} in {Delay}")]
    static partial void LogRetrying(ILogger logger, string chatJid, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 303, Level = LogLevel.Error, Message = "Run for {ChatJid} failed {MaxRetries} retries; the chat was told, and its next message retries")]
    static partial void LogGaveUp(ILogger logger, string chatJid, int maxRetries);

    [LoggerMessage(EventId = 305, Level = LogLevel.Information, Message = "Memory is short for {ChatJid}'s run: runs that only wait (prepared, idle) are closed")]
    static partial void LogYieldingForMemory(ILogger logger, string chatJid);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Shutdown grace over with {Running} runs still going; cancelling them")]
    static partial void LogShutdownCancelling(ILogger logger, int running);
}

/// <summary>Messages fed into a running session: the formatted text and the sequence numbers it covers.</summary>
public sealed record FollowUp(string Text, long FirstSeq, long LastSeq);
