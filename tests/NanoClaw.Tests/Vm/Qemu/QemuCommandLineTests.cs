using NanoClaw.Runs;
using NanoClaw.Vm;
using NanoClaw.Vm.Image;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Tests.Vm.Qemu;

public sealed class QemuCommandLineTests
{
    static readonly VmSpec Spec = new("run1", new VmArtifacts("/c/vmlinuz", "/c/initrd.img", "/c/rootfs.ext4", "abc"),
        MemoryMb: 1024, Cpus: 2, GatewayPort: 41234, RunDir: "/h/data/vms/run1", ConsoleLogPath: "/h/logs/run1.log");

    static string Option(IReadOnlyList<string> args, string name, string startsWith) =>
        args.Where((a, i) => i > 0 && args[i - 1] == name && a.StartsWith(startsWith, StringComparison.Ordinal)).Single();

    [Fact]
    public void TheSharedRootfsIsAttachedReadOnly()
    {
        var args = QemuCommandLine.Build(Spec, kvm: false, tscKhz: 2_000_000);
        Option(args, "-drive", "id=root").ShouldBe("id=root,file=/c/rootfs.ext4,format=raw,if=none,readonly=on");
        args.Count(a => a == "-drive").ShouldBe(1);
    }

    [Fact]
    public void ExtraDisksAreAttachedReadOnlyWithTheirSerialsInOrder()
    {
        var spec = Spec with { ExtraDisks = [new VmDisk("/c/folders/a/image-1.ext4"), new VmDisk("/c/folders/b/x,readonly=off.ext4")] };
        var args = QemuCommandLine.Build(spec, kvm: false, tscKhz: 1);
        Option(args, "-drive", "id=extra0").ShouldBe("id=extra0,file=/c/folders/a/image-1.ext4,format=raw,if=none,readonly=on");
        Option(args, "-drive", "id=extra1").ShouldBe("id=extra1,file=/c/folders/b/x,,readonly=off.ext4,format=raw,if=none,readonly=on");
        Option(args, "-device", "virtio-blk-device,drive=extra0").ShouldBe("virtio-blk-device,drive=extra0,serial=extra0");
        Option(args, "-device", "virtio-blk-device,drive=extra1").ShouldBe("virtio-blk-device,drive=extra1,serial=extra1");
        args.Count(a => a == "-drive").ShouldBe(3);
    }

    [Fact]
    public void AWritableDiskGetsAThrowawayLayerNeverWritesToTheImage()
    {
        var spec = Spec with { ExtraDisks = [new VmDisk("/c/folders/a/image-1.ext4"), new VmDisk("/c/folders/b/image-2.ext4", Writable: true)] };
        var args = QemuCommandLine.Build(spec, kvm: false, tscKhz: 1);
        Option(args, "-drive", "id=extra0").ShouldBe("id=extra0,file=/c/folders/a/image-1.ext4,format=raw,if=none,readonly=on");
        // snapshot=on: QEMU writes to a temporary overlay it deletes on exit; the cached image is only ever read.
        Option(args, "-drive", "id=extra1").ShouldBe("id=extra1,file=/c/folders/b/image-2.ext4,format=raw,if=none,snapshot=on");
    }

    [Fact]
    public void MoreExtraDisksThanMicrovmHasSlotsAreRefused()
    {
        var spec = Spec with { ExtraDisks = [.. Enumerable.Range(0, QemuCommandLine.MaxExtraDisks + 1).Select(n => new VmDisk($"/c/{n}.ext4"))] };
        Should.Throw<ArgumentException>(() => QemuCommandLine.Build(spec, kvm: false, tscKhz: 1));
    }

    [Fact]
    public void WithoutTapTheGuestHasNoNicOnlyTheGatewayStreamsPort()
    {
        foreach (var spec in new[] { Spec, Spec with { ProxyPort = 41235 } })
        {
            var args = QemuCommandLine.Build(spec, kvm: false, tscKhz: 2_000_000);
            // No slirp and no forwarders: nothing QEMU could fork per connection, no host port it could reach.
            args.ShouldNotContain("-netdev");
            args.ShouldNotContain(a => a.Contains("virtio-net") || a.Contains("guestfwd") || a.Contains("socat") || a.Contains("41234"));
            Option(args, "-chardev", "socket,id=net").ShouldBe("socket,id=net,path=/h/data/vms/run1/net.sock,server=on,wait=off");
            Option(args, "-device", "virtserialport,chardev=net").ShouldBe("virtserialport,chardev=net,name=nanoclaw.net");
            Option(args, "-append", "").ShouldNotContain("nanoclaw.ip");
        }
    }

