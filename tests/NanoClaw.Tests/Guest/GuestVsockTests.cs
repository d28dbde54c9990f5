using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using NanoClaw.Guest;

namespace NanoClaw.Tests.Guest;

/// <summary>
/// The real guest agent binary with <c>--control vsock:PORT</c>, on this host's own AF_VSOCK. Listening can be proven
/// anywhere the kernel has vsock (the port is then taken); accepting a connection needs a vsock transport that
/// reaches this host from itself (vsock_loopback), which many hosts, and VMs, do not have.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class GuestVsockTests
{
    [Theory]
    [InlineData("vsock:0")]
    [InlineData("vsock:x")]
    [InlineData("vsock:")]
    public async Task ABadVsockPortIsRefusedWithUsage(string control)
    {
        using var guest = Start(control);
        var stderr = await guest.StandardError.ReadToEndAsync();
        await guest.WaitForExitAsync();

        guest.ExitCode.ShouldBe(2);
        stderr.ShouldContain($"--control '{control}': the vsock port must be a decimal number from 1 to 4294967294");
        stderr.ShouldContain("usage: nanoclaw-guest --control PATH|vsock:PORT|stdio");
    }

    [VsockFact]
    public async Task TheGuestListensOnItsVsockPort()
    {
        var port = (uint)Random.Shared.Next(20_000, 60_000);
        using var guest = Start($"vsock:{port}");
        try
        {
            // Nothing else binds this port: once our own bind fails with EADDRINUSE, the agent holds it.
            await Support.Eventually.True(() => Vsock.BindFails(port) == Vsock.EAddrInUse || guest.HasExited,
                $"the guest agent listens on vsock port {port}", TimeSpan.FromSeconds(15));
            if (guest.HasExited) throw new ShouldAssertException("the guest agent exited instead of listening: " + await guest.StandardError.ReadToEndAsync());
            Vsock.BindFails(port).ShouldBe(Vsock.EAddrInUse);
        }
        finally
        {
            guest.Kill();
            await guest.WaitForExitAsync();
        }
    }

    [VsockLoopbackFact]
    public async Task TheGuestAcceptsOneHostConnectionAndSaysReady()
    {
        var port = (uint)Random.Shared.Next(20_000, 60_000);
        using var guest = Start($"vsock:{port}");
        try
        {
            await Support.Eventually.True(() => Vsock.BindFails(port) == Vsock.EAddrInUse, "the guest agent listens", TimeSpan.FromSeconds(15));
            using var stream = Vsock.Connect(Vsock.CidLocal, port);
            var reader = new GuestFrameReader(stream, 1 << 20);
            (await reader.ReadAsync<GuestToHostFrame>(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10))).ShouldBeOfType<ReadyFrame>();
            // One connection only: the listener is closed once the host is in.
            Should.Throw<IOException>(() => Vsock.Connect(Vsock.CidLocal, port).Dispose());
        }
        finally
        {
            guest.Kill();
            await guest.WaitForExitAsync();
        }
    }

    static Process Start(string control)
    {
        var psi = new ProcessStartInfo(GuestHarness.GuestBinary) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var arg in new[] { "--control", control, "--root", Path.GetTempPath(), "--claude", "/bin/false" }) psi.ArgumentList.Add(arg);
        return Process.Start(psi)!;
    }
}

/// <summary>This host's AF_VSOCK, from the test side.</summary>
[SupportedOSPlatform("linux")]
internal static class Vsock
{
    public const int EAddrInUse = 98;
    public const uint CidLocal = 1;

    [DllImport("libc", SetLastError = true)] static extern int socket(int domain, int type, int protocol);
    [DllImport("libc", SetLastError = true)] static extern int bind(int fd, byte[] address, int length);
    [DllImport("libc", SetLastError = true)] static extern int connect(int fd, byte[] address, int length);
    [DllImport("libc", SetLastError = true)] static extern int close(int fd);

    /// <summary>Why AF_VSOCK sockets cannot be made here, or null.</summary>
    public static string? Unavailable()
    {
        var fd = socket(VsockAddress.AddressFamily, 1, 0);
        if (fd < 0) return $"this kernel has no AF_VSOCK ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})";
        close(fd);
        return null;
    }

    /// <summary>Binds and releases the port: 0 when it was free, else errno.</summary>
    public static int BindFails(uint port)
    {
        var fd = socket(VsockAddress.AddressFamily, 1, 0);
        try
        {
            var sockaddr = new VsockAddress(port).Sockaddr();
            return bind(fd, sockaddr, sockaddr.Length) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        finally { close(fd); }
    }

    public static FileStream Connect(uint cid, uint port)
    {
        var fd = socket(VsockAddress.AddressFamily, 1, 0);
        var sockaddr = new VsockAddress(port).Sockaddr(cid);
        if (connect(fd, sockaddr, sockaddr.Length) != 0)
        {
            var error = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
            close(fd);
            throw new IOException($"connect(vsock {cid}:{port}): {error}");
        }
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.ReadWrite, 0);
    }

    /// <summary>Whether a vsock connection from this host to itself can work: the loopback transport is loaded.</summary>
    public static string? NoLoopback() =>
        Unavailable() ?? (Directory.Exists("/sys/module/vsock_loopback") ? null
            : "this kernel has no vsock loopback transport (module vsock_loopback not loaded; CONFIG_VSOCKETS_LOOPBACK), so nothing on this host can connect to its own vsock port; GuestVsockInVmTests covers the accept path inside a VM");
}

public sealed class VsockFactAttribute : FactAttribute
{
    public VsockFactAttribute()
    {
        if (OperatingSystem.IsLinux() && Vsock.Unavailable() is { } reason) Skip = reason;
    }
}

public sealed class VsockLoopbackFactAttribute : FactAttribute
{
    public VsockLoopbackFactAttribute()
    {
        if (OperatingSystem.IsLinux() && Vsock.NoLoopback() is { } reason) Skip = reason;
    }
}
