namespace NanoClaw.Gateway;

/// <summary>
/// Settings of the <see cref="EgressProxy"/>. <see cref="ConnectPorts"/>: the ports a <c>CONNECT</c> may reach (443
/// always; more with <c>EGRESS_CONNECT_PORTS</c>), because a tunnel carries any protocol and a VM should not get SSH,
/// SMTP or a database port of the internet. <see cref="HostAddresses"/>: the host's own addresses, always refused
/// (null: the proxy reads this host's interfaces itself, refreshed by <see cref="Time"/>).
/// </summary>
public sealed record EgressProxyOptions
{
    public const int HttpsPort = 443;

    public IReadOnlySet<int> ConnectPorts { get; init; } = new HashSet<int> { HttpsPort };
    public Func<IEnumerable<System.Net.IPAddress>>? HostAddresses { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
