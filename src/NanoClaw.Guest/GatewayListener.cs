using System.Net;
using System.Net.Sockets;

namespace NanoClaw.Guest;

/// <summary>
/// <c>nanoclaw-guest --gateway-streams DEVICE READY-FILE</c>: the guest end of the gateway streams
/// (docs/gateway-streams.md). Stage 2 starts it in the background before anything else runs, when QEMU gave the VM
/// the <c>nanoclaw.net</c> port instead of a NIC. It listens on 10.0.2.100:80 and :3128 (an address stage 2 puts on
/// <c>lo</c>, so <c>gateway.nanoclaw</c> and every URL the guest is given keep working), carries each accepted
/// connection to the host as one stream, and creates READY-FILE once it listens. It runs until the port closes.
/// </summary>
static class GatewayListener
{
    public const string Option = "--gateway-streams";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args.Count != 3 || args[0] != Option)
        {
            await Console.Error.WriteLineAsync($"usage: nanoclaw-guest {Option} DEVICE READY-FILE").ConfigureAwait(false);
            return 2;
        }
        // One descriptor, two unbuffered streams: a blocked read never holds up writes (as the control channel).
        using var handle = File.OpenHandle(args[1], FileMode.Open, FileAccess.ReadWrite);
        await using var input = new FileStream(handle, FileAccess.Read, 0);
        await using var output = new FileStream(handle, FileAccess.Write, 0);
        var mux = GatewayMux.Guest(input, output, note => Console.Error.WriteLine($"nanoclaw-guest: gateway streams: {note}"));
        var address = IPAddress.Parse(GatewayMux.GuestAddress);
        using var gateway = Listen(address, GatewayMux.GuestGatewayPort);
        using var proxy = Listen(address, GatewayMux.GuestProxyPort);
        await File.WriteAllTextAsync(args[2], "").ConfigureAwait(false);
        _ = AcceptAsync(gateway, mux, GatewayMux.GuestGatewayPort);
        _ = AcceptAsync(proxy, mux, GatewayMux.GuestProxyPort);
        try
        {
            await mux.Completion.ConfigureAwait(false);
            await Console.Error.WriteLineAsync("nanoclaw-guest: gateway streams: the host closed the port").ConfigureAwait(false);
            return 0;
        }
        catch (GuestProtocolException e)
        {
            await Console.Error.WriteLineAsync($"nanoclaw-guest: gateway streams: protocol error: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    static Socket Listen(IPAddress address, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(new IPEndPoint(address, port));
        socket.Listen(512);
        return socket;
    }

    static async Task AcceptAsync(Socket listener, GatewayMux mux, ushort port)
    {
        while (true)
        {
            Socket accepted;
            try { accepted = await listener.AcceptAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            accepted.NoDelay = true;
            _ = mux.CarryAsync(accepted, port);
        }
    }
}
