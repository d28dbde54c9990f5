using System.Runtime.Versioning;
using NanoClaw.Vm.Firecracker;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Tests.Vm.Qemu;

/// <summary>
/// QEMU's cgroup: what would be written where the host offers the controllers (this test host's cgroup v2 may lack
/// them; then the group is still made and QEMU placed in it, and doctor names what is missing).
/// </summary>
[SupportedOSPlatform("linux")]
public class QemuCgroupTests
{
    [Fact]
    public void WithEveryControllerQemuGetsPidsMemoryAndCpuLimits()
    {
        QemuCgroup.Limits(["memory", "cpu", "pids"], hasSwapMax: true, memoryMb: 2048, cpus: 2, kvm: false).ShouldBe([
            ("memory.max", ((2048L + 1280) << 20).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("memory.swap.max", "0"),
            ("cpu.max", "200000 100000"),
            ("pids.max", "256"),
        ]);
        QemuCgroup.Limits(["pids"], hasSwapMax: false, memoryMb: 512, cpus: 1, kvm: true).ShouldBe([("pids.max", "256")]);
        QemuCgroup.Limits([], hasSwapMax: true, memoryMb: 512, cpus: 1, kvm: true).ShouldBeEmpty();
    }

    [Fact]
    public void FirecrackersLimitsAreUnchanged() =>
        VmCgroup.Limits(["memory", "cpu", "pids"], hasSwapMax: false, memoryMb: 1024, cpus: 1).ShouldBe([
            ("memory.max", ((1024L + VmCgroup.MemoryOverheadMb) << 20).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("cpu.max", "100000 100000"),
            ("pids.max", VmCgroup.PidsMax.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ]);

    [Fact]
    public void QemuJoinsTheGroupBeforeItsFirstInstructionAndKeepsThePid()
    {
        var psi = QemuCgroup.StartInfo("/sys/fs/cgroup/nanoclaw/run-1/cgroup.procs", ["-M", "microvm", "-append", "console=ttyS0 $(reboot)"]);

        psi.FileName.ShouldBe("/bin/sh");
        psi.ArgumentList.ShouldBe(["-c", "echo $$ >\"$0\" || exit 125; exec /usr/bin/env -i PATH=\"$PATH\" \"$@\"", "/sys/fs/cgroup/nanoclaw/run-1/cgroup.procs",
            QemuCommandLine.Binary, "-M", "microvm", "-append", "console=ttyS0 $(reboot)"]);
    }

    [Fact]
    public async Task TheLaunchReallyWritesItsPidAndExecsKeepingIt()
    {
        // A plain file stands in for cgroup.procs; the exec'd program is echo via a PATH entry named like QEMU.
        var dir = Directory.CreateTempSubdirectory("nanoclaw-qemu-cgroup-").FullName;
        try
        {
            var procs = Path.Combine(dir, "cgroup.procs");
            var fake = Path.Combine(dir, QemuCommandLine.Binary);
            // (The fake is a shell script, which exports PWD itself: QemuMicroVmTests checks the real QEMU's environ.)
            await File.WriteAllTextAsync(fake, "#!/bin/sh\necho \"pid $$ args $*\"\n");
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            var psi = QemuCgroup.StartInfo(procs, ["a b", "c"]);
            psi.RedirectStandardOutput = true;
            psi.Environment["PATH"] = dir;
            using var p = System.Diagnostics.Process.Start(psi)!;
            var output = await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();

            output.Trim().ShouldBe($"pid {p.Id} args a b c");
            (await File.ReadAllTextAsync(procs)).Trim().ShouldBe(p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
