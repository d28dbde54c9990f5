using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Vm.Firecracker;

/// <summary>
/// One running Firecracker microVM. It owns, and on dispose removes, everything of the run: the
/// firecracker process, the API client, the control connection, the console log writer, its cgroup and
/// <see cref="VmSpec.RunDir"/> (pid file, the jail with the API and vsock sockets).
/// </summary>
public sealed class FirecrackerMicroVm : IMicroVm
{

    readonly VmProcess vmm;
    readonly VmSpec spec;
    Stream? control;
    int disposed;

    FirecrackerMicroVm(VmSpec spec, VmProcess vmm) => (this.spec, this.vmm) = (spec, vmm);

    public string RunId => spec.RunId;
    public int Pid => vmm.Pid;
    public Stream Control => control ?? throw new InvalidOperationException("the control channel is not connected yet");
    public Task<VmExit> Exited => vmm.Exited;
    public void Freeze() => vmm.Freeze();
    public void Thaw() => vmm.Thaw();
    public TimeSpan CpuTime => vmm.CpuTime;
    public IReadOnlyList<string> ExtraDiskSerials { get; private init; } = [];

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
        FirecrackerPaths host, inside;
        IReadOnlyList<string> serials;
        ProcessStartInfo psi;
        VmProcess process;
        try
        {
            if (options.Jail is { } user)
            {
                var jail = FirecrackerJail.Prepare(spec.RunDir, options.Binary, vmlinux, spec.Artifacts, spec.ExtraDisks ?? [], user, tap: spec.Tap is not null);
                serials = jail.ExtraDiskSerials;
                if (options.Cgroup)
                {
                    cgroup = VmCgroup.Create(spec.RunId, spec.MemoryMb, spec.Cpus);
                    if (cgroup.MissingControllers.Count > 0)
                        logger.CgroupWithoutLimits(spec.RunId, string.Join(", ", cgroup.MissingControllers));
                }
                (psi, host, inside) = (jail.StartInfo(user, cgroup), jail.Host, jail.Vmm);
            }
            else
            {
                var (extraDisks, directSerials) = FirecrackerDisks.Stage(spec.ExtraDisks ?? [], spec.RunDir, FirecrackerDisks.InPlace);
                host = inside = FirecrackerPaths.Direct(spec.RunDir, vmlinux, spec.Artifacts, extraDisks);
                serials = directSerials;
                psi = new ProcessStartInfo(options.Binary)
                {
                    RedirectStandardInput = true,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                psi.ArgumentList.Add("--api-sock");
                psi.ArgumentList.Add(inside.ApiSocket);
                // No host environment, so no credential can leak into the VMM.
                psi.Environment.Clear();
                psi.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
            }
            // .NET opens its descriptors close-on-exec; inherited ones are marked here: the child gets only these three pipes.
            JailSyscalls.CloseOnExecInherited();
            try
            {
                process = VmProcess.Start(psi, "firecracker", spec.RunId, spec.RunDir, console, () => RemoveRunAsync(spec, cgroup, logger), logger);
            }
            catch (Win32Exception e)
            {
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

        var vm = new FirecrackerMicroVm(spec, process) { ExtraDiskSerials = serials };
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
                await FirecrackerBootSequence.ConfigureAndStartAsync(api, spec, inside, ct);
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
        // The file appears at bind(), a moment before listen(): a request sent in between is refused, so wait for a
        // connection to be accepted (and closed at once), not only for the file.
        while (true)
        {
            if (await UnixSocket.TryConnectAsync(apiSocket, ct) is { } probe)
            {
                await probe.DisposeAsync();
                return;
            }
            if (Exited.IsCompleted)
            {
                var exit = await Exited;
                throw new VmBootException($"firecracker exited with code {exit.ExitCode} before its API socket {apiSocket} appeared: {vmm.Or(exit.Detail)} (console log: {spec.ConsoleLogPath})");
            }
            if (deadline.Elapsed > bound)
                throw new VmBootException($"firecracker pid {Pid} did not open its API socket {apiSocket} within {bound.TotalSeconds:F0} s: {vmm.StderrTail()}");
            await Task.Delay(20, ct);
        }
    }

    /// <summary>
    /// Ends the run: stops firecracker (SIGTERM, then SIGKILL after a grace period), closes the log, removes its cgroup
    /// and RunDir (<see cref="VmProcess.DisposeAsync"/>), then closes the control channel. Throws (leaving RunDir and
    /// the cgroup for orphan cleanup) only if firecracker survives SIGKILL.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        try
        {
            await vmm.DisposeAsync();
        }
        finally
        {
            control?.Dispose();
        }
    }

    /// <summary>Once firecracker is gone: its cgroup (a group that will not go is logged and left for orphan cleanup),
    /// then the run folder, unmounting the jail's bind mounts first.</summary>
    static async Task RemoveRunAsync(VmSpec spec, VmCgroup? cgroup, ILogger logger)
    {
        if (cgroup is not null && !await cgroup.TryRemoveAsync()) logger.CgroupLeft(spec.RunId, cgroup.Path);
        FirecrackerJail.RemoveRunDir(spec.RunDir);
    }
}
