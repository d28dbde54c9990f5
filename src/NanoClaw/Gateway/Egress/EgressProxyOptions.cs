namespace NanoClaw.Gateway.Egress;

/// <summary>
/// Settings of the <see cref="EgressProxy"/>. <see cref="ConnectPorts"/>: the ports a <c>CONNECT</c> or a plain HTTP
/// request may reach besides 443 (CONNECT) and 80 (plain HTTP), from <c>EGRESS_CONNECT_PORTS</c>, because a tunnel carries
/// any protocol, a plain request's bytes reach whatever listens, and a VM should not get SSH, SMTP or a database port
/// of the internet. <see cref="HostAddresses"/>: the host's own addresses, always refused
/// (null: the proxy reads this host's interfaces itself, refreshed by <see cref="Time"/>).
/// </summary>
public sealed record EgressProxyOptions
{
    public const int HttpsPort = 443;
    public const int HttpPort = 80;

    public IReadOnlySet<int> ConnectPorts { get; init; } = new HashSet<int> { HttpsPort };
    public Func<IEnumerable<System.Net.IPAddress>>? HostAddresses { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
