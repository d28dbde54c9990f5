using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using NanoClaw.Runs;
using NanoClaw.Storage;

namespace NanoClaw.Bench;

/// <summary>
/// <c>store</c>: the host's inbound path with everything real except the runner: <see cref="AssistantHost"/>,
/// a real SQLite file (WAL, synchronous=FULL) in a temp NANOCLAW_HOME, the real loop and queue, and an
/// <see cref="InstantRunner"/>.
/// 1. latency: one message at a time, from <c>MessageLoop.Deliver</c> to the runner being called;
/// 2. throughput: <see cref="BurstMessages"/> messages across <see cref="Groups"/> groups delivered back to back,
///    until every one of them has appeared in a prompt the runner was called with.
/// </summary>
public sealed partial class StoreBench(BenchEnvironment env)
{
    public const int Groups = 10;
    public const int LatencyMessagesPerRun = 50;
    public const int BurstMessages = 1_000;
    static readonly TimeSpan DispatchBound = TimeSpan.FromSeconds(60);

    readonly ConcurrentDictionary<string, long> dispatched = new();
    TaskCompletionSource allSeen = new();
    int expected;
    int nextId;

    public async Task<IReadOnlyList<Measurement>> RunAsync(int runs, CancellationToken ct)
    {
        List<double> deliver = [], latency = [], burstRate = [], storeRate = [];
        for (var run = 0; run < runs; run++)
        {
            // A fresh home and database per run: the file never carries one run's rows into the next.
            var config = env.NewHome("store");
            var db = Database.Open(config.DatabasePath);
            var groups = Enumerable.Range(0, Groups).Select(g => Register(db, g)).ToArray();
            await using var host = new AssistantHost(config, db, channels: [], new InstantRunner(OnCalled), TimeProvider.System, env.Logs);
            host.Start();

            // 1. latency
            for (var i = 0; i < LatencyMessagesPerRun; i++)
            {
                var message = NewMessage(groups[i % Groups]);
                Expect(1);
                var start = Stopwatch.GetTimestamp();
                host.Loop.Deliver(message);
                var stored = Stopwatch.GetTimestamp();
                await allSeen.Task.WaitAsync(DispatchBound, ct);
                deliver.Add(Stopwatch.GetElapsedTime(start, stored).TotalMilliseconds);
                latency.Add(Stopwatch.GetElapsedTime(start, dispatched[message.Id]).TotalMilliseconds);
                // The run for this message must be over, so the next one starts a run rather than joining it.
                await host.Queue.WhenQuietAsync().WaitAsync(DispatchBound, ct);
            }

            // 2. throughput
            var burst = Enumerable.Range(0, BurstMessages).Select(i => NewMessage(groups[i % Groups])).ToArray();
            Expect(BurstMessages);
            var clock = Stopwatch.StartNew();
            foreach (var message in burst) host.Loop.Deliver(message);
            var storedAll = clock.Elapsed;
            await allSeen.Task.WaitAsync(DispatchBound, ct);
            var dispatchedAll = clock.Elapsed;
            storeRate.Add(BurstMessages / storedAll.TotalSeconds);
            burstRate.Add(BurstMessages / dispatchedAll.TotalSeconds);
            await host.Queue.WhenQuietAsync().WaitAsync(DispatchBound, ct);
            await host.StopAsync(TimeSpan.FromSeconds(5));
            Console.Error.WriteLine($"store {run + 1}/{runs}: median latency {Summary.Of(latency.TakeLast(LatencyMessagesPerRun).ToArray()).Median:F2} ms; " +
                $"{BurstMessages} messages stored in {storedAll.TotalSeconds:F2} s, all dispatched after {dispatchedAll.TotalSeconds:F2} s");
        }
        return
        [
            new("store-deliver", "MessageLoop.Deliver returns (message stored, loop woken)", "ms", deliver),
            new("store-dispatch", "Deliver to the runner being called (store + loop + queue)", "ms", latency),
            new("store-rate", $"{BurstMessages} messages into {Groups} groups: stored per second (Deliver loop alone)", "msg/s", storeRate),
            new("dispatch-rate", $"{BurstMessages} messages into {Groups} groups: stored and handed to a runner, per second", "msg/s", burstRate),
        ];
    }

    static RegisteredGroup Register(Database db, int index)
    {
        // No trigger needed, so every message starts (or joins) a run: the path under test, not the trigger filter.
        var group = new RegisteredGroup($"bench-{index}@g.us", $"Bench {index}", $"bench-{index}", "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: false, IsMain: false);
        return db.RegisterGroup(group) is RegisterResult.Registered r ? r.Group : throw new InvalidOperationException($"could not register {group.Jid}");
    }

    StoredMessage NewMessage(RegisteredGroup group)
    {
        var id = $"bm{Interlocked.Increment(ref nextId):D7}";
        return new StoredMessage(id, group.Jid, "alice@s", "Alice", $"bench message {id}", DateTimeOffset.UtcNow, IsFromMe: false, IsBotMessage: false);
    }

    void Expect(int count)
    {
        dispatched.Clear();
        allSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref expected, count);
    }

    /// <summary>Records the first time each message id appears in a prompt; a message re-sent in a later prompt keeps its first time.</summary>
    void OnCalled(AgentRequest request, long timestamp)
    {
        foreach (Match m in MessageId().Matches(request.Prompt)) dispatched.TryAdd(m.Value, timestamp);
        if (dispatched.Count >= Volatile.Read(ref expected)) allSeen.TrySetResult();
    }

    [GeneratedRegex(@"\bbm\d{7}\b")]
    private static partial Regex MessageId();
}
