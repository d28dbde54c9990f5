using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NanoClaw.Tests.Support;

/// <summary>A tiny HTTP server that records request lines and answers every request with one body.</summary>
sealed class ProbeHttpServer : IDisposable
{
    readonly TcpListener listener;

    public ProbeHttpServer(IPEndPoint endpoint, string body)
    {
        listener = new TcpListener(endpoint);
        listener.Start();
        _ = ServeAsync(body);
    }

    public List<string> Requests { get; } = [];

    async Task ServeAsync(string body)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                var buffer = new byte[4096];
                var n = await stream.ReadAsync(buffer);
                var requestLine = Encoding.ASCII.GetString(buffer, 0, n).Split("\r\n")[0];
                lock (Requests) Requests.Add(string.Join(' ', requestLine.Split(' ').Take(2)));
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.0 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}"));
            }
        }
        catch (ObjectDisposedException) { }
        catch (SocketException) { }
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public void Dispose() => listener.Stop();
}
