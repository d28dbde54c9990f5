using System.Diagnostics;
using System.Runtime.Versioning;
using NanoClaw.Guest;
using NanoClaw.Tests.Support;
using NanoClaw.Vm.Image;

namespace NanoClaw.Tests.Vm.Image;

/// <summary>Reading a built initramfs's module load list, on archives made by the real cpio tool.</summary>
[SupportedOSPlatform("linux")]
public sealed class InitrdModulesTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>Packs a folder the way vm/build-initrd.sh does: find . | cpio -H newc | gzip.</summary>
    string Pack(Dictionary<string, string> files)
    {
        var root = temp["root"];
        foreach (var (path, content) in files) temp.Write("root/" + path, content);
        var output = temp["initrd.img"];
        using var sh = Process.Start(new ProcessStartInfo("sh", ["-ec", $"cd '{root}' && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet | gzip -n > '{output}'"]))!;
        sh.WaitForExit();
        sh.ExitCode.ShouldBe(0);
        return output;
    }

    [Fact]
    public void ReadsTheLoadListInOrder()
    {
        var initrd = Pack(new()
        {
            ["init"] = new string('x', 1001),
            ["lib/modules/virtio.ko"] = "elf",
            ["lib/modules/modules.load"] = "virtio\nvsock\nvmw_vsock_virtio_transport_common\nvmw_vsock_virtio_transport\n",
        });

        InitrdModules.Read(initrd).ShouldBe(["virtio", "vsock", "vmw_vsock_virtio_transport_common", "vmw_vsock_virtio_transport"]);
        var (missing, error) = InitrdModules.MissingVsock(initrd);
        error.ShouldBeNull();
        missing.ShouldNotBeNull().ShouldBeEmpty();
        VsockGuest.Of(new VmArtifacts("k", initrd, "r", "h")).ShouldBe(new VsockGuest(true, "the image's guest listens on vsock"));
    }

    [Fact]
    public void AnOlderImageWithoutVsockIsNamedWithTheFix()
    {
        var initrd = Pack(new() { ["lib/modules/modules.load"] = "virtio_ring\nvirtio\nvirtio_console\noverlay\n" });

        var guest = VsockGuest.Of(new VmArtifacts("k", initrd, "r", "h"));

        guest.Ready.ShouldBeFalse();
        guest.Reason.ShouldBe("the VM image's initramfs lacks vsock, vmw_vsock_virtio_transport_common, vmw_vsock_virtio_transport (rebuild it: `sudo ./nanoclaw setup`)");
    }

    [Fact]
    public void NoImageOrAnUnreadableOneIsNotReady()
    {
        VsockGuest.Of(null).Reason.ShouldContain("not built yet");
        var notCpio = temp.Write("bad.img", "this is not gzip");

        var guest = VsockGuest.Of(new VmArtifacts("k", notCpio, "r", "h"));

        guest.Ready.ShouldBeFalse();
        guest.Reason.ShouldStartWith($"cannot read {notCpio}");
    }
}

/// <summary>The image the VM tests boot (built by this checkout's recipe) carries the guest side Firecracker needs.</summary>
[Collection(VmCollection.Name)]
public sealed class VmImageVsockTests(VmTestEnvironment env)
{
    [Fact]
    public void TheBuiltImageLoadsTheVsockModulesInDependencyOrder()
    {
        var modules = InitrdModules.Read(env.Artifacts.Initrd).ToList();

        VsockGuest.Of(env.Artifacts).Ready.ShouldBeTrue();
        modules.IndexOf("vsock").ShouldBeLessThan(modules.IndexOf("vmw_vsock_virtio_transport_common"));
        modules.IndexOf("vmw_vsock_virtio_transport_common").ShouldBeLessThan(modules.IndexOf("vmw_vsock_virtio_transport"));
        modules.IndexOf("virtio_ring").ShouldBeLessThan(modules.IndexOf("vmw_vsock_virtio_transport"));
    }
}
