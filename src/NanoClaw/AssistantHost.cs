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
    public TaskService Tasks => Scheduler.Tasks;

    /// <summary>The budget gate of run starts; shared with the gateway's meter when runs go through one.</summary>
    public Budgets Budgets { get; }

    /// <param name="budgets">The gateway's (<see cref="NanoClaw.Usage.UsageMeter.Budgets"/>) when there is one, so both tell once; else a new one.</param>
    /// <summary>Where channels turn inbound files into attachments (stored in the group's <c>media/</c>, voice notes transcribed).</summary>
    public InboundMedia Media { get; }
    readonly MediaPruner _pruner;

    public AssistantHost(Config config, Database db, IReadOnlyList<IChannel> channels, IAgentRunner runner, TimeProvider time, ILoggerFactory logs,
        Budgets? budgets = null, ITranscriber? transcriber = null)
    {
        Db = db;
        var mediaStore = new MediaStore(config.GroupsDir, config.MediaMaxBytes, time);
        Media = new InboundMedia(mediaStore, transcriber, logs.CreateLogger<InboundMedia>());
        _pruner = new MediaPruner(mediaStore, config.MediaKeepDays, time, logs.CreateLogger<MediaPruner>());
        Queue = new GroupQueue(config.MaxConcurrentAgents, time, logs.CreateLogger<GroupQueue>());
        Outbox = new Outbox(db, channels, config, time, logs.CreateLogger<Outbox>());
        Files = new Files.OutboundFiles(Outbox, config, time, logs.CreateLogger<Files.OutboundFiles>());
        Budgets = budgets ?? new Budgets(db, config.TimeZone, time, logs.CreateLogger<Budgets>());
        Budgets.Attach(Outbox);
        Loop = new MessageLoop(db, Queue, Outbox, runner, time, logs.CreateLogger<MessageLoop>(), config.AgentIdleTimeout, Budgets);
        Scheduler = new Scheduler(db, Queue, Outbox, runner, config.TimeZone, time, logs.CreateLogger<Scheduler>(), Budgets);
    }

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
