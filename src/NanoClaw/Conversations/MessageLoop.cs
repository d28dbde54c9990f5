using Microsoft.Extensions.Logging;
using NanoClaw.Outbound;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Usage;

namespace NanoClaw.Conversations;

/// <summary>
/// From stored messages to runs. Channels hand messages to the <see cref="Inbox"/>, which stores each first and wakes
/// the loop; a slow poll is only the safety net. <c>last_seen_seq</c> in <c>router_state</c> is how far the loop has
/// looked; each group's <see cref="Conversation"/> owns the rest (which messages a run holds, follow-ups, idle).
/// </summary>
public sealed partial class MessageLoop
{
    public static readonly TimeSpan SafetyPoll = TimeSpan.FromSeconds(30);

    readonly Database _db;
    readonly GroupQueue _queue;
    readonly Outbox _outbox;
    readonly AgentRunEvents _events;
    readonly TimeProvider _time;
    readonly TimeSpan _idleTimeout;
    readonly ILogger<MessageLoop> _log;
    readonly Inbox _inbox;
    readonly Lock _lock = new();
    readonly Dictionary<string, Conversation> _conversations = new();
    readonly Budgets? _budgets;
    readonly PreparedRuns? _prepared;
    // The groups registered when the host started; one registered since gets its first run prepared.
    readonly HashSet<string> _knownGroups;

    public MessageLoop(Database db, Inbox inbox, GroupQueue queue, Outbox outbox, IAgentRunner runner, TimeProvider time, ILogger<MessageLoop> log, TimeSpan? idleTimeout = null,
        Budgets? budgets = null, PreparedRuns? prepared = null)
    {
        (_db, _inbox, _queue, _outbox, _time, _log, _budgets, _prepared) = (db, inbox, queue, outbox, time, log, budgets, prepared);
        _idleTimeout = idleTimeout ?? TimeSpan.FromMinutes(30);
        _events = new AgentRunEvents(db, runner, log);
        _knownGroups = db.RegisteredGroups().Select(g => g.Jid).ToHashSet(StringComparer.Ordinal);
        if (prepared is not null) queue.PreparedRunAfterTask = chatJid => ConversationOf(chatJid)?.PreparedRun;
    }

    /// <summary>Stores an inbound message and wakes the loop (<see cref="Inbox.Deliver"/>). False when it was already stored.</summary>
    public bool Deliver(StoredMessage message, string? chatName = null) => _inbox.Deliver(message, chatName);

    public void Wake() => _inbox.Arrived.Set();

