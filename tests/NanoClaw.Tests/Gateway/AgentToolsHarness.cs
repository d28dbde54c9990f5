using Microsoft.Extensions.Logging;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Tools;
using NanoClaw.Outbound;
using NanoClaw.Scheduling;
using NanoClaw.Storage;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Gateway;

/// <summary>Real <see cref="AgentTools"/> over a real SQLite file and a real outbox whose channel records what it sends.
/// A main chat and two other groups are registered; the clock is fixed. Tasks go through a <see cref="TaskService"/>
/// over the same database, zone and clock (no scheduler is running).</summary>
sealed class AgentToolsHarness : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 3, 10, 8, 0, 0, TimeSpan.Zero);

    public TestHome Home { get; } = new();
    public RecordingChannel Channel { get; } = new();
    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Time { get; } = new(Now);
    public Outbox Outbox { get; }
    public TaskService Tasks { get; }
    /// <summary>The ids <see cref="Tasks"/> reported as changed, in order: what would wake a running scheduler.</summary>
    public List<string> Changed { get; } = [];
    public AgentTools Tools { get; }
    public NanoClaw.Files.OutboundFiles Files { get; }

    public RegisteredGroup MainGroup { get; }
    public RegisteredGroup Family { get; }
    public RegisteredGroup Work { get; }

    public RunIdentity Main => As(MainGroup);
    public RunIdentity FamilyRun => As(Family);

    public AgentToolsHarness()
    {
        MainGroup = Home.Register("main@s.whatsapp.net", "main", isMain: true);
        Family = Home.Register("family@g.us", "family");
        Work = Home.Register("work@g.us", "work");
        Outbox = new Outbox(Home.Db, [Channel], Home.Config, Time, Home.Logs.CreateLogger<Outbox>());
        Tasks = new TaskService(Home.Db, Home.Config.TimeZone, Time, Changed.Add);
        Files = new NanoClaw.Files.OutboundFiles(Outbox, Home.Config, Time, Home.Logs.CreateLogger<NanoClaw.Files.OutboundFiles>());
        Tools = new AgentTools(Home.Db, Tasks, Outbox, Home.Config, templatesDir: null, Time, Home.Logs.CreateLogger<AgentTools>(), Files);
    }

    public static RunIdentity As(RegisteredGroup group) => new("run-" + group.Folder, group.Folder, group.Jid, group.IsMain);

    /// <summary>Everything queued for sending so far, delivered now, in order.</summary>
    public async Task<IReadOnlyList<(string Jid, string Text)>> DeliveredAsync()
    {
        await Outbox.DeliverDueAsync(CancellationToken.None);
        return Channel.Sent;
    }

    /// <summary>A task stored directly, as if scheduled earlier, for the given group.</summary>
    public ScheduledTask AddTask(RegisteredGroup group, string id, NanoClaw.Storage.TaskStatus status = NanoClaw.Storage.TaskStatus.Active)
    {
        var task = new ScheduledTask(id, group.Folder, group.Jid, "water the plants", ScheduleType.Cron, "0 9 * * *", ContextMode.Group,
            Now.AddHours(1), null, null, status, Now.AddDays(-1));
        Home.Db.CreateTask(task);
        return task;
    }

    public ScheduledTask Task(string id) => Home.Db.ListTasks().Single(t => t.Id == id);

    public void Dispose() => Home.Dispose();
}
