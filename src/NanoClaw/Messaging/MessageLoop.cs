using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NanoClaw.Agent;
using NanoClaw.Storage;
using NanoClaw.Usage;

namespace NanoClaw.Messaging;

/// <summary>
/// From stored messages to runs. Channels call <see cref="Deliver"/>, which stores the message first and wakes
/// the loop; a slow poll is only the safety net. Two cursors (sequence numbers in <c>router_state</c>):
/// <c>last_seen_seq</c>, how far the loop has looked, and <c>agent_seq:&lt;jid&gt;</c>, how far a group's agent
/// has been given messages. The agent cursor moves ahead when a run starts and moves back if the run fails
/// before it sent anything, so no message is lost and no reply is sent twice.
/// </summary>
public sealed partial class MessageLoop
{
    public static readonly TimeSpan SafetyPoll = TimeSpan.FromSeconds(30);

    readonly Database _db;
    readonly GroupQueue _queue;
    readonly Outbox _outbox;
    readonly IAgentRunner _runner;
    readonly ILogger<MessageLoop> _log;
    readonly WakeSignal _wake;
    // Guards every read-modify-write of agent cursors together with follow-up hand-over.
    readonly Lock _cursorLock = new();

    readonly Budgets? _budgets;
    readonly TimeProvider _time;

    public MessageLoop(Database db, GroupQueue queue, Outbox outbox, IAgentRunner runner, TimeProvider time, ILogger<MessageLoop> log, Budgets? budgets = null)
    {
        (_db, _queue, _outbox, _runner, _log, _budgets, _time) = (db, queue, outbox, runner, log, budgets, time);
        _wake = new WakeSignal(time);
        queue.ProcessMessages = ProcessGroupMessagesAsync;
    }

    /// <summary>Stores an inbound message and wakes the loop. False when it was already stored (a redelivery).</summary>
    public bool Deliver(StoredMessage message, string? chatName = null)
    {
        _db.UpsertChat(message.ChatJid, chatName ?? "", message.Timestamp);
        if (_db.StoreMessage(message) is null) return false;
        Wake();
        return true;
    }