    /// <summary>Scans for new messages until cancelled. Recovery (<see cref="RecoverPendingMessages"/>) is not done
    /// here but by the host before anything can hand messages over: this loop may start late, after this life's
    /// first run took messages, and recovery would then take that run's hand-over for a dead host's and run it twice.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var firstPass = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            PrepareNewGroups();
            ScanNewMessages();
            if (firstPass) PrepareRecentGroups(); // after the scan: pending messages get their runs first
            firstPass = false;
            try { await _inbox.Arrived.WaitAsync(SafetyPoll, cancellationToken); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>
    /// A group registered while the host runs (by the main group's agent, or <c>groups add</c>) and never run yet gets its
    /// first run prepared (<see cref="PreparedRuns"/>): a fresh session, which claims a warm VM's waiting Claude Code at
    /// once, so the group's first message is answered as fast as a resumed conversation's. Seen within a
    /// <see cref="SafetyPoll"/> (or at the next message anywhere).
    /// </summary>
    void PrepareNewGroups()
    {
        if (_prepared is null) return;
        foreach (var group in _db.RegisteredGroups())
            if (_knownGroups.Add(group.Jid) && _db.GetSession(group.Folder) is null)
                ConversationOf(group.Jid)?.PrepareFirstRun();
    }

    /// <summary>
    /// At start: the groups active within AGENT_PREPARE_MINUTES (their chat's last message) had prepared runs, which the
    /// previous process took with it (its VMs die with it); their next runs are prepared again, most recent first, on the
    /// usual terms (a free slot, nobody waiting, memory), so a restart does not make the next answer slow.
    /// </summary>
    void PrepareRecentGroups()
    {
        if (_prepared is null) return;
        var since = _time.GetUtcNow() - _prepared.Wait;
        var groups = _db.RegisteredGroups().ToDictionary(g => g.Jid, StringComparer.Ordinal);
        foreach (var chat in _db.ListChats().Where(c => c.LastMessageTime >= since))
            if (groups.TryGetValue(chat.Jid, out var group) && _db.GetSession(group.Folder) is not null)
                ConversationOf(chat.Jid)?.PrepareNextRun();
    }

    /// <summary>The group's conversation (one per group for the life of the process), or null for an unregistered chat.</summary>
    public Conversation? ConversationOf(string chatJid)
    {
        lock (_lock)
        {
            if (_conversations.TryGetValue(chatJid, out var c)) return c;
            if (_db.GroupByJid(chatJid) is null) return null;
            return _conversations[chatJid] = new Conversation(chatJid, _db, _queue, _outbox, _events, _budgets, _time, _idleTimeout, _prepared, _log);
        }
    }

    /// <summary>
    /// At start-up, settles what a previous process left: hand-overs whose reply is in the outbox are done (the outbox
    /// sends what is left; nothing is run twice); hand-overs nobody answered go back to pending and are run again, once:
    /// if the host dies over the same messages a second time they are given up (the chat is told; writing again
    /// retries), so a message that kills the host cannot loop. Then every group with unanswered messages gets a run.
    /// </summary>
    public void RecoverPendingMessages()
    {
        var answered = _db.MessageRunsIn(MessageRunState.OutputSent);
        _db.SetMessageRunState(answered.Select(r => r.Id), MessageRunState.OutputSent, MessageRunState.Done);
        foreach (var chat in _db.MessageRunsIn(MessageRunState.Started).GroupBy(r => r.ChatJid))
        {
            var runs = chat.OrderBy(r => r.FirstSeq).ToList();
            var group = _db.GroupByJid(chat.Key);
            if (runs.Any(r => r.Attempts >= 2) && group is not null)
            {
                // Past them, so the pending scan below does not run them a third time.
                _db.ReturnMessages(chat.Key, runs.Select(r => r.Id), MessageRunState.Failed, Math.Max(_db.AgentCursor(chat.Key), runs[^1].LastSeq));
                LogDiedTwice(_log, group.Name);
                GiveUpNotice.Send(_db, _outbox, group, "the host stopped twice while answering the same messages");
                continue;
            }
            _db.ReturnMessages(chat.Key, runs.Select(r => r.Id), MessageRunState.Crashed, runs[0].FirstSeq - 1);
            LogInterrupted(_log, runs.Count, chat.Key);
        }
        foreach (var group in _db.RegisteredGroups())
        {
            var pending = _db.MessagesAfter(group.Jid, _db.AgentCursor(group.Jid));
            if (pending.Count > 0 && Trigger.ShouldRespond(group, pending.Select(p => p.Message)))
            {
                LogRecovering(_log, pending.Count, group.Name);
                ConversationOf(group.Jid)?.RequestRun();
            }
        }
    }

    /// <summary>Looks at everything stored since the last scan: feeds running conversations, queues new runs.</summary>
    public void ScanNewMessages()
    {
        var lastSeen = long.TryParse(_db.GetState("last_seen_seq"), out var v) ? v : 0;
        while (true)
        {
            var batch = _db.AllMessagesAfter(lastSeen);
            if (batch.Count == 0) return;
            var groups = _db.RegisteredGroups().ToDictionary(g => g.Jid);
            foreach (var chat in batch.GroupBy(m => m.Message.ChatJid))
            {
                if (!groups.TryGetValue(chat.Key, out var group)) continue; // stored for context/metadata only
                if (!Trigger.ShouldRespond(group, chat.Select(m => m.Message))) continue;
                if (ConversationOf(group.Jid) is { } conversation && !conversation.TryFeed()) conversation.RequestRun();
            }
            lastSeen = batch[^1].Seq;
            _db.SetState("last_seen_seq", lastSeen.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Recovering {Count} unanswered messages in {Group}")]
    static partial void LogRecovering(ILogger logger, int count, string group);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "The host stopped during a run in {ChatJid} before {Count} hand-over(s) were answered; they are run again")]
    static partial void LogInterrupted(ILogger logger, int count, string chatJid);

    [LoggerMessage(EventId = 107, Level = LogLevel.Error, Message = "The host stopped twice while answering the same messages in {Group}; giving up on them, the chat is told")]
    static partial void LogDiedTwice(ILogger logger, string group);
}
