using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace NanoClaw.MicroVm.Firecracker;

/// <summary>
/// One running Firecracker microVM. It owns, and on dispose removes, everything of the run: the
/// firecracker process, the API client, the control connection, the console log writer, its cgroup and
/// <see cref="VmSpec.RunDir"/> (pid file, the jail with the API and vsock sockets).
/// </summary>
public sealed class FirecrackerMicroVm : IMicroVm
{

    readonly Process process;
    readonly CappedLog console;
    readonly ILogger logger;
    readonly VmSpec spec;
    readonly VmCgroup? cgroup;
    readonly Queue<string> stderrTail = new();
    readonly Task pumps;
    readonly Stopwatch uptime = Stopwatch.StartNew();
    Stream? control;
    int disposed;

    FirecrackerMicroVm(VmSpec spec, Process process, CappedLog console, VmCgroup? cgroup, ILogger logger)
    {
        (this.spec, this.process, this.console, this.cgroup, this.logger) = (spec, process, console, cgroup, logger);
        Pid = process.Id;
        pumps = Task.WhenAll(PumpAsync(process.StandardOutput, null), PumpAsync(process.StandardError, "[firecracker] "));
        Exited = WaitExitAsync();
    }

    public string RunId => spec.RunId;
    public int Pid { get; }
    public Stream Control => control ?? throw new InvalidOperationException("the control channel is not connected yet");
    public Task<VmExit> Exited { get; }

