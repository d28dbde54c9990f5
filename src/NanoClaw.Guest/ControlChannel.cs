using Microsoft.Win32.SafeHandles;

namespace NanoClaw.Guest;

/// <summary>The byte streams to the host: a virtio-serial port in a QEMU VM (opened once: such a port
/// allows a single open), one accepted vsock connection under Firecracker, or stdin/stdout when testing on a host.</summary>
sealed class ControlChannel : IDisposable
{
    readonly SafeFileHandle? _handle;

    ControlChannel(Stream input, Stream output, SafeFileHandle? handle) => (Input, Output, _handle) = (input, output, handle);

    public Stream Input { get; }
    public Stream Output { get; }

    public static ControlChannel Open(GuestOptions options)
    {
        if (options.UsesStdio)
            return new ControlChannel(Console.OpenStandardInput(), Console.OpenStandardOutput(), null);
        var handle = options.Vsock is { } vsock
            ? VsockListener.AcceptOne(vsock)
            : File.OpenHandle(options.Control, FileMode.Open, FileAccess.ReadWrite);
        // Two unbuffered streams over one descriptor: a read blocked on one never holds up writes on the other.
        return new ControlChannel(new FileStream(handle, FileAccess.Read, 0), new FileStream(handle, FileAccess.Write, 0), handle);
    }

    public void Dispose()
    {
        Output.Flush();
        _handle?.Dispose();
    }
}
