using System.Net.Sockets;

namespace NanoClaw.Vm;

/// <summary>Connecting to a socket a VMM is still setting up.</summary>
public static class UnixSocket
{
    /// <summary>
    /// A connection to the Unix socket at <paramref name="path"/>, or null while nothing accepts there yet: the file is
    /// missing, or it exists but is refused (it appears at <c>bind()</c>, a moment before <c>listen()</c>). Callers retry.
    /// </summary>
    public static async Task<NetworkStream?> TryConnectAsync(string path, CancellationToken ct)
    {
        if (!File.Exists(path)) return null;
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }
}
