using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using NanoClaw.Runs;

namespace NanoClaw.Bench;

/// <summary>
/// BENCH DOUBLE for the agent-runner seam: it boots no VM and answers nothing. It only reports the moment it was
/// called, and with which request, then completes at once, so <c>store</c> measures the host's own path
/// (store, loop, queue) and nothing of the VM.
/// </summary>
sealed class InstantRunner(Action<AgentRequest, long> onCalled) : IAgentRunner
{
    public async IAsyncEnumerable<AgentEvent> RunAsync(AgentRequest request, ChannelReader<RunMessage> followUps, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        onCalled(request, Stopwatch.GetTimestamp());
        await Task.CompletedTask;
        yield return new AgentEvent.Completed();
    }
}
