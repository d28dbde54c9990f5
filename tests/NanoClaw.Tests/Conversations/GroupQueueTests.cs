using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Conversations;

namespace NanoClaw.Tests.Conversations;

public class GroupQueueTests
{
    sealed class Gate
    {
        readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
        public readonly ConcurrentQueue<string> Started = new();
        public Task Enter(string name)
        {
            Started.Enqueue(name);
            return _gates.GetOrAdd(name, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
        public void Open(string name) => _gates.GetOrAdd(name, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    static GroupQueue Queue(int cap) => new(cap, TimeProvider.System, NullLogger<GroupQueue>.Instance);

    static GroupQueue.MessageRun Messages(Gate gate, string jid) => async _ => { await gate.Enter("messages:" + jid); return true; };

    [Fact]
    public async Task WhenAGroupsRunEndsItsQueuedTaskGoesBeforeItsMessages()
    {
        var gate = new Gate();
        var queue = Queue(1);
        queue.EnqueueMessages("a", Messages(gate, "a"));                           // running
        queue.EnqueueMessages("a", Messages(gate, "a"));                           // pending messages
        queue.EnqueueTask("a", "t1", _ => gate.Enter("task:t1")); // pending task

        gate.Open("messages:a");
        await Support.Eventually.True(() => gate.Started.Count >= 2, "the next run to start");
        gate.Started.ElementAt(1).ShouldBe("task:t1");
        gate.Open("task:t1");
        await queue.WhenQuietAsync();
        gate.Started.ShouldBe(["messages:a", "task:t1", "messages:a"]);
    }

    [Fact]
    public async Task GroupsWaitingForASlotAreServedInArrivalOrderAndABusyGroupGoesBehindThem()
    {
        var gate = new Gate();
        var queue = Queue(1);
        queue.EnqueueMessages("a", Messages(gate, "a"));
        queue.EnqueueMessages("b", Messages(gate, "b"));
        queue.EnqueueMessages("c", Messages(gate, "c"));
        queue.EnqueueMessages("a", Messages(gate, "a")); // a has more work, but b and c were waiting first

        foreach (var next in new[] { "a", "b", "c" })
        {
            gate.Open("messages:" + next);
            await Support.Eventually.True(() => gate.Started.Count > Array.IndexOf(["a", "b", "c"], next) + 1, "the next group to start");
        }
        gate.Open("messages:a");
        await queue.WhenQuietAsync();
        gate.Started.ShouldBe(["messages:a", "messages:b", "messages:c", "messages:a"]);
    }

    [Fact]
    public async Task TheSameTaskIsNeverQueuedTwice()
    {
        var gate = new Gate();
        var queue = Queue(1);
        var runs = 0;
        queue.EnqueueMessages("a", Messages(gate, "a"));
        queue.EnqueueTask("a", "t1", _ => { Interlocked.Increment(ref runs); return Task.CompletedTask; });
        queue.EnqueueTask("a", "t1", _ => { Interlocked.Increment(ref runs); return Task.CompletedTask; });
        gate.Open("messages:a");
        await queue.WhenQuietAsync();
        runs.ShouldBe(1);
    }

    [Fact]
    public async Task ATaskQueuedBehindARunningConversationAsksItToYield()
    {
        var gate = new Gate();
        var queue = Queue(1);
        var yielded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.EnqueueMessages("a", async slot =>
        {
            slot.Yield.Register(() => yielded.TrySetResult());
            await gate.Enter("messages:a");
            return true;
        });
        await Support.Eventually.True(() => gate.Started.Count == 1, "the run to start");
        yielded.Task.IsCompleted.ShouldBeFalse();

        queue.EnqueueTask("a", "t1", _ => gate.Enter("task:t1"));
        await yielded.Task.WaitAsync(TimeSpan.FromSeconds(10));
        gate.Open("messages:a");
        gate.Open("task:t1");
        await queue.WhenQuietAsync();
        gate.Started.ShouldBe(["messages:a", "task:t1"]);
    }

    /// <summary>Runs that only wait (a prepared run, an idle conversation) hold a VM's memory: when a run for messages or a
    /// task starts on a machine short of memory, they give way, though slots are free.</summary>
    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task WhenMemoryIsShortARunStartingAsksTheOtherGroupsWaitingRunsToYield(bool roomForAVm, bool yields)
    {
        var gate = new Gate();
        var queue = new GroupQueue(4, TimeProvider.System, NullLogger<GroupQueue>.Instance, () => roomForAVm);
        var yielded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.EnqueueMessages("a", async slot =>
        {
            slot.Yield.Register(() => yielded.TrySetResult());
            await gate.Enter("messages:a");
            return true;
        });
        await Support.Eventually.True(() => gate.Started.Count == 1, "a's run to start");

        queue.EnqueueTask("b", "t1", _ => gate.Enter("task:t1"));
        await Support.Eventually.True(() => gate.Started.Count == 2, "b's task to start beside it (a slot is free)");
        queue.EnqueueMessages("c", Messages(gate, "c"));
        await Support.Eventually.True(() => gate.Started.Count == 3, "c's run to start beside them");

        if (yields) await yielded.Task.WaitAsync(TimeSpan.FromSeconds(10));
        else
        {
            await Task.Delay(200);
            yielded.Task.IsCompleted.ShouldBeFalse("with memory to spare nobody is asked to yield");
        }
        foreach (var name in new[] { "messages:a", "task:t1", "messages:c" }) gate.Open(name);
        await queue.WhenQuietAsync();
    }
}
