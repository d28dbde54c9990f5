using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace NanoClaw.MicroVm;

/// <summary>How every backend ends its VMM process: the same bounded sequence for QEMU and Firecracker.</summary>
static class VmProcess
{
    public static readonly TimeSpan TermGrace = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan KillBound = TimeSpan.FromSeconds(5);

    /// <summary>
    /// 1. SIGTERM the VMM if it still runs; 2. SIGKILL its process tree after <see cref="TermGrace"/>.
    /// Throws only if it survives SIGKILL for <see cref="KillBound"/>: the host is in trouble, and the caller
    /// leaves the run folder for orphan cleanup.
    /// </summary>
    public static async Task StopAsync(Process process, Task exited, string vmm, string runId, string runDir, ILogger logger)
    {
        if (exited.IsCompleted) return;
        var pid = process.Id;
        logger.VmKilling(runId, "SIGTERM", pid);
        Posix.Signal(pid, Posix.SigTerm);
        if (await CompletesWithin(exited, TermGrace)) return;
        logger.VmKilling(runId, "SIGKILL", pid);
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { /* exited in between */ }
        if (!await CompletesWithin(exited, KillBound))
            throw new InvalidOperationException($"{vmm} pid {pid} of VM {runId} is still running {KillBound.TotalSeconds:F0} s after SIGKILL; {runDir} is left for orphan cleanup.");
    }

    /// <summary>The VMM's exit code once it has exited; -1 when the process object was already gone (never throws).</summary>
    public static async Task<int> ExitCodeAsync(Process process)
    {
        try
        {
            await process.WaitForExitAsync(CancellationToken.None);
            return process.ExitCode;
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            return -1;
        }
    }

    public static async Task<bool> CompletesWithin(Task task, TimeSpan bound) =>
        await Task.WhenAny(task, Task.Delay(bound, CancellationToken.None)) == task;
}
