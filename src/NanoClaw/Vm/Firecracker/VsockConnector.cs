using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace NanoClaw.Vm.Firecracker;

/// <summary>
/// Host-initiated connections to a guest vsock port through Firecracker's vsock Unix socket:
/// connect to the socket, write <c>CONNECT &lt;port&gt;\n</c>, and Firecracker answers
/// <c>OK &lt;host port&gt;\n</c> once the guest accepted; if no guest process listens on the port,
/// Firecracker closes the connection instead, so we retry until the guest is up or the bound passes.
/// </summary>
public static class VsockConnector
{
    public static async Task<NetworkStream> ConnectAsync(string udsPath, int port, TimeSpan bound, Func<bool> vmGone, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        string last = "the vsock socket did not appear";
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (vmGone()) throw new VmBootException($"the VM exited before its guest accepted a vsock connection on port {port} ({last})");
            if (File.Exists(udsPath))
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                var stream = default(NetworkStream);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(udsPath), ct);
                    stream = new NetworkStream(socket, ownsSocket: true);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {port}\n"), ct);
                    var answer = await ReadLineAsync(stream, ct);
                    if (answer is not null && answer.StartsWith("OK ", StringComparison.Ordinal)) return stream;
                    last = answer is null ? "no guest listener yet (connection closed)" : $"unexpected answer \"{answer}\"";
                }
                catch (Exception e) when (e is SocketException or IOException)
                {
                    last = e.Message;
                }
                if (stream is not null) await stream.DisposeAsync();
                else socket.Dispose();
            }
            if (deadline.Elapsed > bound)
                throw new VmBootException($"no guest listener accepted vsock port {port} on {udsPath} within {bound.TotalSeconds:F0} s: {last}");
            await Task.Delay(50, ct);
        }
    }

    /// <summary>Reads one '\n'-terminated line byte by byte, so nothing of the guest's stream after it is consumed.</summary>
    static async Task<string?> ReadLineAsync(NetworkStream stream, CancellationToken ct)
    {
        var line = new StringBuilder();
        var b = new byte[1];
        while (line.Length < 64)
        {
            if (await stream.ReadAsync(b, ct) == 0) return null;
            if (b[0] == '\n') return line.ToString();
            line.Append((char)b[0]);
        }
        return line.ToString();
    }
}
