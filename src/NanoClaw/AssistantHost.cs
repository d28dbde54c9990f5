using Microsoft.Extensions.Logging;
using NanoClaw.Channels;
using NanoClaw.Conversations;
using NanoClaw.Media;
using NanoClaw.Outbound;
using NanoClaw.Runs;
using NanoClaw.Scheduling;
using NanoClaw.Storage;
using NanoClaw.Usage;

namespace NanoClaw;

/// <summary>
/// The running assistant: channels -> store -> message loop -> group queue -> agent runner -> outbox -> channels.
/// Owns the background loops and stops them with a bounded grace period.
/// </summary>
public sealed class AssistantHost : IAsyncDisposable
{
    readonly CancellationTokenSource _stop = new();
    readonly List<Task> _loops = [];

    public Database Db { get; }
    public GroupQueue Queue { get; }
    public Outbox Outbox { get; }
    /// <summary>Files the agent sends (<c>send_message</c> with an attachment), into the outbox after each sync.</summary>
    public Files.OutboundFiles Files { get; }
    public MessageLoop Loop { get; }
    public Scheduler Scheduler { get; }
    /// <summary>The task API (agent tools, CLI): changes made through it wake the scheduler.</summary>
    public TaskService Tasks { get; }
    /// <summary>The budget gate of run starts; the same one the gateway's meter uses when runs go through one.</summary>
    public Budgets Budgets { get; }
    /// <summary>Where channels turn inbound files into attachments (stored in the group's <c>media/</c>, voice notes transcribed).</summary>
    public InboundMedia Media { get; }
    /// <summary>What the channels were given: inbound delivery, "connected again", media.</summary>
    public ChannelInbound Inbound { get; }
    public IReadOnlyList<IChannel> Channels { get; }
    readonly MediaPruner _pruner;

    /// <summary>The host around parts built first (<see cref="AssistantParts.Build"/>) and the runner made after them.</summary>
    public AssistantHost(AssistantParts parts, IAgentRunner runner)
    {
        var (config, time, logs) = (parts.Config, parts.Time, parts.Logs);
        (Db, Outbox, Files, Budgets, Tasks, Media, Inbound, Channels, _pruner) =
            (parts.Db, parts.Outbox, parts.Files, parts.Budgets, parts.Tasks, parts.Media, parts.Inbound, parts.Channels, parts.Pruner);
        var prepared = PreparedRuns.For(config, Db);
        Queue = new GroupQueue(config.MaxConcurrentAgents, time, logs.CreateLogger<GroupQueue>(), prepared?.HasRoom);
        Loop = new MessageLoop(Db, parts.Inbox, Queue, Outbox, runner, time, logs.CreateLogger<MessageLoop>(), config.AgentIdleTimeout, Budgets, prepared);
        Scheduler = new Scheduler(Db, Queue, Outbox, runner, parts.TaskChanges, config.TimeZone, time, logs.CreateLogger<Scheduler>(), Budgets);
    }

    /// <summary>With channels made from what they hand things to (the real ones), and a runner that needs no tools (tests).</summary>
    public AssistantHost(Config config, Database db, Func<ChannelInbound, IReadOnlyList<IChannel>> channels, IAgentRunner runner, TimeProvider time, ILoggerFactory logs,
        ITranscriber? transcriber = null)
        : this(AssistantParts.Build(config, db, channels, time, logs, transcriber), runner) { }

    /// <summary>With channels that take nothing in (test stand-ins), and a runner that needs no tools.</summary>
    public AssistantHost(Config config, Database db, IReadOnlyList<IChannel> channels, IAgentRunner runner, TimeProvider time, ILoggerFactory logs,
        ITranscriber? transcriber = null)
        : this(config, db, _ => channels, runner, time, logs, transcriber) { }

    public void Start()
    {
        // Before any loop or channel can hand messages over: what is still "started" now is a dead host's.
        Loop.RecoverPendingMessages();
        _pruner.Start();
        _loops.Add(Task.Run(() => Loop.RunAsync(_stop.Token)));
        _loops.Add(Task.Run(() => Outbox.RunAsync(_stop.Token)));
        _loops.Add(Task.Run(() => Scheduler.RunAsync(_stop.Token)));
    }

    /// <summary>Lets runs finish (up to <paramref name="grace"/>, then cancels them), sends what is due, stops the loops.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        await Queue.ShutdownAsync(grace);
        await Outbox.DeliverDueAsync(CancellationToken.None);
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync(TimeSpan.FromSeconds(10));
        await _pruner.DisposeAsync();
        _stop.Dispose();
    }
}
