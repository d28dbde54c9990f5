using System.Net;

namespace NanoClaw.Gateway.Egress;

/// <summary>
/// Name to addresses, as the egress proxy asks it: once per request, and the proxy connects only to what this
/// returned and it checked. A delegate so tests can map names to loopback or private addresses.
/// </summary>
public delegate Task<IPAddress[]> HostResolver(string host, CancellationToken cancellationToken);
