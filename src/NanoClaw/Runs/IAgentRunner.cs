using System.Threading.Channels;
using NanoClaw.Storage;

namespace NanoClaw.Runs;

/// <summary>What one agent run is asked to do.</summary>
/// <param name="Group">The group the run acts for; its identity decides what the run may touch.</param>
/// <param name="Prompt">The catch-up prompt (<c>&lt;messages&gt;...</c>) or a scheduled task's prompt.</param>
/// <param name="SessionId">The Claude session to resume, or null for a fresh one.</param>
/// <param name="TaskId">Set when a scheduled task started this run.</param>
/// <param name="Prepared">A run started before its first message (<see cref="PreparedRuns"/>): <paramref name="Prompt"/>
/// is empty, the session starts and waits, and the first follow-up is its first turn. The run's time limit counts from it.</param>
public sealed record AgentRequest(RegisteredGroup Group, string Prompt, string? SessionId, string? TaskId = null, bool Prepared = false);

/// <summary>A message for a session that is already running: its text and the files that came with it.</summary>
/// <param name="Files">Paths in the group's folder (<c>media/2026-12-07/photo.jpg</c>) of files the message brought: they
/// were stored after the run's workspace was sent, so the runner puts them into the run before the text.</param>
public sealed record RunMessage(string Text, IReadOnlyList<string> Files)
{
    public static RunMessage TextOnly(string text) => new(text, []);
}

/// <summary>What comes out of a run, in order. A run ends with exactly one <see cref="Completed"/> or <see cref="Failed"/>.</summary>
public abstract record AgentEvent
{
    private AgentEvent() { }
    /// <summary>Text for the group's chat.</summary>
    public sealed record Output(string Text) : AgentEvent;
    /// <summary>The Claude session this run uses; stored so the next run resumes it.</summary>
    public sealed record SessionStarted(string SessionId) : AgentEvent;
    /// <summary>The session finished a turn and waits for follow-ups; the queue may now close the run when idle.</summary>
    public sealed record Idle : AgentEvent;
    public sealed record Completed : AgentEvent;
    public sealed record Failed(string Error) : AgentEvent;
}

/// <summary>
/// The seam between the group queue and whatever runs Claude Code (a microVM in production,
/// a scripted runner in unit tests).
/// </summary>
public interface IAgentRunner
{
    /// <param name="followUps">Messages that arrive while the run is going; the runner feeds them into the
    /// running session. The queue completes the reader when the run should wind down (idle, shutdown).</param>
    IAsyncEnumerable<AgentEvent> RunAsync(AgentRequest request, ChannelReader<RunMessage> followUps, CancellationToken cancellationToken);
}
