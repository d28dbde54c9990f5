namespace NanoClaw.Channels.WhatsApp;

/// <summary>Timeouts, restart delays and the line limit of <see cref="WhatsAppBridge"/>; tests shorten them.</summary>
public sealed record BridgeTimings
{
    /// <summary>The sidecar limits every command to 30 s and then acks with an error; this is the host's backstop.</summary>
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(35);
    /// <summary>A <c>download</c>'s backstop: the sidecar gives up on one after 120 s (a 25 MB file on a slow line).</summary>
    public TimeSpan DownloadAckTimeout { get; init; } = TimeSpan.FromSeconds(130);
    /// <summary>Delays before restarting a sidecar that died unexpectedly; the last one repeats. Reset once it connects.</summary>
    public IReadOnlyList<TimeSpan> RestartDelays { get; init; } =
        [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)];
    /// <summary>How long a stop waits for the sidecar to exit after stdin is closed before killing it.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>The longest event line read whole (in chars). WhatsApp caps a text at 65,536 chars and a group list is
    /// far smaller than this; a longer line is skipped as invalid without being held in memory.</summary>
    public int MaxLineChars { get; init; } = 16 * 1024 * 1024;
}
