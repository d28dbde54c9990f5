using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace NanoClaw.Guest;

/// <summary>
/// The guest end of the control channel under Firecracker: listen on a vsock port of this VM (any CID) and accept
/// exactly one connection, the host's. Firecracker turns the host's <c>CONNECT port</c> on its Unix socket into that
/// connection. Raw libc calls: .NET's Socket has no AF_VSOCK end point, and a descriptor is all the channel needs.
/// </summary>
static class VsockListener
{
    const int SockStream = 1, SockCloexec = 0x80000;

    [DllImport("libc", EntryPoint = "socket", SetLastError = true)]
    static extern int Socket(int domain, int type, int protocol);

    [DllImport("libc", EntryPoint = "bind", SetLastError = true)]
    static extern int Bind(int fd, byte[] address, int length);

    [DllImport("libc", EntryPoint = "listen", SetLastError = true)]
    static extern int Listen(int fd, int backlog);

    [DllImport("libc", EntryPoint = "accept4", SetLastError = true)]
    static extern int Accept4(int fd, IntPtr address, IntPtr length, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    static extern int Close(int fd);

    /// <summary>
    /// Blocks until the host connects, then closes the listener (a second connection is refused by the kernel) and
    /// returns the connected descriptor. Throws <see cref="IOException"/> naming the failed call.
    /// </summary>
    public static SafeFileHandle AcceptOne(VsockAddress address)
    {
        var listener = Socket(VsockAddress.AddressFamily, SockStream | SockCloexec, 0);
        if (listener < 0) throw Error("socket(AF_VSOCK) (is the vsock module loaded?)");
        try
        {
            var sockaddr = address.Sockaddr();
            if (Bind(listener, sockaddr, sockaddr.Length) != 0) throw Error($"bind({address})");
            if (Listen(listener, 1) != 0) throw Error($"listen({address})");
            int connection;
            // EINTR: a signal arrived while we waited; just wait again.
            while ((connection = Accept4(listener, IntPtr.Zero, IntPtr.Zero, SockCloexec)) < 0 && Marshal.GetLastPInvokeError() == 4) { }
            if (connection < 0) throw Error($"accept({address})");
            return new SafeFileHandle(connection, ownsHandle: true);
        }
        finally
        {
            Close(listener);
        }
    }

    static IOException Error(string call) => new($"{call} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
}
