using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Tests.Support;
using NanoClaw.Vm;

namespace NanoClaw.Tests.Vm;

/// <summary>Freezing a VMM (a prepared run's VM while it waits): a real process, stopped and continued by the kernel.</summary>
public sealed class VmProcessFreezeTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("nanoclaw-freeze-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A stand-in VMM that burns CPU, as a guest does, so a frozen one is seen to stop using it.</summary>
    VmProcess StartBusyVmm()
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("while :; do :; done");
        var runDir = Directory.CreateDirectory(Path.Combine(_dir, "run")).FullName;
        return VmProcess.Start(psi, "busy", "freeze-test", runDir, new CappedLog(Path.Combine(_dir, "console.log"), 1 << 16),
            () => { Directory.Delete(runDir, recursive: true); return Task.CompletedTask; }, NullLogger.Instance);
    }

    [Fact]
    public async Task AFrozenVmmIsStoppedAndUsesNoCpuUntilItIsThawed()
    {
        await using var vmm = StartBusyVmm();
        await Eventually.True(() => ProcessTable.CpuTicks(vmm.Pid) > 5, "the stand-in VMM to be running");

        vmm.Freeze();
        await Eventually.True(() => ProcessTable.State(vmm.Pid) == 'T', "the VMM to be stopped");
        var frozen = ProcessTable.CpuTicks(vmm.Pid);
        await Task.Delay(500);
        ProcessTable.CpuTicks(vmm.Pid).ShouldBe(frozen, "a frozen VMM uses no CPU");

        vmm.Thaw();
        await Eventually.True(() => ProcessTable.State(vmm.Pid) != 'T', "the VMM to run again");
        await Eventually.True(() => ProcessTable.CpuTicks(vmm.Pid) > frozen, "the thawed VMM to use CPU again");
        vmm.Exited.IsCompleted.ShouldBeFalse();
    }

    [Fact]
    public async Task AFrozenVmmIsEndedByItsSigtermNotLeftForTheKill()
    {
        var vmm = StartBusyVmm();
        vmm.Freeze();
        await Eventually.True(() => ProcessTable.State(vmm.Pid) == 'T', "the VMM to be stopped");

        var clock = Stopwatch.StartNew();
        await vmm.DisposeAsync();

        vmm.Exited.IsCompleted.ShouldBeTrue();
        // A stopped process acts on SIGTERM only once continued: without the thaw, disposal would wait out the grace
        // and fall back to SIGKILL.
        clock.Elapsed.ShouldBeLessThan(VmProcess.TermGrace);
        Directory.Exists(Path.Combine(_dir, "run")).ShouldBeFalse("the run folder goes once the VMM is gone");
    }

    [Fact]
    public async Task FreezingOrThawingAVmmThatHasExitedIsHarmless()
    {
        var vmm = StartBusyVmm();
        await vmm.DisposeAsync();
        vmm.Freeze();
        vmm.Thaw();
        (await vmm.Exited).ExitCode.ShouldNotBe(0);
    }
}