    public void Wake() => _wake.Set();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        RecoverPendingMessages();
        while (!cancellationToken.IsCancellationRequested)
        {
            ScanNewMessages();
            try { await _wake.WaitAsync(SafetyPoll, cancellationToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>At start-up: messages stored but never answered (a crash, a restart) get their run now.</summary>
    public void RecoverPendingMessages()
    {
        foreach (var group in _db.RegisteredGroups())
        {
            var pending = _db.MessagesAfter(group.Jid, AgentCursor(group.Jid));
            if (pending.Count > 0 && Trigger.ShouldRespond(group, pending.Select(p => p.Message)))
            {
                LogRecovering(_log, pending.Count, group.Name);
                _queue.EnqueueMessageCheck(group.Jid);
            }
        }
    }

    /// <summary>Looks at everything stored since the last scan: feeds running conversations, queues new runs.</summary>
    public void ScanNewMessages()
    {
        var lastSeen = ReadSeq("last_seen_seq");
        while (true)
        {
            var batch = _db.AllMessagesAfter(lastSeen);
            if (batch.Count == 0) return;
            var groups = _db.RegisteredGroups().ToDictionary(g => g.Jid);
            foreach (var chat in batch.GroupBy(m => m.Message.ChatJid))
            {
                if (!groups.TryGetValue(chat.Key, out var group)) continue; // stored for context/metadata only
                if (!Trigger.ShouldRespond(group, chat.Select(m => m.Message))) continue;
                if (!TryFeedRunningConversation(group.Jid)) _queue.EnqueueMessageCheck(group.Jid);
            }
            lastSeen = batch[^1].Seq;
            _db.SetState("last_seen_seq", lastSeen.ToString());
        }
    }

    bool TryFeedRunningConversation(string chatJid)
    {
        lock (_cursorLock)
        {
            var pending = _db.MessagesAfter(chatJid, AgentCursor(chatJid));
            if (pending.Count == 0) return true; // already handed over
            var followUp = new FollowUp(CatchUpPrompt.Format(pending.Select(p => p.Message)), pending[0].Seq, pending[^1].Seq);
            if (!_queue.TrySendFollowUp(chatJid, followUp)) return false;
            SetAgentCursor(chatJid, followUp.LastSeq);
            return true;
        }
    }

    /// <summary>One message run for a group (called by the queue). True when done; false to retry later.</summary>
    async Task<bool> ProcessGroupMessagesAsync(string chatJid, ChannelReader<FollowUp> followUps, CancellationToken cancellationToken)
    {
        var group = _db.GroupByJid(chatJid);
        if (group is null) return true;
        // Budget gate: an over-budget group's run does not start; its messages stay pending (cursor untouched) for after the reset.
        if (_budgets?.Check(group, _time.GetUtcNow()) is BudgetDecision.Over over) { _budgets.RunRefused(group, over); return true; }

        long previousCursor;
        IReadOnlyList<SequencedMessage> pending;
        lock (_cursorLock)
        {
            previousCursor = AgentCursor(chatJid);
            pending = _db.MessagesAfter(chatJid, previousCursor);
            if (pending.Count == 0 || !Trigger.ShouldRespond(group, pending.Select(p => p.Message))) return true;
            // Ahead of the run: messages arriving meanwhile are fed in as follow-ups, not re-sent later.
            SetAgentCursor(chatJid, pending[^1].Seq);
            _queue.OpenFollowUps(chatJid);
        }

        var request = new AgentRequest(group, CatchUpPrompt.Format(pending.Select(p => p.Message)), _db.GetSession(group.Folder));
        var outputSent = false;
        string? error = null;
        LogRunStarting(_log, group.Name, pending.Count);
        await _outbox.SetTypingAsync(chatJid, true, cancellationToken);
        try
        {
            await foreach (var e in _runner.RunAsync(request, new FollowUpTexts(followUps), cancellationToken))
            {
                switch (e)
                {
                    case AgentEvent.Output o: outputSent |= _outbox.Enqueue(chatJid, o.Text) > 0; break;
                    case AgentEvent.SessionStarted s: _db.SetSession(group.Folder, s.SessionId); break;
                    case AgentEvent.Idle: _queue.NotifyIdle(chatJid); break;
                    case AgentEvent.Failed f: error = f.Error; break;
                    case AgentEvent.Completed: break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { error = "cancelled by shutdown"; }
        catch (Exception ex) { error = ex.Message; LogRunnerThrew(_log, group.Name, ex); }
        await _outbox.SetTypingAsync(chatJid, false, CancellationToken.None);

        lock (_cursorLock)
        {
            _queue.CloseFollowUps(chatJid);
            long? firstUnread = null;
            while (followUps.TryRead(out var left)) firstUnread ??= left.FirstSeq;
            if (error is not null && !outputSent)
            {
                // Nothing reached the user: hand every message of this run to the retry.
                SetAgentCursor(chatJid, previousCursor);
                LogRolledBack(_log, group.Name, error);
                return false;
            }
            if (firstUnread is { } seq)
            {
                // Follow-ups the run never picked up go back to pending and get a run of their own.
                SetAgentCursor(chatJid, Math.Min(AgentCursor(chatJid), seq - 1));
                _queue.EnqueueMessageCheck(chatJid);
            }
        }
        // Output already went out: retrying would answer twice, so the error is only logged.
        if (error is not null) LogFailedAfterOutput(_log, group.Name, error);
        return true;
    }

    long AgentCursor(string chatJid) => ReadSeq("agent_seq:" + chatJid);

    void SetAgentCursor(string chatJid, long seq) => _db.SetState("agent_seq:" + chatJid, seq.ToString());

    long ReadSeq(string key) => long.TryParse(_db.GetState(key), out var v) ? v : 0;

    /// <summary>The runner sees only the text of follow-ups; sequence numbers stay with the loop.</summary>
    sealed class FollowUpTexts(ChannelReader<FollowUp> inner) : ChannelReader<string>
    {
        public override Task Completion => inner.Completion;
        public override bool TryRead(out string item)
        {
            var ok = inner.TryRead(out var f);
            item = f?.Text ?? "";
            return ok;
        }
        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => inner.WaitToReadAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Recovering {Count} unanswered messages in {Group}")]
    static partial void LogRecovering(ILogger logger, int count, string group);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Starting a run for {Group} with {Count} messages")]
    static partial void LogRunStarting(ILogger logger, string group, int count);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Run for {Group} failed before replying ({Error}); its messages will be retried")]
    static partial void LogRolledBack(ILogger logger, string group, string error);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Run for {Group} failed after replying ({Error}); not retried, to avoid a duplicate reply")]
    static partial void LogFailedAfterOutput(ILogger logger, string group, string error);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "The agent runner threw for {Group}")]
    static partial void LogRunnerThrew(ILogger logger, string group, Exception ex);
}