    [Fact]
    public void ATapVmIsPluggedIntoItsTapWithItsAddressOnTheKernelCommandLine()
    {
        var spec = Spec with { ProxyPort = 41235, Tap = new VmTap("nanoclaw0-3", "52:54:00:4e:00:03", "172.29.0.13/24", "172.29.0.1") };
        var args = QemuCommandLine.Build(spec, kvm: false, tscKhz: 1);

        Option(args, "-netdev", "").ShouldBe("tap,id=net0,ifname=nanoclaw0-3,script=no,downscript=no");
        Option(args, "-device", "virtio-net").ShouldBe("virtio-net-device,netdev=net0,mac=52:54:00:4e:00:03");
        Option(args, "-append", "").ShouldContain(" nanoclaw.ip=172.29.0.13/24 nanoclaw.gw=172.29.0.1");
        args.ShouldNotContain(a => a.Contains("guestfwd") || a.StartsWith("user,", StringComparison.Ordinal) || a.Contains("nanoclaw.net"));
        args.Count(a => a == "-netdev").ShouldBe(1);
    }

    [Fact]
    public void GuestsPrimeOnlyWhenAskedTo()
    {
        Option(QemuCommandLine.Build(Spec, kvm: false, tscKhz: 1), "-append", "").ShouldEndWith(" nanoclaw.prime=0");
        Option(QemuCommandLine.Build(Spec with { Prime = GuestPriming.Full }, kvm: false, tscKhz: 1), "-append", "").ShouldNotContain("nanoclaw.prime");
        Option(QemuCommandLine.Build(Spec with { Prime = GuestPriming.PageCache }, kvm: false, tscKhz: 1), "-append", "").ShouldEndWith(" nanoclaw.prime=cache");
    }

    [Fact]
    public void TcgIsUsedUnlessKvmWasProvenAndTheGuestClockIsPinned()
    {
        var tcg = QemuCommandLine.Build(Spec, kvm: false, tscKhz: 2_596_098);
        Option(tcg, "-accel", "").ShouldBe("tcg,thread=multi");
        Option(tcg, "-cpu", "").ShouldBe("max");
        Option(tcg, "-append", "").ShouldContain("tsc_early_khz=2596098");

        Option(QemuCommandLine.Build(Spec, kvm: true, tscKhz: 1), "-accel", "").ShouldBe("kvm");
    }

    [Fact]
    public void QemuRunsUnderASeccompSandboxThatForbidsItToForkOrExec()
    {
        // Every real VM test boots with this line: had QEMU itself needed to fork or exec, they would all fail (SIGSYS).
        var sandbox = Option(QemuCommandLine.Build(Spec, kvm: false, tscKhz: 1), "-sandbox", "on").Split(',');
        sandbox.ShouldContain("spawn=deny");
        sandbox.ShouldContain("obsolete=deny");
        sandbox.ShouldContain("resourcecontrol=deny");
    }

    [Fact]
    public void CommasInPathsAreEscapedSoTheyCannotInjectOptions()
    {
        var spec = Spec with { Artifacts = Spec.Artifacts with { Rootfs = "/c/a,readonly=off" } };
        Option(QemuCommandLine.Build(spec, kvm: false, tscKhz: 1), "-drive", "id=root")
            .ShouldBe("id=root,file=/c/a,,readonly=off,format=raw,if=none,readonly=on");
    }

    [Fact]
    public void HostTscIsReadFromCpuinfoOnlyWhenTheTscIsInvariant()
    {
        HostTsc.FromCpuInfo("cpu MHz\t\t: 2596.098\nflags\t\t: fpu tsc constant_tsc nonstop_tsc\n").ShouldBe(2_596_098);
        HostTsc.FromCpuInfo("cpu MHz\t\t: 2596.098\nflags\t\t: fpu tsc\n").ShouldBeNull();
    }
}
