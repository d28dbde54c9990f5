using System.Net;
using System.Net.Sockets;

namespace NanoClaw.Tests.Support;

/// <summary>A TCP server on 127.0.0.1 that runs <c>serve</c> for each connection and counts them (open now, most at once).</summary>
sealed class StubTcpServer : IDisposable
{
    readonly Socket listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    readonly Func<Socket, Task> serve;
    int open, peak, accepted;

    public StubTcpServer(Func<Socket, Task> serve)
    {
        this.serve = serve;
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(512);
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndPoint!).Port;
    public int Open => Volatile.Read(ref open);
    public int Peak => Volatile.Read(ref peak);
    public int Accepted => Volatile.Read(ref accepted);

    /// <summary>Echoes every byte until the client half-closes, then closes.</summary>
    public static StubTcpServer Echo() => new(async s =>
    {
        var buffer = new byte[8192];
        int n;
        while ((n = await s.ReceiveAsync(buffer)) > 0) await s.SendAsync(buffer.AsMemory(0, n));
        s.Shutdown(SocketShutdown.Send);
    });

    async Task AcceptAsync()
    {
        while (true)
        {
            Socket s;
            try { s = await listener.AcceptAsync(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            Interlocked.Increment(ref accepted);
            var now = Interlocked.Increment(ref open);
            int seen;
            while (now > (seen = Volatile.Read(ref peak)) && Interlocked.CompareExchange(ref peak, now, seen) != seen) { }
            _ = Task.Run(async () =>
            {
                try { await serve(s); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException) { }
                finally
                {
                    s.Dispose();
                    Interlocked.Decrement(ref open);
                }
            });
        }
    }

    public void Dispose() => listener.Dispose();
}
