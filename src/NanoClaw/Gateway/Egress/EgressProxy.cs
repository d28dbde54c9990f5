using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace NanoClaw.Gateway.Egress;

/// <summary>
/// The VMs' only way to the web: an HTTP forward proxy with <c>CONNECT</c> (for https) and absolute-form plain HTTP
/// requests, on its own port. Every request is checked in this order, and the first failure answers:
/// <list type="number">
/// <item>the caller is a live run: <c>Proxy-Authorization: Basic</c> with any user and the run token as password (407);</item>
/// <item>a CONNECT goes to port 443, plain HTTP to port 80, or either to one of <see cref="EgressProxyOptions.ConnectPorts"/> (403);</item>
/// <item>the host passes the group's <see cref="EgressRules"/> (403);</item>
/// <item>the name is resolved once; EVERY address must pass <see cref="EgressAddress"/> and must not be bound to a host
/// interface (<see cref="HostAddresses"/>) (403), and the proxy connects
/// to one of exactly those addresses, never resolving again, so a rebinding DNS answer cannot slip a private address in;</item>
/// <item>CONNECT: <c>200</c> then bytes both ways; plain HTTP: the request goes on in origin form without the proxy
/// headers, with <c>Host</c> set to the name that was checked and <c>Connection: close</c> (one request per
/// connection keeps the check per request).</item>
/// </list>
/// Every destination is logged with the run's group, the address used, the verdict and the bytes each way.
/// </summary>
/// <remarks>
/// A small listener of its own rather than a Kestrel route: Kestrel does not support the CONNECT method for tunnels
/// (its maintainers: "Kestrel has not supported connect in any protocol version", dotnet/aspnetcore#32004), and an
/// absolute-form request line would reach the gateway's routes as if it were for the gateway itself. Here a request
/// is either a proxy request or refused, and the gateway's API routes stay as they are.
/// </remarks>
public sealed partial class EgressProxy : IAsyncDisposable
{
    const int MaxHeaderBytes = 16 * 1024;
    static readonly TimeSpan HeaderTimeout = TimeSpan.FromSeconds(15);
    static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(10);
    static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    // Proxy-only and hop-by-hop headers: never sent on to the destination (the first carries the run token).
    static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Proxy-Authorization", "Proxy-Connection", "Connection", "Keep-Alive", "TE", "Trailer", "Upgrade", "Proxy-Authenticate",
    };

    readonly RunTokens tokens;
    readonly HostResolver resolve;
    readonly ILogger logger;
    readonly List<TcpListener> listeners;
    readonly CancellationTokenSource stopping = new();
    readonly List<Task> acceptLoops = [];
    readonly ConcurrentDictionary<Task, byte> connections = new();
    readonly IReadOnlySet<int> connectPorts;
    readonly HostAddresses hostAddresses;

    EgressProxy(RunTokens tokens, HostResolver resolve, ILogger logger, List<TcpListener> listeners, EgressProxyOptions options)
    {
        (this.tokens, this.resolve, this.logger, this.listeners) = (tokens, resolve, logger, listeners);
        connectPorts = options.ConnectPorts;
        hostAddresses = new HostAddresses(options.Time, options.HostAddresses);
        Endpoints = [.. listeners.Select(l => (IPEndPoint)l.LocalEndpoint)];
    }

    /// <summary>Where the proxy listens (ports resolved when 0 was asked for).</summary>
    public IReadOnlyList<IPEndPoint> Endpoints { get; }

    /// <summary>
    /// Test-only: one address and port treated as public, so tests can prove the allowed path against a local server.
    /// Every other check (token, rules) still applies. Production never sets it.
    /// </summary>
    internal IPEndPoint? TestOnlyPublicEndpoint { get; set; }

    /// <summary>How often an open tunnel checks that its run's token is still live; a revoked token (the run ended)
    /// cuts it. Without this, a tunnel to a guest that vanished (TAP: no reset ever comes) would stay open for good.</summary>
    internal TimeSpan RevocationCheck { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Listens on each of <paramref name="listenOn"/>. <paramref name="resolver"/> defaults to the system's DNS.</summary>
    public static EgressProxy Start(RunTokens tokens, IReadOnlyList<IPEndPoint> listenOn, ILogger logger, HostResolver? resolver = null,
        EgressProxyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(listenOn);
        ArgumentNullException.ThrowIfNull(logger);
        var listeners = new List<TcpListener>();
        try
        {
            foreach (var endpoint in listenOn)
            {
                var listener = new TcpListener(endpoint);
                listener.Start(128);
                listeners.Add(listener);
            }
        }
        catch
        {
            foreach (var l in listeners) l.Stop();
            throw;
        }
        var proxy = new EgressProxy(tokens, resolver ?? ((host, ct) => Dns.GetHostAddressesAsync(host, ct)), logger, listeners,
            options ?? new EgressProxyOptions());
        foreach (var listener in listeners) proxy.acceptLoops.Add(proxy.AcceptLoopAsync(listener));
        return proxy;
    }

    async Task AcceptLoopAsync(TcpListener listener)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptSocketAsync(stopping.Token); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { continue; } // one failed accept (e.g. a reset before accept) must not stop the proxy
            var handling = HandleConnectionAsync(client, stopping.Token);
            connections.TryAdd(handling, 0);
            _ = handling.ContinueWith(t => connections.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    async Task HandleConnectionAsync(Socket client, CancellationToken ct)
    {
        await Task.Yield();
        using var _ = client;
        await using var clientStream = new NetworkStream(client, ownsSocket: false);
        try
        {
            ProxyRequest? request;
            using (var headerTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                headerTimeout.CancelAfter(HeaderTimeout);
                request = await ProxyRequest.ReadAsync(clientStream, MaxHeaderBytes, headerTimeout.Token);
            }
            if (request is null)
            {
                await RespondAsync(clientStream, 400, "Bad Request", "not an HTTP proxy request", ct);
                return;
            }
            await HandleRequestAsync(client, clientStream, request, ct);
        }
        catch (ProxyRequestException e) { await TryRespondAsync(clientStream, 400, "Bad Request", e.Message, ct); }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        catch (SocketException) { }
        catch (Exception e)
        {
            Log.Crashed(logger, e);
        }
    }

    async Task HandleRequestAsync(Socket client, NetworkStream clientStream, ProxyRequest request, CancellationToken ct)
    {
        // 1. who asks
        if (!tokens.TryValidate(request.ProxyPassword(), out var run))
        {
            Log.Unauthenticated(logger, request.Host, request.Port, request.ProxyPassword() is null ? "no run token" : "unknown or revoked run token");
            await RespondAsync(clientStream, 407, "Proxy Authentication Required",
                "the NanoClaw egress proxy needs the run token as Proxy-Authorization Basic password", ct,
                "Proxy-Authenticate: Basic realm=\"nanoclaw\"\r\n");
            return;
        }

        // 2. a tunnel carries any protocol, and a plain request's bytes reach whatever listens on its port: only the
        //    web's ports (443 for a tunnel, 80 for plain HTTP) and the ones the owner added
        var webPort = request.IsConnect ? EgressProxyOptions.HttpsPort : EgressProxyOptions.HttpPort;
        if (request.Port != webPort && !connectPorts.Contains(request.Port))
        {
            var allowed = string.Join(", ", connectPorts.Where(p => p != EgressProxyOptions.HttpsPort).Prepend(webPort).Distinct().Order());
            await RefuseAsync(clientStream, run, request, null,
                $"{(request.IsConnect ? "CONNECT" : "plain HTTP")} is allowed to port {allowed} only (EGRESS_CONNECT_PORTS adds more)", ct);
            return;
        }

        // 3. the group's rules, on the name as asked
        if ((run.Egress ?? EgressRules.None).RefusalReason(request.Host) is { } ruleRefusal)
        {
            await RefuseAsync(clientStream, run, request, null, ruleRefusal, ct);
            return;
        }

        // 4. resolve once, check every address
        IPAddress[] addresses;
        if (IPAddress.TryParse(request.Host, out var literal)) addresses = [literal];
        else
        {
            try
            {
                using var resolveTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                resolveTimeout.CancelAfter(ResolveTimeout);
                addresses = await resolve(request.Host, resolveTimeout.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                addresses = [];
            }
            if (addresses.Length == 0)
            {
                Log.Failed(logger, run.GroupFolder, run.RunId, request.Host, request.Port, "-", "the name does not resolve");
                await RespondAsync(clientStream, 502, "Bad Gateway", $"{request.Host} does not resolve", ct);
                return;
            }
        }
        foreach (var address in addresses)
        {
            var endpoint = new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, request.Port);
            // Before the test switch: a host address is refused even when a test treats it as public.
            if (!IPAddress.IsLoopback(address) && hostAddresses.Contains(address))
            {
                var what = literal is null ? $"{request.Host} resolves to {address}: " : $"{address}: ";
                await RefuseAsync(clientStream, run, request, address, what + "that address is bound to this host's own interface", ct);
                return;
            }
            if (endpoint.Equals(TestOnlyPublicEndpoint)) continue;
            if (EgressAddress.RefusalReason(address) is { } addressRefusal)
            {
                var what = literal is null ? $"{request.Host} resolves to {address}: " : $"{address}: ";
                await RefuseAsync(clientStream, run, request, address, what + addressRefusal, ct);
                return;
            }
        }

        // 5. connect to a checked address, never to the name
        var (upstream, used) = await ConnectAsync(addresses, request.Port, ct);
        if (upstream is null)
        {
            Log.Failed(logger, run.GroupFolder, run.RunId, request.Host, request.Port, string.Join(' ', addresses.Select(a => a.ToString())), "no address accepted the connection");
            await RespondAsync(clientStream, 502, "Bad Gateway", $"{request.Host}:{request.Port} did not accept the connection", ct);
            return;
        }
        using var __ = upstream;
        await using var upstreamStream = new NetworkStream(upstream, ownsSocket: false);
        if (request.IsConnect)
        {
            await clientStream.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), ct);
        }
        else
        {
            await upstreamStream.WriteAsync(request.OriginFormHead(NotForwarded), ct);
        }
        if (!request.Leftover.IsEmpty) await upstreamStream.WriteAsync(request.Leftover, ct);
        var (up, down) = await PumpAsync(client, clientStream, upstream, upstreamStream, request.ProxyPassword()!, ct);
        Log.Allowed(logger, run.GroupFolder, run.RunId, request.Host, request.Port, used!.ToString(), up + request.Leftover.Length, down);
    }

    async Task RefuseAsync(NetworkStream clientStream, RunIdentity run, ProxyRequest request, IPAddress? address, string reason, CancellationToken ct)
    {
        Log.Refused(logger, run.GroupFolder, run.RunId, request.Host, request.Port, address?.ToString() ?? "-", reason);
        await RespondAsync(clientStream, 403, "Forbidden", "refused by the NanoClaw egress proxy: " + reason, ct);
    }

    static async Task<(Socket? Socket, IPAddress? Address)> ConnectAsync(IPAddress[] addresses, int port, CancellationToken ct)
    {
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(ConnectTimeout);
                await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token);
                return (socket, address);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                socket.Dispose();
            }
        }
        return (null, null);
    }

    /// <summary>Bytes both ways until the destination closes (or the client closes and the destination follows),
    /// or the run's token is revoked.</summary>
    async Task<(long Up, long Down)> PumpAsync(Socket client, Stream clientStream, Socket upstream, Stream upstreamStream, string token, CancellationToken ct)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var up = CopyAsync(clientStream, upstreamStream, upstream, both.Token);
        var down = CopyAsync(upstreamStream, clientStream, client, both.Token);
        var watch = WatchRevocationAsync(token, both);
        // The client may keep its side open after the destination is done (keep-alive): the destination's end ends the pump.
        if (await Task.WhenAny(up, down) == down) await both.CancelAsync();
        var result = (await up, await down);
        await both.CancelAsync();
        await watch;
        return result;
    }

    async Task WatchRevocationAsync(string token, CancellationTokenSource cut)
    {
        try
        {
            while (!cut.IsCancellationRequested)
            {
                await Task.Delay(RevocationCheck, cut.Token);
                if (!tokens.TryValidate(token, out _)) await cut.CancelAsync();
            }
        }
        catch (OperationCanceledException) { }
    }

    static async Task<long> CopyAsync(Stream from, Stream to, Socket toSocket, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer, ct)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, n), ct);
                total += n;
            }
            toSocket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        return total;
    }

    static async Task TryRespondAsync(Stream stream, int status, string phrase, string body, CancellationToken ct)
    {
        try { await RespondAsync(stream, status, phrase, body, ct); }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException) { }
    }

    static async Task RespondAsync(Stream stream, int status, string phrase, string body, CancellationToken ct, string extraHeaders = "")
    {
        var bytes = Encoding.UTF8.GetBytes(body + "\n");
        var head = $"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n{extraHeaders}\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        await stream.WriteAsync(bytes, ct);
    }

    /// <summary>Stops listening and cuts every open connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        foreach (var listener in listeners) listener.Stop();
        await Task.WhenAll(acceptLoops);
        await Task.WhenAll(connections.Keys).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        stopping.Dispose();
        hostAddresses.Dispose();
    }
}
