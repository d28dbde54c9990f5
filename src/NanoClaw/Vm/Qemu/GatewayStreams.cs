using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NanoClaw.Guest;

namespace NanoClaw.Vm.Qemu;

/// <summary>
/// The host end of a QEMU VM's gateway streams (docs/gateway-streams.md): the VM's virtio-serial port
/// <see cref="QemuCommandLine.NetPortName"/> carries every TCP connection the guest makes to 10.0.2.100, and this
/// connects each to 127.0.0.1:<see cref="VmSpec.GatewayPort"/> (guest port 80) or <see cref="VmSpec.ProxyPort"/>
/// (guest port 3128), nothing else, in this process: no host process per connection. A protocol error ends the
/// VM's streams (logged); its gateway connections then fail and so does the run, never the host.
/// </summary>
internal sealed class GatewayStreams : IAsyncDisposable
{
    static readonly TimeSpan ConnectBound = TimeSpan.FromSeconds(10);

    readonly NetworkStream _channel;
    readonly VmSpec _spec;
    readonly ILogger _logger;
    readonly Task _watch;

    GatewayStreams(NetworkStream channel, VmSpec spec, ILogger logger, int maxStreams)
    {
        (_channel, _spec, _logger) = (channel, spec, logger);
        Mux = GatewayMux.Host(channel, channel, ConnectAsync, reason => logger.GatewayStreamRefused(spec.RunId, reason), maxStreams);
        _watch = WatchAsync();
    }

    public GatewayMux Mux { get; }

    public static GatewayStreams Start(NetworkStream channel, VmSpec spec, ILogger logger, int maxStreams = GatewayMux.DefaultMaxStreams) =>
        new(channel, spec, logger, maxStreams);

    /// <summary>Where a guest port leads on the host: only the gateway's two ports; 0: nowhere.</summary>
    public static int HostPort(VmSpec spec, ushort guestPort) => guestPort switch
    {
        GatewayMux.GuestGatewayPort => spec.GatewayPort,
        GatewayMux.GuestProxyPort when spec.ProxyPort > 0 => spec.ProxyPort,
        _ => 0,
    };

    async Task<Socket?> ConnectAsync(ushort guestPort, CancellationToken ct)
    {
        var port = HostPort(_spec, guestPort);
        if (port == 0)
        {
            _logger.GatewayStreamRefused(_spec.RunId, $"a stream to guest port {guestPort}, which leads nowhere (only {GatewayMux.GuestGatewayPort} and {GatewayMux.GuestProxyPort})");
            return null;
        }
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bound.CancelAfter(ConnectBound);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), bound.Token).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    async Task WatchAsync()
    {
        try
        {
            await Mux.Completion.ConfigureAwait(false);
        }
        catch (GuestProtocolException e)
        {
            _logger.GatewayStreamsBroken(_spec.RunId, GuestText.Escape(e.Message));
        }
    }

    /// <summary>Closes every stream and the channel; says how many opens were refused, if any.</summary>
    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync().ConfigureAwait(false);
        await Mux.DisposeAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(false);
        if (Mux.Refused > 0) _logger.GatewayStreamsRefusedTotal(_spec.RunId, Mux.Refused, Mux.Opened, Mux.PeakStreams);
    }
}
