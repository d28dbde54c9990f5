namespace NanoClaw.MicroVm.Firecracker;

/// <summary>Where the firecracker binary is and how long each boot step may take.</summary>
public sealed record FirecrackerOptions(string Binary)
{
    /// <summary>Firecracker creates its API socket within milliseconds; a generous bound for loaded hosts.</summary>
    public TimeSpan SocketBound { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>From InstanceStart until the guest agent accepts the control connection.</summary>
    public TimeSpan ControlBound { get; init; } = TimeSpan.FromSeconds(30);
}
