using System.Globalization;
using System.Net;
using System.Text;

namespace NanoClaw.Gateway.Egress;

/// <summary>
/// One request to the egress proxy, parsed strictly: a request line (<c>CONNECT host:port</c> or an absolute
/// <c>http://</c> URI), header lines, and whatever bytes the client sent after the blank line (<see cref="Leftover"/>,
/// e.g. the start of a body or a TLS hello), which go on to the destination first.
/// </summary>
public sealed record ProxyRequest(string Method, string Host, int Port, string PathAndQuery, string Version,
    IReadOnlyList<(string Name, string Value)> Headers, ReadOnlyMemory<byte> Leftover)
{
    public bool IsConnect => Method == "CONNECT";

    /// <summary>
    /// Reads up to the end of the header block. Null when the client closed before sending one; throws
    /// <see cref="ProxyRequestException"/> when what it sent is not a proxy request.
    /// </summary>
    public static async Task<ProxyRequest?> ReadAsync(Stream stream, int maxHeaderBytes, CancellationToken ct)
    {
        var buffer = new byte[maxHeaderBytes];
        var filled = 0;
        while (true)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(filled), ct);
            if (n == 0) return filled == 0 ? null : throw new ProxyRequestException("the request ended inside its header");
            var searchFrom = Math.Max(0, filled - 3);
            filled += n;
            var end = buffer.AsSpan(searchFrom, filled - searchFrom).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                end += searchFrom;
                return Parse(Encoding.Latin1.GetString(buffer, 0, end), buffer.AsMemory(end + 4, filled - end - 4).ToArray());
            }
            if (filled == buffer.Length) throw new ProxyRequestException($"the request header is larger than {maxHeaderBytes} bytes");
        }
    }

    static ProxyRequest Parse(string head, byte[] leftover)
    {
        var lines = head.Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0 || !parts[0].All(char.IsAsciiLetterUpper))
            throw new ProxyRequestException("the request line is not METHOD TARGET HTTP/1.x");
        var (method, target, version) = (parts[0], parts[1], parts[2]);
        if (version is not ("HTTP/1.1" or "HTTP/1.0")) throw new ProxyRequestException("only HTTP/1.0 and HTTP/1.1 are spoken here");

        var headers = new List<(string, string)>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            // No obsolete line folding, no whitespace before the colon: both are classic request-smuggling tools.
            if (colon <= 0 || line[0] is ' ' or '\t' || line[colon - 1] is ' ' or '\t' || line.Any(c => c is '\r' or '\n' or '\0'))
                throw new ProxyRequestException("a header line is malformed");
            headers.Add((line[..colon], line[(colon + 1)..].Trim()));
        }

        if (method == "CONNECT")
        {
            var (host, port) = ParseAuthority(target);
            return new ProxyRequest(method, host, port, "", version, headers, leftover);
        }
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || !string.IsNullOrEmpty(uri.UserInfo))
            throw new ProxyRequestException("a proxy request names an absolute http:// URL (use CONNECT for https)");
        return new ProxyRequest(method, uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.IdnHost, uri.Port, uri.PathAndQuery, version, headers, leftover);
    }

    static (string Host, int Port) ParseAuthority(string authority)
    {
        string host, port;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0) throw new ProxyRequestException("CONNECT needs host:port");
            (host, port) = (authority[1..close], authority[(close + 2)..]);
            if (!IPAddress.TryParse(host, out _)) throw new ProxyRequestException("CONNECT needs host:port");
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            if (colon <= 0) throw new ProxyRequestException("CONNECT needs host:port");
            (host, port) = (authority[..colon], authority[(colon + 1)..]);
            if (Uri.CheckHostName(host) is not (UriHostNameType.Dns or UriHostNameType.IPv4)) throw new ProxyRequestException("CONNECT needs host:port");
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            throw new ProxyRequestException("CONNECT needs a port from 1 to 65535");
        return (host.ToLowerInvariant(), number);
    }

    /// <summary>The run token: the password of a <c>Proxy-Authorization: Basic</c> header (the user is ignored).</summary>
    public string? ProxyPassword()
    {
        var values = Headers.Where(h => h.Name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList();
        // Two credentials are no credential: which one counts would be a guess (and a guess is an opening).
        if (values.Count != 1) return null;
        var value = values[0];
        if (!value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value[6..].Trim()));
            var colon = decoded.IndexOf(':');
            return colon < 0 ? null : decoded[(colon + 1)..];
        }
        catch (FormatException) { return null; }
    }

    /// <summary>
    /// The request as the destination sees it: origin-form target, headers except <paramref name="drop"/>, one request
    /// per connection, and a <c>Host</c> that names what the proxy checked (<see cref="Host"/>:<see cref="Port"/>), never
    /// the client's own: a virtual host behind a checked name must not be chosen by the guest.
    /// </summary>
    public byte[] OriginFormHead(IReadOnlySet<string> drop)
    {
        ArgumentNullException.ThrowIfNull(drop);
        var head = new StringBuilder();
        head.Append(Method).Append(' ').Append(PathAndQuery).Append(' ').Append(Version).Append("\r\n");
        var host = Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
        head.Append("Host: ").Append(host);
        if (Port != 80) head.Append(':').Append(Port.ToString(CultureInfo.InvariantCulture));
        head.Append("\r\n");
        foreach (var (name, value) in Headers)
            if (!drop.Contains(name) && !name.Equals("Host", StringComparison.OrdinalIgnoreCase)) head.Append(name).Append(": ").Append(value).Append("\r\n");
        head.Append("Connection: close\r\n\r\n");
        return Encoding.Latin1.GetBytes(head.ToString());
    }
}
