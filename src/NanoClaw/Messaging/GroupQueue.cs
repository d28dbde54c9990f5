using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace NanoClaw.Messaging;

/// <summary>
/// Decides when runs start. Invariants: at most one run per group; at most <c>maxConcurrent</c> runs overall;
/// groups waiting for a slot are served first come, first served; within a group, queued tasks go before
/// messages (tasks are not re-discovered from the store, messages are). Messages that arrive while a group's
/// message run is going are fed into it as follow-ups instead of waiting.
/// </summary>
public sealed partial class GroupQueue(int maxConcurrent, TimeSpan idleTimeout, TimeProvider time, ILogger<GroupQueue> log)
{
    public const int MaxRetries = 5;
    static readonly TimeSpan BaseRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>Processes a group's pending messages; true when done (or nothing to do), false to retry later.</summary>
    public delegate Task<bool> MessageRun(string chatJid, ChannelReader<FollowUp> followUps, CancellationToken cancellationToken);

    sealed class GroupState
    {
        public bool Active;
        public bool ActiveIsTask;
        public bool PendingMessages;
        public readonly Queue<QueuedTask> PendingTasks = new();
        public Channel<FollowUp>? FollowUps;
        // False until the run has taken its own messages; before that, new messages are the run's prompt, not follow-ups.
        public bool AcceptingFollowUps;
        public bool Idle;
        public ITimer? IdleTimer;
        public int Retries;
    }

    sealed record QueuedTask(string TaskId, Func<CancellationToken, Task> Run);

    readonly Lock _lock = new();
    readonly Dictionary<string, GroupState> _groups = new();
    readonly LinkedList<string> _waiting = new();
    readonly CancellationTokenSource _stopping = new();
    readonly List<TaskCompletionSource> _quietWaiters = new();
    int _running;
    readonly HashSet<ITimer> _retryTimers = [];
    bool _draining;
    MessageRun? _processMessages;

    /// <summary>Runs that ended in failure with no retry left (counted while draining, when nothing is retried).</summary>
    public int FailedRuns { get; private set; }

    public int RunningCount { get { lock (_lock) return _running; } }

    /// <summary>Set once by the message loop: what a message run does.</summary>
    public MessageRun ProcessMessages
    {
        set { if (Interlocked.CompareExchange(ref _processMessages, value, null) is not null) throw new InvalidOperationException("ProcessMessages is already set."); }
    }

    public void EnqueueMessageCheck(string chatJid)
    {
        lock (_lock)
        {
            var s = State(chatJid);
            if (s.Active || _running >= maxConcurrent)
            {
                s.PendingMessages = true;
                if (!s.Active) AddWaiting(chatJid);
                return;
            }
            StartMessageRun(chatJid, s);
        }
    }

    /// <summary>Queues a scheduled task's run for the group. A task already queued is not queued twice.</summary>
    public void EnqueueTask(string chatJid, string taskId, Func<CancellationToken, Task> run)
    {
        lock (_lock)
        {
            var s = State(chatJid);
            if (s.PendingTasks.Any(t => t.TaskId == taskId)) return;
            if (s.Active || _running >= maxConcurrent)
            {
                s.PendingTasks.Enqueue(new QueuedTask(taskId, run));
                if (s.Active && s.Idle) CloseFollowUps(s); // an idle conversation yields to the task
                if (!s.Active) AddWaiting(chatJid);
                return;
            }
            StartTask(chatJid, s, new QueuedTask(taskId, run));
        }
    }

