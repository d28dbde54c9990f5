using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NanoClaw.Outbound;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Usage;

namespace NanoClaw.Conversations;

/// <summary>
/// The one owner of a group's conversation: which of its messages a run holds (durable hand-overs in
/// <c>message_runs</c>, written together with the <c>agent_seq:&lt;jid&gt;</c> cursor), its follow-ups, its idle timer
/// and its <see cref="ConversationState"/>. The queue only gives it a slot (<see cref="RunAsync"/>).
/// <para>
/// Crash safety: messages are handed over (cursor past them) in the same transaction that records the hand-over as
/// <c>started</c>; the first reply of a turn marks the hand-overs that turn answers <c>output_sent</c> (the reply is
/// then in the durable outbox). So after a crash, <see cref="MessageLoop.RecoverPendingMessages"/> knows exactly which
/// messages nobody answered (still <c>started</c>) and hands them out again; answered ones are never run twice.
/// </para>
/// </summary>
public sealed partial class Conversation
{
    readonly string _chatJid;
    readonly Database _db;
    readonly GroupQueue _queue;
    readonly Outbox _outbox;
    readonly AgentRunEvents _events;
    readonly Budgets? _budgets;
    readonly TimeProvider _time;
    readonly TimeSpan _idleTimeout;
    readonly PreparedRuns? _prepared;
    readonly ILogger _log;
    readonly Lock _lock = new();

    // One run's hand-overs, in order. A prefix is "covered" (in or before the turn the session works on); output
    // answers the covered ones. A follow-up fed mid-turn is taken up by the session after that turn's idle.
    readonly List<HandOver> _handOvers = [];
    sealed class HandOver(MessageRun run, RunMessage message)
    {
        public MessageRun Run { get; } = run;
        /// <summary>What the session gets: the catch-up text and the messages' stored attachments, which it lacks.</summary>
        public RunMessage Message { get; } = message;
        public bool Covered, Answered, Read;
    }

    ConversationState _state = ConversationState.Quiet;
    Channel<HandOver>? _followUps;
    ITimer? _idleTimer;
    // Set while the run is a prepared one that has taken no message yet: the stamp of the inputs it was built from.
    string? _preparedStamp;

    internal Conversation(string chatJid, Database db, GroupQueue queue, Outbox outbox, AgentRunEvents events, Budgets? budgets, TimeProvider time,
        TimeSpan idleTimeout, PreparedRuns? prepared, ILogger log) =>
        (_chatJid, _db, _queue, _outbox, _events, _budgets, _time, _idleTimeout, _prepared, _log) = (chatJid, db, queue, outbox, events, budgets, time, idleTimeout, prepared, log);

    public string ChatJid => _chatJid;

    public ConversationState State { get { lock (_lock) return _state; } }

    /// <summary>Feeds the group's pending messages into its running session. False when no run can take them now
    /// (then they wait for the next run); true when they were fed, or nothing was pending.</summary>
    public bool TryFeed()
    {
        var startsTurn = false;
        lock (_lock)
        {
            if (!TryFeedLocked(ref startsTurn)) return false;
        }
        // A waiting session (idle, or a prepared run) starts its turn now: show that the assistant is on it, as a run's
        // start does. Fire and forget: the outbox only logs a failed indicator.
        if (startsTurn) _ = _outbox.SetTypingAsync(ChatJid, true, CancellationToken.None);
        return true;
    }