    /// <summary>
    /// 1. check the spec, 2. prepare the run folder (the jail, when the options have a jail user) and start
    /// firecracker, 3. wait for its API socket, 4. configure and start the VM, 5. connect the control channel.
    /// On any failure nothing of the run is left behind.
    /// </summary>
    internal static async Task<FirecrackerMicroVm> StartAsync(VmSpec spec, FirecrackerOptions options, ILogger logger, CancellationToken ct)
    {
        // 1.
        if (!Path.IsPathFullyQualified(spec.RunDir))
            throw new ArgumentException($"RunDir must be an absolute path: {spec.RunDir}", nameof(spec));
        var longest = Path.Combine(spec.RunDir, FirecrackerJail.RootName, FirecrackerPaths.VsockSocketName);
        if (Encoding.UTF8.GetByteCount(longest) > 107)
            throw new ArgumentException($"socket paths in {spec.RunDir} are longer than a Unix socket allows (107 bytes): use a shorter NANOCLAW_HOME.", nameof(spec));
        var vmlinux = spec.Artifacts.Vmlinux
            ?? throw new VmBootException($"the VM image has no uncompressed vmlinux next to {spec.Artifacts.Kernel}: Firecracker cannot boot a bzImage. Run `nanoclaw setup` to extract it.");
        foreach (var file in new[] { vmlinux, spec.Artifacts.Initrd, spec.Artifacts.Rootfs })
            if (!File.Exists(file))
                throw new VmBootException($"VM image file {file} does not exist: run `nanoclaw setup` to build the image.");
        if (Directory.Exists(spec.RunDir))
            throw new InvalidOperationException($"{spec.RunDir} already exists: run ids must be unique.");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(spec.ConsoleLogPath))!);
        var console = new CappedLog(spec.ConsoleLogPath, QemuMicroVm.ConsoleLogCapBytes);
        Directory.CreateDirectory(spec.RunDir);

        // 2.
        VmCgroup? cgroup = null;
        FirecrackerPaths host, vmm;
        ProcessStartInfo psi;
        Process process;
        try
        {
            if (options.Jail is { } user)
            {
                var jail = FirecrackerJail.Prepare(spec.RunDir, options.Binary, vmlinux, spec.Artifacts, user, tap: spec.TapDevice is not null);
                if (options.Cgroup)
                {
                    cgroup = VmCgroup.Create(spec.RunId, spec.MemoryMb, spec.Cpus);
                    if (cgroup.MissingControllers.Count > 0)
                        logger.CgroupWithoutLimits(spec.RunId, string.Join(", ", cgroup.MissingControllers));
                }
                (psi, host, vmm) = (jail.StartInfo(user, cgroup), jail.Host, jail.Vmm);
            }
            else
            {
                host = vmm = FirecrackerPaths.Direct(spec.RunDir, vmlinux, spec.Artifacts);
                psi = new ProcessStartInfo(options.Binary)
                {
                    RedirectStandardInput = true,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                psi.ArgumentList.Add("--api-sock");
                psi.ArgumentList.Add(vmm.ApiSocket);
                // No host environment, so no credential can leak into the VMM.
                psi.Environment.Clear();
                psi.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
            }
            // .NET opens its descriptors close-on-exec; inherited ones are marked here: the child gets only these three pipes.
            JailSyscalls.CloseOnExecInherited();
            process = new Process { StartInfo = psi, EnableRaisingEvents = true };
            try { process.Start(); }
            catch (Win32Exception e)
            {
                process.Dispose();
                throw new VmBootException($"cannot start {options.Binary} ({e.Message}): install the pinned Firecracker release (`sudo ./nanoclaw setup`)");
            }
        }
        catch (Exception e)
        {
            console.Dispose();
            if (cgroup is not null) await cgroup.TryRemoveAsync();
            FirecrackerJail.RemoveRunDir(spec.RunDir);
            if (e is IOException or UnauthorizedAccessException)
                throw new VmBootException($"cannot prepare the jail of VM {spec.RunId} in {spec.RunDir}: {e.Message}");
            throw;
        }

        var vm = new FirecrackerMicroVm(spec, process, console, cgroup, logger);
        try
        {
            // For orphan cleanup after a host crash; outside the jail, where the jailed process cannot rewrite it.
            // Written whole, then renamed: a reader never sees a half-written pid.
            var pidFile = Path.Combine(spec.RunDir, FirecrackerJail.PidFileName);
            await File.WriteAllTextAsync(pidFile + ".new", vm.Pid + "\n", ct);
            File.Move(pidFile + ".new", pidFile);
            logger.VmStarted(spec.RunId, vm.Pid, spec.MemoryMb, spec.Cpus);
            // 3.
            await vm.WaitForApiSocketAsync(host.ApiSocket, options.SocketBound, ct);
            // 4.
            using (var api = new FirecrackerClient(host.ApiSocket, options.RequestTimeout))
                await FirecrackerBootSequence.ConfigureAndStartAsync(api, spec, vmm, ct);
            // 5.
            vm.control = await VsockConnector.ConnectAsync(host.VsockSocket, FirecrackerBootSequence.ControlPort,
                options.ControlBound, () => vm.Exited.IsCompleted, ct);
            return vm;
        }
        catch
        {
            await vm.DisposeAsync();
            throw;
        }
    }

    async Task WaitForApiSocketAsync(string apiSocket, TimeSpan bound, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(apiSocket))
        {
            if (Exited.IsCompleted)
            {
                var exit = await Exited;
                throw new VmBootException($"firecracker exited with code {exit.ExitCode} before its API socket {apiSocket} appeared: {Or(exit.Detail)} (console log: {spec.ConsoleLogPath})");
            }
            if (deadline.Elapsed > bound)
                throw new VmBootException($"firecracker pid {Pid} did not create its API socket {apiSocket} within {bound.TotalSeconds:F0} s: {Or(StderrTail())}");
            await Task.Delay(20, ct);
        }
    }

    /// <summary>
    /// Ends the run: 1. SIGTERM firecracker if it still runs, 2. SIGKILL after a grace period,
    /// 3. close the control channel and log, 4. remove its cgroup and RunDir (unmounting the jail's bind mounts).
    /// Throws (leaving RunDir) only if
    /// firecracker survives SIGKILL.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        try
        {
            // 1. and 2.
            await VmProcess.StopAsync(process, Exited, "firecracker", RunId, spec.RunDir, logger);
            await VmProcess.CompletesWithin(pumps, VmProcess.KillBound);
        }
        finally
        {
            // 3.
            control?.Dispose();
            process.Dispose();
            console.Dispose();
            // 4. The cgroup goes once its process has; a group that will not go is logged and left for orphan cleanup.
            if (Exited.IsCompleted)
            {
                if (cgroup is not null && !await cgroup.TryRemoveAsync()) logger.CgroupLeft(RunId, cgroup.Path);
                FirecrackerJail.RemoveRunDir(spec.RunDir);
            }
        }
    }

    async Task<VmExit> WaitExitAsync()
    {
        var exitCode = await VmProcess.ExitCodeAsync(process);
        await VmProcess.CompletesWithin(pumps, TimeSpan.FromSeconds(1));
        logger.VmExited(RunId, exitCode, uptime.Elapsed.TotalSeconds);
        return new VmExit(exitCode, StderrTail());
    }

    /// <summary>The serial console (stdout) goes to the capped log raw; firecracker's own stderr lines are marked and kept.</summary>
    async Task PumpAsync(StreamReader reader, string? stderrPrefix)
    {
        await Task.Yield();
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                console.WriteLine(stderrPrefix + line);
                if (stderrPrefix is null) continue;
                lock (stderrTail)
                {
                    stderrTail.Enqueue(line);
                    if (stderrTail.Count > 20) stderrTail.Dequeue();
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process was disposed under us: the run is over.
        }
    }

    string StderrTail()
    {
        lock (stderrTail) return string.Join(" | ", stderrTail);
    }

    static string Or(string detail) => detail.Length == 0 ? "(firecracker printed nothing)" : detail;

}