    /// <summary>Feeds text into the group's running message run. False when there is none to take it.</summary>
    public bool TrySendFollowUp(string chatJid, FollowUp followUp)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(chatJid, out var s) || !s.Active || s.ActiveIsTask || s.FollowUps is null || !s.AcceptingFollowUps) return false;
            if (!s.FollowUps.Writer.TryWrite(followUp)) return false;
            s.Idle = false;
            s.IdleTimer?.Dispose();
            s.IdleTimer = null;
            return true;
        }
    }

    /// <summary>The run finished a turn. It is closed now if work waits for the group (or we are draining),
    /// else after the idle timeout unless a follow-up arrives first.</summary>
    public void NotifyIdle(string chatJid)
    {
        lock (_lock)
        {
            if (!_groups.TryGetValue(chatJid, out var s) || !s.Active) return;
            s.Idle = true;
            s.IdleTimer?.Dispose();
            if (_draining || s.PendingTasks.Count > 0) { CloseFollowUps(s); return; }
            s.IdleTimer = time.CreateTimer(_ => { lock (_lock) if (s.Idle) CloseFollowUps(s); }, null, idleTimeout, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Called by the run once it has claimed its messages: from now on new messages are fed into it.</summary>
    public void OpenFollowUps(string chatJid)
    {
        lock (_lock) if (_groups.TryGetValue(chatJid, out var s) && s.Active && !s.ActiveIsTask && s.FollowUps is not null) s.AcceptingFollowUps = true;
    }

    /// <summary>Stops feeding the group's run: later messages wait for the next run.</summary>
    public void CloseFollowUps(string chatJid)
    {
        lock (_lock) if (_groups.TryGetValue(chatJid, out var s)) CloseFollowUps(s);
    }

    /// <summary>From now on: idle runs close at once and failures are not retried (used when input has ended).</summary>
    public void BeginDrain()
    {
        lock (_lock)
        {
            _draining = true;
            CancelRetries();
            foreach (var s in _groups.Values.Where(s => s.Idle)) CloseFollowUps(s);
            CheckQuiet();
        }
    }

    /// <summary>Scheduled retries are dropped and counted as failed; their messages stay stored and are
    /// recovered at the next start.</summary>
    void CancelRetries()
    {
        foreach (var timer in _retryTimers) timer.Dispose();
        FailedRuns += _retryTimers.Count;
        _retryTimers.Clear();
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
            foreach (var s in _groups.Values) { s.PendingMessages = false; s.PendingTasks.Clear(); CloseFollowUps(s); }
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

    GroupState State(string chatJid) =>
        _groups.TryGetValue(chatJid, out var s) ? s : _groups[chatJid] = new GroupState();

    void AddWaiting(string chatJid)
    {
        if (!_waiting.Contains(chatJid)) _waiting.AddLast(chatJid);
    }

    void StartMessageRun(string chatJid, GroupState s)
    {
        var run = _processMessages ?? throw new InvalidOperationException("GroupQueue.ProcessMessages was never set.");
        s.Active = true;
        s.ActiveIsTask = false;
        s.PendingMessages = false;
        s.Idle = false;
        s.FollowUps = Channel.CreateUnbounded<FollowUp>(new UnboundedChannelOptions { SingleReader = true });
        _running++;
        var followUps = s.FollowUps.Reader;
        _ = Task.Run(async () =>
        {
            var ok = false;
            try { ok = await run(chatJid, followUps, _stopping.Token); }
            catch (Exception ex) { LogRunCrashed(log, chatJid, ex); }
            lock (_lock)
            {
                if (ok) s.Retries = 0;
                else ScheduleRetry(chatJid, s);
                Finish(chatJid, s);
            }
        });
    }

    void StartTask(string chatJid, GroupState s, QueuedTask task)
    {
        s.Active = true;
        s.ActiveIsTask = true;
        s.Idle = false;
        _running++;
        _ = Task.Run(async () =>
        {
            try { await task.Run(_stopping.Token); }
            catch (Exception ex) { LogTaskCrashed(log, task.TaskId, chatJid, ex); }
            lock (_lock) Finish(chatJid, s);
        });
    }

    void Finish(string chatJid, GroupState s)
    {
        s.Active = false;
        s.Idle = false;
        s.IdleTimer?.Dispose();
        s.IdleTimer = null;
        s.FollowUps?.Writer.TryComplete();
        s.FollowUps = null;
        s.AcceptingFollowUps = false;
        _running--;

        var hasWork = s.PendingTasks.Count > 0 || s.PendingMessages;
        // Fairness: if other groups already wait for a slot, this group goes behind them.
        if (hasWork && _waiting.Count > 0) AddWaiting(chatJid);
        else if (hasWork) StartNext(chatJid, s);
        while (_running < maxConcurrent && _waiting.First is { } head)
        {
            _waiting.RemoveFirst();
            var next = _groups[head.Value];
            if (!next.Active) StartNext(head.Value, next);
        }
        CheckQuiet();
    }

    void StartNext(string chatJid, GroupState s)
    {
        if (s.PendingTasks.TryDequeue(out var task)) StartTask(chatJid, s, task);
        else if (s.PendingMessages) StartMessageRun(chatJid, s);
    }

    void ScheduleRetry(string chatJid, GroupState s)
    {
        // The retry covers every pending message of the group: a "pending" flag set during the failed run
        // must not start an immediate rerun that skips the backoff.
        s.PendingMessages = false;
        if (_draining || _stopping.IsCancellationRequested) { FailedRuns++; return; }
        s.Retries++;
        if (s.Retries > MaxRetries)
        {
            // The messages stay stored with the cursor before them: the next message in the group retries them.
            LogGaveUp(log, chatJid, MaxRetries);
            s.Retries = 0;
            FailedRuns++;
            return;
        }
        var delay = BaseRetryDelay * Math.Pow(2, s.Retries - 1);
        LogRetrying(log, chatJid, s.Retries, delay);
        ITimer? timer = null;
        timer = time.CreateTimer(_ =>
        {
            // One critical section (Lock is re-entrant), so nobody sees "quiet" between the two steps.
            lock (_lock)
            {
                if (timer is null || !_retryTimers.Remove(timer)) return; // cancelled by drain or shutdown
                timer.Dispose();
                EnqueueMessageCheck(chatJid);
                CheckQuiet();
            }
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _retryTimers.Add(timer);
        timer.Change(delay, Timeout.InfiniteTimeSpan); // armed only once registered, so the callback always finds it
    }

    static void CloseFollowUps(GroupState s)
    {
        s.AcceptingFollowUps = false;
        s.Idle = false;
        s.IdleTimer?.Dispose();
        s.IdleTimer = null;
        s.FollowUps?.Writer.TryComplete();
    }

    bool IsQuiet() => _running == 0 && _waiting.Count == 0 && _retryTimers.Count == 0
        && _groups.Values.All(s => !s.PendingMessages && s.PendingTasks.Count == 0);

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

    [LoggerMessage(EventId = 303, Level = LogLevel.Error, Message = "Run for {ChatJid} failed {MaxRetries} retries; giving up until the next message")]
    static partial void LogGaveUp(ILogger logger, string chatJid, int maxRetries);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Shutdown grace over with {Running} runs still going; cancelling them")]
    static partial void LogShutdownCancelling(ILogger logger, int running);
}

/// <summary>Messages fed into a running session: the formatted text and the sequence numbers it covers.</summary>
public sealed record FollowUp(string Text, long FirstSeq, long LastSeq);
