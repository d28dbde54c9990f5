using System.Net;
using System.Net.Sockets;

namespace NanoClaw.Tests.Support;

/// <summary>Two connected TCP sockets on 127.0.0.1: a real byte channel for tests.</summary>
sealed class LoopbackPair : IDisposable
{
    LoopbackPair(Socket a, Socket b) => (A, B) = (a, b);

    public Socket A { get; }
    public Socket B { get; }

    public static async Task<LoopbackPair> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var a = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accept = listener.AcceptAsync();
        await a.ConnectAsync(listener.LocalEndPoint!);
        var b = await accept;
        b.NoDelay = true;
        return new LoopbackPair(a, b);
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}
