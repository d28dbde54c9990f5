namespace NanoClaw.Runs;

/// <summary>What one run's guest may make the host store, in total. A guest can send frames without end until the
/// run's timeout; each cap keeps the host's disk and memory bounded whatever it sends.</summary>
/// <param name="MaxChangesFrames">Most <c>changes</c> frames in one run (the guest sends one per turn and one at the end);
/// one more fails the run.</param>
/// <param name="MaxChangesBytes">Most archive bytes over all <c>changes</c> frames of one run; a frame that would pass it
/// fails the run before its archive is read.</param>
/// <param name="MaxGuestLogBytes">Most bytes of guest <c>log</c> text written to the run log; past it, guest log lines
/// are dropped (noted once) and the run goes on.</param>
/// <param name="MaxRunLogBytes">Largest run log file; past it, lines are dropped (noted once).</param>
public sealed record RunCaps(int MaxChangesFrames, long MaxChangesBytes, long MaxGuestLogBytes, long MaxRunLogBytes)
{
    public static RunCaps Default { get; } = new(MaxChangesFrames: 1_000, MaxChangesBytes: 1L << 30, MaxGuestLogBytes: 1L << 20, MaxRunLogBytes: 4L << 20);
}
