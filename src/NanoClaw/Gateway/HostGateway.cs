using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Protocol;
using NanoClaw.Gateway.Credentials;
using NanoClaw.Gateway.Egress;
using NanoClaw.Gateway.Tools;
using NanoClaw.Usage;

namespace NanoClaw.Gateway;

/// <summary>
/// The one host endpoint a VM can reach. Listens on 127.0.0.1 on a free port (the VMM forwards the guest's single
/// gateway address here) and routes:
/// <c>/v1/**</c> to the <see cref="CredentialProxy"/>; <c>/api/hello</c> (Claude Code's connectivity probe) answered
/// locally; <c>/mcp</c> to the <c>nanoclaw</c> MCP server (the agent tools, authorized by the run's token);
/// everything else 404. The egress proxy (<see cref="EgressProxy"/>, the VMs' web access) listens on ports of its own.
/// With TAP networking (<see cref="GatewayListen"/>) both also listen on the bridge address, on fixed ports.
/// </summary>
public sealed class HostGateway : IAsyncDisposable
{
    /// <summary>Above the Messages API's own 32 MB request limit, so the upstream, not we, decides.</summary>
    const long MaxRequestBodyBytes = 64L * 1024 * 1024;

    readonly WebApplication app;
    readonly HttpMessageInvoker upstreamClient;

    HostGateway(WebApplication app, HttpMessageInvoker upstreamClient, AgentTools? tools, int port, EgressProxy egress, GuestEndpoints guest, UsageMeter? usage)
    {
        (this.app, this.upstreamClient, Tools, Port, Egress, Guest, Usage) = (app, upstreamClient, tools, port, egress, guest, usage);
        BaseUrl = new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>Accounting and budgets of the Messages API calls; null: calls pass unmetered (tests of other parts).</summary>
    public UsageMeter? Usage { get; }

    /// <summary>The API and MCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The egress proxy; its first endpoint is on 127.0.0.1.</summary>
    public EgressProxy Egress { get; }

    /// <summary>The egress proxy's port on 127.0.0.1 (where a QEMU guest's 10.0.2.100:3128 arrives, over the gateway streams).</summary>
    public int ProxyPort => Egress.Endpoints[0].Port;

    /// <summary>How guests reach this gateway and its proxy.</summary>
    public GuestEndpoints Guest { get; }

    /// <summary>What a guest's ANTHROPIC_BASE_URL points at (through the VMM's forward).</summary>
    public Uri BaseUrl { get; }

    /// <summary>The agent tools served at <c>/mcp</c>, given at start; null: a gateway without them (tests of other parts).</summary>
    public AgentTools? Tools { get; }

    /// <param name="listen">TAP networking: also listen on the bridge address. Null: loopback only (no TAP: the gateway streams connect there).</param>
    /// <param name="resolver">The egress proxy's DNS (tests map names to chosen addresses); null: the system's.</param>
    /// <param name="egressOptions">The egress proxy's CONNECT ports and host-address source; null: 443 only, this host's interfaces.</param>
    /// <param name="tools">The agent tools <c>/mcp</c> serves; null: every tool call is answered with an error saying there are none.</param>
    public static async Task<HostGateway> StartAsync(UpstreamCredential upstream, RunTokens tokens,
        ILoggerFactory? loggerFactory = null, TimeProvider? time = null, CancellationToken cancellationToken = default,
        GatewayListen? listen = null, HostResolver? resolver = null, EgressProxyOptions? egressOptions = null, UsageMeter? usage = null,
        AgentTools? tools = null)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(tokens);
        loggerFactory ??= NullLoggerFactory.Instance;

        // An empty builder: no appsettings, no ASPNETCORE_* environment, nothing that could change where we listen.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            if (listen is not null) kestrel.Listen(listen.BridgeAddress, listen.GatewayPort);
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(loggerFactory);
        if (tools is not null) builder.Services.AddSingleton(tools);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddMcpServer(mcp => mcp.ServerInfo = new Implementation { Name = "nanoclaw", Version = "1.0" })
            // Stateless: every POST stands alone and carries its token, so nothing outlives a run on our side.
            .WithHttpTransport(http => http.Stateless = true)
            .WithTools<NanoClawMcpTools>()
            .WithRequestFilters(filters => filters.AddCallToolFilter(StrictToolArguments.Filter));
        var app = builder.Build();

        var upstreamClient = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None, // bytes pass through as the upstream encoded them
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        });
        var proxy = new CredentialProxy(tokens, upstream, upstreamClient, loggerFactory.CreateLogger<CredentialProxy>(), time ?? TimeProvider.System, usage);

        // Routes.
        app.Use(McpAuthentication.Middleware(tokens));
        app.MapMcp(McpAuthentication.Path);
        app.Map("/v1/{**rest}", proxy.HandleAsync);
        app.MapMethods("/api/hello", ["GET", "HEAD"], () => Results.Ok());
        app.MapFallback(context => CredentialProxy.WriteErrorAsync(context, StatusCodes.Status404NotFound, "not_found_error",
            $"The NanoClaw gateway serves /v1/* (the Messages API) and /mcp only, not {context.Request.Path}."));

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            upstreamClient.Dispose();
            throw;
        }
        var loopback = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a)).Single(u => u.Host == "127.0.0.1");
        EgressProxy egress;
        try
        {
            IPEndPoint[] proxyEndpoints = listen is null
                ? [new(IPAddress.Loopback, 0)]
                : [new(IPAddress.Loopback, 0), new(listen.BridgeAddress, listen.ProxyPort)];
            egress = EgressProxy.Start(tokens, proxyEndpoints, loggerFactory.CreateLogger<EgressProxy>(), resolver,
                egressOptions ?? new EgressProxyOptions { Time = time ?? TimeProvider.System });
        }
        catch
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            upstreamClient.Dispose();
            throw;
        }
        return new HostGateway(app, upstreamClient, tools, loopback.Port, egress, listen?.Guest ?? GuestEndpoints.UserNetworking, usage);
    }

    /// <summary>Stops listening (in-flight requests get up to 5 s) and releases the upstream connections.</summary>
    public async ValueTask DisposeAsync()
    {
        await Egress.DisposeAsync();
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
            await app.StopAsync(stopping.Token);
        await app.DisposeAsync();
        upstreamClient.Dispose();
    }
}
