using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Tests.Support;
using NanoClaw.Vm;
using NanoClaw.Vm.Firecracker;
using NanoClaw.Vm.Image;

namespace NanoClaw.Tests.Vm.Firecracker;

/// <summary>
/// The backend's lifecycle with STAND-IN executables in place of the firecracker binary (which
/// needs KVM): shell scripts that forward the API socket to <see cref="FakeFirecrackerApi"/>,
/// never create it, or die at once.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class FirecrackerMicroVmTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    VmSpec Spec()
    {
        var artifacts = new VmArtifacts(temp.Write("img/vmlinuz", "bz"), temp.Write("img/initrd.img", "i"),
            temp.Write("img/rootfs.ext4", "r"), "h", Vmlinux: temp.Write("img/vmlinux", "elf"));
        return new VmSpec("run1", artifacts, 256, 1, 9, temp["vms/run1"], temp["logs/run1.console.log"]);
    }

    string StandIn(string body)
    {
        var path = temp.Write("bin/firecracker", "#!/bin/bash\n" + body + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    static FirecrackerVmm Vmm(string binary, TimeSpan? socketBound = null, TimeSpan? controlBound = null) =>
        new(new FirecrackerOptions(binary)
        {
            SocketBound = socketBound ?? TimeSpan.FromSeconds(10),
            ControlBound = controlBound ?? TimeSpan.FromSeconds(10),
        }, NullLogger<FirecrackerVmm>.Instance);

    /// <summary>argv is `--api-sock PATH`: socat listens there and forwards each connection to the fake.</summary>
    string ForwardingStandIn() => StandIn($"exec socat UNIX-LISTEN:\"$2\",fork UNIX-CONNECT:{temp["fake.sock"]}");

    [Fact]
    public async Task BootsConfiguresAndConnectsTheControlChannelOverVsock()
    {
        await using var fake = await FakeFirecrackerApi.StartAsync(temp["fake.sock"]);
        var spec = Spec();

        await using (var vm = await Vmm(ForwardingStandIn()).BootAsync(spec, CancellationToken.None))
        {
            using var reader = new StreamReader(vm.Control, Encoding.UTF8, leaveOpen: true);
            (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10))).ShouldBe("{\"type\":\"ready\"}");
            fake.Accepted.Select(a => a.Split(' ')[1]).ShouldBe(["/boot-source", "/drives/rootfs", "/machine-config", "/vsock", "/actions"]);
            fake.Resources["boot-source"].GetProperty("kernel_image_path").GetString().ShouldBe(spec.Artifacts.Vmlinux);
            vm.Exited.IsCompleted.ShouldBeFalse();
        }

        Directory.Exists(spec.RunDir).ShouldBeFalse();
        // socat's forked children end when their connections close, just after the parent.
        await Eventually.True(() => ProcessTable.Mentioning(spec.RunDir).Count == 0, "no stand-in process of the run is left");
    }

    [Fact]
    public async Task ExtraDisksGetTheIdsFirecrackerWillShowTheGuestAndAWritableOneIsAPrivateCopy()
    {
        await using var fake = await FakeFirecrackerApi.StartAsync(temp["fake.sock"]);
        var readOnly = temp.Write("cache/folders/a/image.ext4", "read-only image");
        var writable = temp.Write("cache/folders/b/image.ext4", "writable image");
        var spec = Spec() with { ExtraDisks = [new VmDisk(readOnly), new VmDisk(writable, Writable: true)] };

        await using (var vm = await Vmm(ForwardingStandIn()).BootAsync(spec, CancellationToken.None))
        {
            var files = new[] { "drives/extra0", "drives/extra1" }.Select(d => fake.Resources[d].GetProperty("path_on_host").GetString()!).ToList();
            // What Firecracker opens: the cached image itself (read-only), and a copy in the run folder (writable).
            StatIds(files[0]).ShouldBe(StatIds(readOnly));
            files[1].ShouldStartWith(spec.RunDir);
            StatIds(files[1]).ShouldNotBe(StatIds(writable));
            File.ReadAllText(files[1]).ShouldBe("writable image");
            // The guest finds each disk by the id Firecracker derives from that file: st_dev, st_rdev, st_ino.
            vm.ExtraDiskSerials.ShouldBe([.. files.Select(f => StatIds(f).Replace(" ", "", StringComparison.Ordinal))]);
            vm.ExtraDiskSerials.ShouldAllBe(id => id.Length <= FirecrackerDisks.IdBytes);
        }
        File.ReadAllText(writable).ShouldBe("writable image");
        Directory.Exists(spec.RunDir).ShouldBeFalse();
    }

    /// <summary>coreutils' view of a file's ids, "dev rdev inode", as an independent check of the host's statx.</summary>
    static string StatIds(string path)
    {
        var psi = new ProcessStartInfo("stat") { RedirectStandardOutput = true };
        foreach (var arg in new[] { "-L", "-c", "%d %r %i", path }) psi.ArgumentList.Add(arg);
        using var stat = Process.Start(psi)!;
        var text = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return text;
    }

    [Fact]
    public async Task AVmmThatDiesAfterBootCompletesExitedAndDisposeCleansUp()
    {
        await using var fake = await FakeFirecrackerApi.StartAsync(temp["fake.sock"]);
        var spec = Spec();
        var vm = (FirecrackerMicroVm)await Vmm(ForwardingStandIn()).BootAsync(spec, CancellationToken.None);

        Process.GetProcessById(vm.Pid).Kill();
        var exit = await vm.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        await vm.DisposeAsync();

        exit.ExitCode.ShouldNotBe(0);
        Directory.Exists(spec.RunDir).ShouldBeFalse();
    }

    [Fact]
    public async Task AnApiSocketThatNeverAppearsFailsWithinTheBoundAndLeavesNothing()
    {
        var spec = Spec();
        var watch = Stopwatch.StartNew();

        var e = await Should.ThrowAsync<VmBootException>(
            () => Vmm(StandIn("exec -a \"sleeper $2\" sleep 600"), socketBound: TimeSpan.FromSeconds(1)).BootAsync(spec, CancellationToken.None));

        e.Message.ShouldContain("did not open its API socket");
        e.Message.ShouldContain("within 1 s");
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
        Directory.Exists(spec.RunDir).ShouldBeFalse();
        ProcessTable.Mentioning(spec.RunDir).ShouldBeEmpty();
    }

    [Fact]
    public async Task AVmmThatDiesMidBootFailsWithItsOwnWords()
    {
        var spec = Spec();

        var e = await Should.ThrowAsync<VmBootException>(
            () => Vmm(StandIn("echo 'Error creating the Kvm object: No such file' >&2; exit 3")).BootAsync(spec, CancellationToken.None));

        e.Message.ShouldContain("exited with code 3 before its API socket");
        e.Message.ShouldContain("Error creating the Kvm object");
        Directory.Exists(spec.RunDir).ShouldBeFalse();
        File.ReadAllText(spec.ConsoleLogPath).ShouldContain("[firecracker] Error creating the Kvm object");
    }

    [Fact]
    public async Task AGuestThatNeverListensOnVsockFailsWithinTheControlBound()
    {
        await using var fake = await FakeFirecrackerApi.StartAsync(temp["fake.sock"]);
        fake.GuestListens = false;
        var spec = Spec();

        var e = await Should.ThrowAsync<VmBootException>(
            () => Vmm(ForwardingStandIn(), controlBound: TimeSpan.FromSeconds(1)).BootAsync(spec, CancellationToken.None));

        e.Message.ShouldContain("no guest listener accepted vsock port 1024");
        Directory.Exists(spec.RunDir).ShouldBeFalse();
    }

    /// <summary>The socket file appears at bind(), before listen(): a request sent in that moment is refused (CI saw
    /// it once, as an HttpRequestException out of the boot), so the wait asks for a listener, not for the file.</summary>
    [Fact]
    public async Task TheApiSocketCountsAsOpenOnlyOnceSomethingListensOnIt()
    {
        var path = temp["api.sock"];
        (await UnixSocket.TryConnectAsync(path, CancellationToken.None)).ShouldBeNull();

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        File.Exists(path).ShouldBeTrue();
        (await UnixSocket.TryConnectAsync(path, CancellationToken.None)).ShouldBeNull();

        socket.Listen();
        await using var accepted = await UnixSocket.TryConnectAsync(path, CancellationToken.None);
        accepted.ShouldNotBeNull();
    }

    [Fact]
    public async Task AnImageWithoutVmlinuxIsRefusedBeforeAnythingStarts()
    {
        var spec = Spec() is var s ? s with { Artifacts = s.Artifacts with { Vmlinux = null } } : null!;

        var e = await Should.ThrowAsync<VmBootException>(() => Vmm("/nonexistent/firecracker").BootAsync(spec, CancellationToken.None));

        e.Message.ShouldContain("no uncompressed vmlinux");
        Directory.Exists(spec.RunDir).ShouldBeFalse();
    }

    [Fact]
    public async Task AMissingBinaryIsNamed()
    {
        var spec = Spec();

        var e = await Should.ThrowAsync<VmBootException>(() => Vmm(temp["bin/none"]).BootAsync(spec, CancellationToken.None));

        e.Message.ShouldContain("install the pinned Firecracker release");
        Directory.Exists(spec.RunDir).ShouldBeFalse();
    }
}