    /// <param name="startsTurn">Set when the fed messages start the session's next turn (it was waiting).</param>
    bool TryFeedLocked(ref bool startsTurn)
    {
        if (_state is not (ConversationState.Busy or ConversationState.Idle) || _followUps is null) return false;
        var pending = _db.MessagesAfter(ChatJid, _db.AgentCursor(ChatJid));
        if (pending.Count == 0) return true; // already handed over
        // Files the messages brought were stored after the session's workspace was sent: they go in with the text.
        var files = pending.Select(p => p.Message.Attachment?.RelativePath).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (_preparedStamp is { } stamp)
        {
            // A prepared run takes its first message only if what it was built from is still what the host holds
            // (files edited, settings or session changed since; the message's own files aside, they go in with it):
            // else it closes and the message gets a fresh run.
            if (_db.GroupByJid(ChatJid) is not { } group || _prepared?.InputsStamp(group, files) != stamp)
            {
                LogPreparedStale(_log, ChatJid);
                Close();
                return false;
            }
            _preparedStamp = null;
        }
        var handOver = new HandOver(_db.TakeMessages(ChatJid, pending[0].Seq, pending[^1].Seq, _time.GetUtcNow()),
            new RunMessage(CatchUpPrompt.Format(pending.Select(p => p.Message), _db.GroupByJid(ChatJid)?.TriggerPattern), files));
        _handOvers.Add(handOver);
        _followUps.Writer.TryWrite(handOver);
        if (_state == ConversationState.Idle)
        {
            // The session was waiting: this follow-up starts its next turn at once.
            handOver.Covered = true;
            _state = ConversationState.Busy;
            _idleTimer?.Dispose();
            _idleTimer = null;
            startsTurn = true;
        }
        return true;
    }

    /// <summary>Asks the queue for a slot for the group's pending messages.</summary>
    public void RequestRun() => _queue.EnqueueMessages(ChatJid, RunAsync);

    /// <summary>One message run in the slot the queue gave: takes the pending messages, runs the agent, settles the
    /// hand-overs. True when done (or nothing to do); false for the queue to retry later.</summary>
    public Task<bool> RunAsync(RunSlot slot) => RunAsync(slot, prepare: false);

    /// <summary>The group's next run, started before its next message (<see cref="PreparedRuns"/>); if messages are
    /// already pending, a plain message run.</summary>
    Task<bool> PreparedRunAsync(RunSlot slot) => RunAsync(slot, prepare: true);

    /// <summary>The group's next run prepared (resuming its session), for after a scheduled task's run; null when prepared
    /// runs are off.</summary>
    public GroupQueue.MessageRun? PreparedRun => _prepared is null ? null : PreparedRunAsync;

    /// <summary>The group's next run (resuming its session), prepared now if a slot is free and nothing else wants one.</summary>
    public void PrepareNextRun() => _queue.PrepareNow(ChatJid, PreparedRunAsync);

    /// <summary>A new group's first run, prepared now (a fresh session) if a slot is free and nothing else wants one.</summary>
    public void PrepareFirstRun() => _queue.PrepareNow(ChatJid, slot => RunAsync(slot, prepare: true, firstRun: true));

