using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using NanoClaw.Runs;

namespace NanoClaw.Tests.Support;

/// <summary>
/// A test double for the agent-runner seam (named as such): the real runner boots a microVM; this one plays
/// a script so the loop and queue can be driven precisely. The script gets the request and a context that
/// can wait for follow-ups.
/// </summary>
sealed class ScriptedRunner : IAgentRunner
{
    public delegate IAsyncEnumerable<AgentEvent> Script(AgentRequest request, RunContext run);

    readonly Script _script;
    int _active;

    public ScriptedRunner(Script script) => _script = script;

    /// <summary>Answers every prompt with one reply and ends.</summary>
    public static ScriptedRunner Replying(Func<AgentRequest, string> reply) => new((request, _) => Events(
        new AgentEvent.SessionStarted("session-" + request.Group.Folder), new AgentEvent.Output(reply(request)), new AgentEvent.Completed()));

    public ConcurrentQueue<AgentRequest> Requests { get; } = new();
    public int MaxConcurrent;
    public int Active => Volatile.Read(ref _active);

    public async IAsyncEnumerable<AgentEvent> RunAsync(AgentRequest request, ChannelReader<RunMessage> followUps, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Requests.Enqueue(request);
        var now = Interlocked.Increment(ref _active);
        InterlockedMax(ref MaxConcurrent, now);
        try
        {
            await foreach (var e in _script(request, new RunContext(followUps, cancellationToken)).WithCancellation(cancellationToken))
                yield return e;
        }
        finally { Interlocked.Decrement(ref _active); }
    }

    public static async IAsyncEnumerable<AgentEvent> Events(params AgentEvent[] events)
    {
        foreach (var e in events) { await Task.Yield(); yield return e; }
    }

    static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}

sealed record RunContext(ChannelReader<RunMessage> FollowUps, CancellationToken CancellationToken);
