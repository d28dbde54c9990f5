using NanoClaw.Guest;
using NanoClaw.Vm.Firecracker;

namespace NanoClaw.Tests.Guest;

/// <summary>The vsock address shared by host and guest: strict parsing, the exact sockaddr_vm bytes, one agreed port.</summary>
public sealed class VsockAddressTests
{
    [Theory]
    [InlineData("vsock:1024", 1024u)]
    [InlineData("vsock:1", 1u)]
    [InlineData("vsock:4294967294", 4294967294u)]
    public void ParsesAPort(string text, uint port)
    {
        var (address, error) = VsockAddress.Parse(text);

        error.ShouldBeNull();
        address.ShouldBe(new VsockAddress(port));
        address!.ToString().ShouldBe(text);
    }

    [Theory]
    [InlineData("vsock:", "the vsock port must be a decimal number")]
    [InlineData("vsock:0", "the vsock port must be a decimal number")]
    [InlineData("vsock:4294967295", "the vsock port must be a decimal number")]
    [InlineData("vsock:4294967296", "the vsock port must be a decimal number")]
    [InlineData("vsock:+12", "the vsock port must be a decimal number")]
    [InlineData("vsock: 12", "the vsock port must be a decimal number")]
    [InlineData("vsock:0x10", "the vsock port must be a decimal number")]
    [InlineData("vsock:١٢", "the vsock port must be a decimal number")]
    [InlineData("VSOCK:12", "does not start with 'vsock:'")]
    public void RefusesAnythingElse(string text, string why)
    {
        var (address, error) = VsockAddress.Parse(text);

        address.ShouldBeNull();
        error.ShouldNotBeNull().ShouldContain(why);
    }

    [Fact]
    public void TheSockaddrIsStructSockaddrVmForAnyCid()
    {
        // struct sockaddr_vm on x86-64: u16 family (40), u16 reserved, u32 port, u32 cid, u8 flags, u8 zero[3].
        new VsockAddress(1024).Sockaddr().ShouldBe(new byte[] { 40, 0, 0, 0, 0x00, 0x04, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 });
        new VsockAddress(0x01020304).Sockaddr(cid: 3).ShouldBe(new byte[] { 40, 0, 0, 0, 4, 3, 2, 1, 3, 0, 0, 0, 0, 0, 0, 0 });
    }

    [Fact]
    public void HostGuestAndStage2AgreeOnTheControlPort()
    {
        FirecrackerBootSequence.ControlPort.ShouldBe((int)VsockAddress.ControlPort);
        var stage2 = File.ReadAllText(Path.Combine(RepoRoot(), "vm", "guest", "stage2"));
        stage2.ShouldContain($"control=vsock:{VsockAddress.ControlPort}\n");
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NanoClaw.slnx"))) return dir.FullName;
        throw new InvalidOperationException("tests must run inside the checkout");
    }
}