    /// <param name="firstRun">A prepared run of a group that has no session yet: it starts a fresh one. Otherwise a run
    /// is prepared only to resume a session (a run that made none must not prepare runs for ever).</param>
    async Task<bool> RunAsync(RunSlot slot, bool prepare, bool firstRun = false)
    {
        // Read per run: the group's settings (trigger, extra folders) may have changed since the last one.
        if (_db.GroupByJid(ChatJid) is not { } group) return true;
        IReadOnlyList<SequencedMessage> pending;
        AgentRequest request;
        lock (_lock)
        {
            pending = _db.MessagesAfter(ChatJid, _db.AgentCursor(ChatJid));
            var answer = pending.Count > 0 && Trigger.ShouldRespond(group, pending.Select(p => p.Message));
            if (!answer && !prepare) return true;
            // Budget gate: an over-budget group's run does not start; its messages stay pending (nothing handed over) for
            // after the reset. Only here, with a run to refuse: a slot with nothing to run (the one right after the run that
            // crossed the limit, or chatter without the trigger) must not use up the told-once notice, or the next message
            // for the assistant gets silence. (The notice is only stored and queued: nothing here waits.)
            if (_budgets?.Check(group, _time.GetUtcNow()) is BudgetDecision.Over over)
            {
                if (answer) _budgets.RunRefused(group, over);
                return true;
            }
            string? session = null, stamp = null;
            // Prepared: a session to resume (or a new group's first one), and only with inputs that can be checked when
            // the message comes.
            if (!answer && (_prepared is null || slot.Yield.IsCancellationRequested || ((session = _db.GetSession(group.Folder)) is null && !firstRun)
                || !_prepared.HasRoom() || (stamp = _prepared.InputsStamp(group, [])) is null)) return true;
            _handOvers.Clear();
            _followUps = Channel.CreateUnbounded<HandOver>(new UnboundedChannelOptions { SingleReader = true });
            if (answer)
            {
                _handOvers.Add(new HandOver(_db.TakeMessages(ChatJid, pending[0].Seq, pending[^1].Seq, _time.GetUtcNow()), RunMessage.TextOnly("")) { Covered = true, Read = true });
                _state = ConversationState.Busy;
                request = new AgentRequest(group, CatchUpPrompt.Format(pending.Select(p => p.Message), group.TriggerPattern), _db.GetSession(group.Folder));
            }
            else
            {
                _preparedStamp = stamp;
                _state = ConversationState.Idle;
                _idleTimer = _time.CreateTimer(_ => { lock (_lock) if (_state == ConversationState.Idle) Close(); }, null, _prepared!.Wait, Timeout.InfiniteTimeSpan);
                request = new AgentRequest(group, "", session, Prepared: true);
            }
        }
        using var yield = slot.Yield.Register(() => { lock (_lock) if (_state == ConversationState.Idle) Close(); });

        if (request.Prepared) LogPreparing(_log, group.Name, _prepared!.Wait.TotalMinutes);
        else LogRunStarting(_log, group.Name, pending.Count);
        if (!request.Prepared) await _outbox.SetTypingAsync(ChatJid, true, slot.Stopping);
        var outcome = await _events.RunAsync(request, new FollowUpMessages(this, _followUps.Reader), storeSession: true,
            QueueOutput, () => OnIdle(slot), slot.Stopping);
        bool tookMessages;
        lock (_lock) tookMessages = _handOvers.Count > 0;
        if (tookMessages) await _outbox.SetTypingAsync(ChatJid, false, CancellationToken.None);
        var (result, runAgain) = Settle(group, outcome, slot);
        // Outside the lock: the queue runs yield callbacks (which take it) under its own lock.
        if (runAgain) RequestRun();
        // A run that answered prepares the next one; a prepared run that waited in vain does not (it would go on for ever).
        else if (_prepared is not null && result && tookMessages && outcome.Error is null && !outcome.Cancelled)
            _queue.PrepareAfterRun(ChatJid, PreparedRunAsync);
        return result;
    }

    /// <summary>Queues a reply; the hand-overs it answers become <c>output_sent</c> in the same transaction (a crash
    /// between the two would otherwise run answered messages again and send a second reply).</summary>
    bool QueueOutput(string text)
    {
        lock (_lock)
        {
            var answered = _handOvers.Where(h => h.Covered && !h.Answered).ToList();
            if (_outbox.Enqueue(ChatJid, text, [.. answered.Select(h => h.Run.Id)]) == 0) return false; // e.g. only <internal> text
            foreach (var h in answered) h.Answered = true;
            return true;
        }
    }

