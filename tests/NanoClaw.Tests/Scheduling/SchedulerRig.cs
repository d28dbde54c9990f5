using Microsoft.Extensions.Time.Testing;
using NanoClaw.Runs;
using NanoClaw.Scheduling;
using NanoClaw.Storage;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Scheduling;

/// <summary>
/// A real host (store, queue, outbox, scheduler) on a fake clock, not started: the test moves time and then asks
/// the scheduler to dispatch what is due, exactly as its loop would after waking, and waits for the runs to end.
/// </summary>
sealed class SchedulerRig : IAsyncDisposable
{
    public const string FamilyJid = "family@g.us";
    public const string MainJid = "me@s.whatsapp.net";

    readonly bool _ownsHome;

    public SchedulerRig(ScriptedRunner? runner = null, string zone = "Europe/Berlin", DateTimeOffset? start = null, SchedulerRig? restartOf = null)
    {
        _ownsHome = restartOf is null;
        Home = restartOf?.Home ?? new TestHome(env => env["TZ"] = zone);
        Clock = restartOf?.Clock ?? new FakeTimeProvider(start ?? DateTimeOffset.Parse("2026-06-01T06:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        Runner = runner ?? ScriptedRunner.Replying(r => "overview for " + r.Group.Folder);
        if (restartOf is null)
        {
            Home.Register(MainJid, "main", isMain: true, requiresTrigger: false);
            Home.Register(FamilyJid, "family");
        }
        Family = Home.Db.GroupByJid(FamilyJid)!;
        Host = new AssistantHost(Home.Config, Home.Db, [Channel], Runner, Clock, Home.Logs);
    }

    public TestHome Home { get; }
    public FakeTimeProvider Clock { get; }
    public ScriptedRunner Runner { get; }
    public RecordingChannel Channel { get; } = new();
    public AssistantHost Host { get; }
    public RegisteredGroup Family { get; }
    public TaskService Tasks => Host.Tasks;
    public TimeZoneInfo Zone => Home.Config.TimeZone;

    public ScheduledTask Create(string type, string value, string context = "isolated", string prompt = "send me the pipeline overview") =>
        Tasks.Create(new NewTask(Family, prompt, type, value, context)).ShouldBeOfType<TaskResult.Ok>().Task;

    /// <summary>What the scheduler's loop does when it wakes: dispatch what is due, let the runs finish, deliver replies.</summary>
    public async Task TickAsync()
    {
        Host.Scheduler.DispatchDue();
        await Host.Queue.WhenQuietAsync();
        await Host.Outbox.DeliverDueAsync(CancellationToken.None);
    }

    public async Task AdvanceToAsync(DateTimeOffset t)
    {
        if (t > Clock.GetUtcNow()) Clock.SetUtcNow(t);
        await TickAsync();
    }

    public Task AdvanceAsync(TimeSpan by) => AdvanceToAsync(Clock.GetUtcNow() + by);

    /// <summary>Wakes at every due time up to <paramref name="end"/>, as the loop would.</summary>
    public async Task RunUntilAsync(DateTimeOffset end)
    {
        while (Home.Db.TaskTimings().Select(t => t.DueAt).Where(d => d is not null).Min() is { } due && due <= end)
            await AdvanceToAsync(due);
        await AdvanceToAsync(end);
    }

    public DateTimeOffset Local(string localTime) =>
        new(DateTime.Parse(localTime, System.Globalization.CultureInfo.InvariantCulture),
            Zone.GetUtcOffset(DateTime.Parse(localTime, System.Globalization.CultureInfo.InvariantCulture)));

    public IReadOnlyList<TaskRunLog> Runs(string taskId) => Home.Db.TaskRunLogs(taskId, 1000).Reverse().ToList();

    public IReadOnlyList<string> SentTo(string jid) => Channel.Sent.Where(s => s.Jid == jid).Select(s => s.Text).ToList();

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        if (_ownsHome) Home.Dispose();
    }

    public static ScriptedRunner Failing(Func<int, bool> failsOnAttempt, Action<AgentRequest>? seen = null)
    {
        var attempts = 0;
        return new ScriptedRunner((request, _) =>
        {
            seen?.Invoke(request);
            return failsOnAttempt(Interlocked.Increment(ref attempts))
                ? ScriptedRunner.Events(new AgentEvent.Failed("the VM runtime is down"))
                : ScriptedRunner.Events(new AgentEvent.Output("overview"), new AgentEvent.Completed());
        });
    }
}
