using System.Diagnostics;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Tests.Support;
using NanoClaw.Vm;
using NanoClaw.Vm.Firecracker;
using NanoClaw.Vm.Image;

namespace NanoClaw.Tests.Vm.Firecracker;

/// <summary>
/// What a crashed host leaves behind: a firecracker process, its run folder (pid file, jail) and its cgroup. Startup
/// cleanup must kill exactly that process and remove the rest, and leave an unrelated process with a recycled pid alone.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class FirecrackerOrphanTests : IDisposable
{
    readonly TempDirectory temp = new();
    readonly List<Process> started = [];

    public void Dispose()
    {
        foreach (var p in started)
        {
            try { if (!p.HasExited) p.Kill(); }
            catch (InvalidOperationException) { }
            p.Dispose();
        }
        temp.Dispose();
    }

    string Vms => temp["vms"];

    static string NewRunId() => "o" + Guid.NewGuid().ToString("N")[..10];

    Process StartLeftover(ProcessStartInfo psi)
    {
        var p = Process.Start(psi)!;
        started.Add(p);
        return p;
    }

    static void WritePid(string runDir, int pid) => File.WriteAllText(Path.Combine(runDir, FirecrackerJail.PidFileName), pid + "\n");

    [Fact]
    public async Task AnUnjailedOrphanIsKilledAndItsFolderAndCgroupRemoved()
    {
        var runId = NewRunId();
        var runDir = Directory.CreateDirectory(Path.Combine(Vms, runId)).FullName;
        // argv as the host starts an unjailed firecracker: `<binary> --api-sock <RunDir>/fc.sock`.
        var orphan = StartLeftover(new ProcessStartInfo("bash", ["-c", $"exec -a 'firecracker --api-sock {runDir}/fc.sock' sleep 600"]));
        await Support.Eventually.True(() => Posix.CommandLine(orphan.Id)?.StartsWith("firecracker --api-sock", StringComparison.Ordinal) == true, "the stand-in has exec'd (bash's own argv names the socket too, and reads mid-exec come back empty)");
        WritePid(runDir, orphan.Id);
        VmCgroup? cgroup = null;
        if (VmCgroup.Unavailable() is null)
        {
            cgroup = VmCgroup.Create(runId, 256, 1);
            File.WriteAllText(cgroup.ProcsFile, orphan.Id.ToString());
        }

        var killed = await FirecrackerVmm.CleanOrphansAsync(Vms, NullLogger.Instance);

        killed.ShouldBe(1);
        orphan.WaitForExit(5000).ShouldBeTrue();
        Directory.Exists(runDir).ShouldBeFalse();
        if (cgroup is not null) Directory.Exists(cgroup.Path).ShouldBeFalse();
    }

    [Fact]
    public async Task AnUnrelatedProcessWithTheRecordedPidIsLeftAlone()
    {
        var runDir = Directory.CreateDirectory(Path.Combine(Vms, NewRunId())).FullName;
        var bystander = StartLeftover(new ProcessStartInfo("sleep", ["600"]));
        WritePid(runDir, bystander.Id);

        var killed = await FirecrackerVmm.CleanOrphansAsync(Vms, NullLogger.Instance);

        killed.ShouldBe(0);
        bystander.HasExited.ShouldBeFalse();
        Directory.Exists(runDir).ShouldBeFalse();
    }

    [Fact]
    public async Task AQemuRunFolderIsNotFirecrackersToClean()
    {
        var runDir = Directory.CreateDirectory(Path.Combine(Vms, NewRunId())).FullName;
        File.WriteAllText(Path.Combine(runDir, "qemu.pid"), "1\n");

        (await FirecrackerVmm.CleanOrphansAsync(Vms, NullLogger.Instance)).ShouldBe(0);

        Directory.Exists(runDir).ShouldBeTrue();
    }

    [JailFact]
    public async Task AJailedOrphanIsFoundByItsRootKilledAndItsJailAndCgroupRemoved()
    {
        var runId = NewRunId();
        var runDir = Directory.CreateDirectory(Path.Combine(Vms, runId)).FullName;
        var artifacts = new VmArtifacts(temp.Write("img/vmlinuz", "bz"), temp.Write("img/initrd.img", "i"), temp.Write("img/rootfs.ext4", "r"), "h");
        var user = JailStandIn.User!;
        var jail = FirecrackerJail.Prepare(runDir, JailStandIn.Path, temp.Write("img/vmlinux", "elf"), artifacts, [], user, tap: true);
        File.WriteAllText(Path.Combine(jail.Root, "sleep-forever"), "");
        var cgroup = VmCgroup.Unavailable() is null ? VmCgroup.Create(runId, 256, 1) : null;
        var psi = jail.StartInfo(user, cgroup);
        psi.RedirectStandardInput = psi.RedirectStandardOutput = psi.RedirectStandardError = false;
        var orphan = StartLeftover(psi);
        WritePid(runDir, orphan.Id);
        await Support.Eventually.True(() => new FileInfo($"/proc/{orphan.Id}/root").LinkTarget == jail.Root, "the stand-in runs in its jail");

        var killed = await FirecrackerVmm.CleanOrphansAsync(Vms, NullLogger.Instance);

        killed.ShouldBe(1);
        orphan.WaitForExit(5000).ShouldBeTrue();
        Directory.Exists(runDir).ShouldBeFalse();
        if (cgroup is not null) Directory.Exists(cgroup.Path).ShouldBeFalse();
        File.ReadAllText(artifacts.Rootfs).ShouldBe("r");
    }
}
