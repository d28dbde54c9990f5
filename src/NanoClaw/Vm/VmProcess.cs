using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace NanoClaw.Vm;

/// <summary>
/// One VMM process and everything that lives exactly as long as it: the process, the capped console log its stdout
/// (the guest's serial console) and stderr (marked, e.g. <c>[qemu]</c>) are pumped into, the last stderr lines for
/// error messages, and the run folder. QEMU and Firecracker VMs each compose one; disposing it is the same bounded
/// sequence for both.
/// </summary>
sealed class VmProcess : IAsyncDisposable
{
    public static readonly TimeSpan TermGrace = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan KillBound = TimeSpan.FromSeconds(5);

    readonly Process process;
    readonly CappedLog console;
    readonly ILogger logger;
    readonly string vmm;
    readonly string runId;
    readonly string runDir;
    readonly Func<Task> removeRunDir;
    readonly Queue<string> stderrTail = new();
    readonly Task pumps;
    readonly Stopwatch uptime = Stopwatch.StartNew();
    int disposed;

    VmProcess(Process process, CappedLog console, string vmm, string runId, string runDir, Func<Task> removeRunDir, ILogger logger)
    {
        (this.process, this.console, this.vmm, this.runId, this.runDir, this.removeRunDir, this.logger) = (process, console, vmm, runId, runDir, removeRunDir, logger);
        Pid = process.Id;
        pumps = Task.WhenAll(PumpConsoleAsync(), PumpStderrAsync());
        Exited = WaitExitAsync();
    }

    public int Pid { get; }

    /// <summary>Completes when the VMM has exited (the VM is over), with its exit code and last stderr lines.</summary>
    public Task<VmExit> Exited { get; }

    /// <summary>
    /// Starts the VMM (<paramref name="psi"/> must redirect stdin, stdout and stderr) and takes ownership of
    /// <paramref name="console"/> and <paramref name="runDir"/>, which <paramref name="removeRunDir"/> deletes once the
    /// process is gone. If the process cannot start, nothing is taken: the caller still owns both and gets the
    /// <see cref="Win32Exception"/>.
    /// </summary>
    public static VmProcess Start(ProcessStartInfo psi, string vmm, string runId, string runDir, CappedLog console, Func<Task> removeRunDir, ILogger logger)
    {
        // Watched, so the VMM cannot outlive this host process (see HostDeathWatch).
        var process = new Process { StartInfo = HostDeathWatch.Wrap(psi), EnableRaisingEvents = true };
        try { process.Start(); }
        catch (Win32Exception)
        {
            process.Dispose();
            throw;
        }
        return new VmProcess(process, console, vmm, runId, runDir, removeRunDir, logger);
    }

    /// <summary>SIGSTOP: the kernel stops every thread of the VMM, so the guest uses no CPU (the same for QEMU and Firecracker,
    /// with no API of either). SIGKILL still ends a frozen VMM; <see cref="StopAsync"/> thaws before its SIGTERM.</summary>
    public void Freeze()
    {
        if (!Exited.IsCompleted) Posix.Signal(Pid, Posix.SigStop);
    }

    public void Thaw()
    {
        if (!Exited.IsCompleted) Posix.Signal(Pid, Posix.SigCont);
    }

    /// <summary>CPU the VMM has used so far; what it had used when it exited, once it has.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            try { return lastCpuTime = process.TotalProcessorTime; }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or System.ComponentModel.Win32Exception) { return lastCpuTime; }
        }
    }
    TimeSpan lastCpuTime;

    /// <summary>The last stderr lines, or a note that there were none.</summary>
    public string StderrTail()
    {
        lock (stderrTail) return Or(string.Join(" | ", stderrTail));
    }

    public string Or(string detail) => detail.Length == 0 ? $"({vmm} printed nothing)" : detail;

    /// <summary>
    /// Ends it: 1. SIGTERM the VMM if it still runs; 2. SIGKILL its process tree after <see cref="TermGrace"/>;
    /// 3. close the log; 4. remove the run folder. Throws only if the VMM survives SIGKILL for <see cref="KillBound"/>:
    /// the host is in trouble, and the run folder is left for orphan cleanup.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        try
        {
            // 1. and 2.
            await StopAsync();
            // The pumps end at end-of-file; a child that inherited stderr could hold it a little longer.
            await CompletesWithin(pumps, KillBound);
        }
        finally
        {
            // 3.
            process.Dispose();
            console.Dispose();
            // 4.
            if (Exited.IsCompleted) await removeRunDir();
        }
    }

    async Task StopAsync()
    {
        if (Exited.IsCompleted) return;
        logger.VmKilling(runId, "SIGTERM", vmm, Pid);
        Thaw(); // a frozen VMM would act on SIGTERM only once continued
        Posix.Signal(Pid, Posix.SigTerm);
        if (await CompletesWithin(Exited, TermGrace)) return;
        logger.VmKilling(runId, "SIGKILL", vmm, Pid);
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { /* exited in between */ }
        if (!await CompletesWithin(Exited, KillBound))
            throw new InvalidOperationException($"{vmm} pid {Pid} of VM {runId} is still running {KillBound.TotalSeconds:F0} s after SIGKILL; {runDir} is left for orphan cleanup.");
    }

    async Task<VmExit> WaitExitAsync()
    {
        int exitCode;
        try
        {
            await process.WaitForExitAsync(CancellationToken.None);
            exitCode = process.ExitCode;
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // The process object was already gone: the exit code is lost, the exit is not.
            exitCode = -1;
        }
        // Let the stderr pump catch the VMM's last words (it ends at end-of-file, right after exit).
        await CompletesWithin(pumps, TimeSpan.FromSeconds(1));
        logger.VmExited(runId, vmm, exitCode, uptime.Elapsed.TotalSeconds);
        lock (stderrTail) return new VmExit(exitCode, string.Join(" | ", stderrTail));
    }

    /// <summary>The serial console (stdout) goes to the capped log, raw.</summary>
    async Task PumpConsoleAsync()
    {
        await Task.Yield();
        var buffer = new byte[4096];
        try
        {
            var stdout = process.StandardOutput.BaseStream;
            int n;
            while ((n = await stdout.ReadAsync(buffer)) > 0)
                console.Write(buffer.AsSpan(0, n));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process was disposed under us: the run is over.
        }
    }

    /// <summary>The VMM's own messages: into the console log (marked) and kept for error messages.</summary>
    async Task PumpStderrAsync()
    {
        await Task.Yield();
        try
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                console.WriteLine($"[{vmm}] {line}");
                lock (stderrTail)
                {
                    stderrTail.Enqueue(line);
                    if (stderrTail.Count > 20) stderrTail.Dequeue();
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    public static async Task<bool> CompletesWithin(Task task, TimeSpan bound) =>
        await Task.WhenAny(task, Task.Delay(bound, CancellationToken.None)) == task;
}