    void OnIdle(RunSlot slot)
    {
        lock (_lock)
        {
            if (_state != ConversationState.Busy) return;
            if (_handOvers.Any(h => h.Read && !h.Covered))
            {
                // Follow-ups fed during the turn: the session takes them up now, as its next turn.
                foreach (var h in _handOvers.Where(h => h.Read)) h.Covered = true;
                return;
            }
            _state = ConversationState.Idle;
            _idleTimer?.Dispose();
            if (slot.Yield.IsCancellationRequested) { Close(); return; }
            _idleTimer = _time.CreateTimer(_ => { lock (_lock) if (_state == ConversationState.Idle) Close(); }, null, _idleTimeout, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Stops feeding the run: later messages wait for the next run.</summary>
    void Close()
    {
        _state = ConversationState.Closing;
        _preparedStamp = null;
        _idleTimer?.Dispose();
        _idleTimer = null;
        _followUps?.Writer.TryComplete();
    }

    /// <summary>
    /// After the run: answered hand-overs are done. The unanswered ones (always the last ones) go back to pending with
    /// the cursor before them: on success only those the session never got to, on failure all of them, for the
    /// queue's retry; on the last attempt they are given up and the chat is told.
    /// </summary>
    (bool Done, bool RunAgain) Settle(RegisteredGroup group, AgentRunOutcome outcome, RunSlot slot)
    {
        lock (_lock)
        {
            Close();
            _state = ConversationState.Quiet;
            _followUps = null;
            var done = outcome.Error is null
                ? _handOvers.TakeWhile(h => h.Covered && h.Read).ToList()
                : _handOvers.TakeWhile(h => h.Answered).ToList();
            var back = _handOvers.Skip(done.Count).ToList();
            _handOvers.Clear();
            _db.SetMessageRunState(done.Select(h => h.Run.Id), MessageRunState.Started, MessageRunState.Done);
            _db.SetMessageRunState(done.Select(h => h.Run.Id), MessageRunState.OutputSent, MessageRunState.Done);
            if (outcome.Error is not null && done.Count > 0 && back.Count == 0) LogFailedAfterOutput(_log, group.Name, outcome.Error);
            if (back.Count == 0) return (true, false);

            var cursor = back[0].Run.FirstSeq - 1;
            if (outcome.Error is null)
            {
                // Follow-ups the session never took up get a run of their own.
                _db.ReturnMessages(ChatJid, back.Select(h => h.Run.Id), MessageRunState.Retried, cursor);
                return (true, true);
            }
            if (slot.IsLastAttempt && !outcome.Cancelled && !slot.Stopping.IsCancellationRequested)
            {
                // The messages stay stored with the cursor before them: writing again retries them.
                _db.ReturnMessages(ChatJid, back.Select(h => h.Run.Id), MessageRunState.Failed, cursor);
                LogGaveUp(_log, group.Name, slot.Attempt, outcome.Error);
                GiveUpNotice.Send(_db, _outbox, group, $"the run failed {slot.Attempt} times in a row");
                return (false, false);
            }
            _db.ReturnMessages(ChatJid, back.Select(h => h.Run.Id), MessageRunState.Retried, cursor);
            LogRolledBack(_log, group.Name, outcome.Error);
            return (false, false);
        }
    }

    /// <summary>The runner sees only the text and files of follow-ups; what it has read is what the session got.</summary>
    sealed class FollowUpMessages(Conversation owner, ChannelReader<HandOver> inner) : ChannelReader<RunMessage>
    {
        public override Task Completion => inner.Completion;
        public override bool TryRead(out RunMessage item)
        {
            lock (owner._lock)
            {
                var ok = inner.TryRead(out var h);
                if (h is not null) h.Read = true;
                item = h?.Message ?? RunMessage.TextOnly("");
                return ok;
            }
        }
        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => inner.WaitToReadAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Starting a run for {Group} with {Count} messages")]
    static partial void LogRunStarting(ILogger logger, string group, int count);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Run for {Group} failed before replying ({Error}); its messages will be retried")]
    static partial void LogRolledBack(ILogger logger, string group, string error);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Run for {Group} failed after replying ({Error}); not retried, to avoid a duplicate reply")]
    static partial void LogFailedAfterOutput(ILogger logger, string group, string error);

    [LoggerMessage(EventId = 108, Level = LogLevel.Information, Message = "Preparing the next run for {Group}: it waits up to {Minutes} min for the group's next message")]
    static partial void LogPreparing(ILogger logger, string group, double minutes);

    [LoggerMessage(EventId = 109, Level = LogLevel.Information, Message = "The prepared run for {ChatJid} is out of date (files, settings or session changed): closed; the message gets a new run")]
    static partial void LogPreparedStale(ILogger logger, string chatJid);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "Run for {Group} failed on attempt {Attempt} ({Error}); giving up, the chat is told")]
    static partial void LogGaveUp(ILogger logger, string group, int attempt, string error);
}
