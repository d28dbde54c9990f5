namespace NanoClaw.Guest;

/// <summary>Everything the agent loop reacts to, from the control channel and from the Claude Code process,
/// merged into one channel so a single loop owns all state. Claude events carry the process generation,
/// so lines from a process that was replaced (the resume retry) are recognised and ignored.</summary>
abstract record GuestEvent
{
    private GuestEvent() { }
    /// <param name="FilesTar">For a <c>message</c> that brought files: its payload, saved in the run's scratch folder.</param>
    public sealed record FromHost(HostToGuestFrame Frame, string? FilesTar = null) : GuestEvent;
    /// <summary>The control channel ended; <see cref="Error"/> is null for a clean end of stream.</summary>
    public sealed record HostGone(string? Error) : GuestEvent;
    public sealed record ClaudeLine(int Generation, string Line) : GuestEvent;
    public sealed record ClaudeStderr(int Generation, string Line) : GuestEvent;
    /// <summary>The process exited and both its output streams are drained.</summary>
    public sealed record ClaudeExited(int Generation, int ExitCode) : GuestEvent;
}
