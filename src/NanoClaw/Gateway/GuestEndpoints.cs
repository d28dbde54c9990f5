namespace NanoClaw.Gateway;

/// <summary>
/// How a guest reaches the gateway: the API and MCP base URL, and the egress proxy's <c>host:port</c>. With QEMU user
/// networking both are on 10.0.2.100 (forwarded by QEMU); with TAP networking, on the bridge address.
/// </summary>
public sealed record GuestEndpoints(string GatewayUrl, string GatewayHost, string ProxyAuthority)
{
    public static GuestEndpoints UserNetworking { get; } = new("http://10.0.2.100", "10.0.2.100", "10.0.2.100:3128");

    /// <summary><c>HTTPS_PROXY</c>/<c>HTTP_PROXY</c> for a run: the run token is the proxy password (it is base64url, so URL-safe).</summary>
    public string ProxyUrl(string runToken) => $"http://run:{runToken}@{ProxyAuthority}";

    /// <summary><c>NO_PROXY</c>: the gateway itself is reached directly, never through the proxy.</summary>
    public string NoProxy => $"{GatewayHost},localhost,127.0.0.1";

    /// <summary>The job environment that points the guest's tools at the proxy (both spellings: tools differ).</summary>
    public IEnumerable<KeyValuePair<string, string>> ProxyEnvironment(string runToken)
    {
        var url = ProxyUrl(runToken);
        yield return new("HTTPS_PROXY", url);
        yield return new("HTTP_PROXY", url);
        yield return new("https_proxy", url);
        yield return new("http_proxy", url);
        yield return new("NO_PROXY", NoProxy);
        yield return new("no_proxy", NoProxy);
    }
}
