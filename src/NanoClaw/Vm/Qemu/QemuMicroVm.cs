using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using NanoClaw.Guest;

namespace NanoClaw.Vm.Qemu;

/// <summary>
/// One running QEMU microvm. It owns, and on dispose removes, everything of the run: the qemu
/// process, the control socket connection, the gateway streams (<see cref="GatewayStreams"/>, without TAP), the
/// console log writer and <see cref="VmSpec.RunDir"/> (control and net sockets, <c>qemu.pid</c>).
/// </summary>
public sealed class QemuMicroVm : IMicroVm
{
    /// <summary>The console log stops growing here; a guest can print forever.</summary>
    public const long ConsoleLogCapBytes = 1 << 20;
    public const string PidFileName = "qemu.pid";

    static readonly TimeSpan ConnectBound = TimeSpan.FromSeconds(15);

    readonly VmProcess vmm;
    readonly VmSpec spec;
    NetworkStream? control;
    GatewayStreams? gateway;
    int disposed;

    QemuMicroVm(VmSpec spec, VmProcess vmm) => (this.spec, this.vmm) = (spec, vmm);

    public string RunId => spec.RunId;
    public int Pid => vmm.Pid;
    public Stream Control => control ?? throw new InvalidOperationException("the control socket is not connected yet");
    public Task<VmExit> Exited => vmm.Exited;
    public void Freeze() => vmm.Freeze();
    public void Thaw() => vmm.Thaw();
    public TimeSpan CpuTime => vmm.CpuTime;
    /// <summary>The VM's gateway streams; null with TAP networking (or before the VM is connected).</summary>
    internal GatewayMux? Gateway => gateway?.Mux;
    /// <summary>QEMU sets each extra disk's serial on its command line (<see cref="VmDisk.Serial"/>).</summary>
    public IReadOnlyList<string> ExtraDiskSerials => [.. (spec.ExtraDisks ?? []).Select((_, n) => VmDisk.Serial(n))];

    /// <summary>Starts qemu and connects the control socket; on any failure nothing of the run is left behind.</summary>
    internal static async Task<QemuMicroVm> StartAsync(VmSpec spec, IReadOnlyList<string> arguments, string accel, ILogger logger, CancellationToken ct)
    {
        if (!Path.IsPathFullyQualified(spec.RunDir))
            throw new ArgumentException($"RunDir must be an absolute path (orphan cleanup matches on it): {spec.RunDir}", nameof(spec));
        var socketPath = QemuCommandLine.ControlSocketPath(spec);
        if (Encoding.UTF8.GetByteCount(socketPath) > 107)
            throw new ArgumentException($"control socket path {socketPath} is longer than a Unix socket allows (107 bytes): use a shorter NANOCLAW_HOME.", nameof(spec));
        foreach (var file in new[] { spec.Artifacts.Kernel, spec.Artifacts.Initrd, spec.Artifacts.Rootfs })
            if (!File.Exists(file))
                throw new VmBootException($"VM image file {file} does not exist: run `nanoclaw setup` to build the image.");
        if (Directory.Exists(spec.RunDir))
            throw new InvalidOperationException($"{spec.RunDir} already exists: run ids must be unique (leftovers of a crash are removed by QemuVmm.CleanOrphansAsync at startup).");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(spec.ConsoleLogPath))!);
        var console = new CappedLog(spec.ConsoleLogPath, ConsoleLogCapBytes);
        Directory.CreateDirectory(spec.RunDir);

        // Where the host offers cgroup v2 (root), QEMU runs in a group with limits.
        NanoClaw.Vm.Firecracker.VmCgroup? cgroup = null;
        if (NanoClaw.Vm.Firecracker.VmCgroup.Unavailable() is null)
        {
            try
            {
                cgroup = QemuCgroup.Create(spec.RunId, spec.MemoryMb, spec.Cpus, kvm: accel.StartsWith("kvm", StringComparison.Ordinal));
                if (cgroup.MissingControllers.Count > 0) logger.CgroupWithoutLimits(spec.RunId, string.Join(", ", cgroup.MissingControllers));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.CgroupUnavailable(spec.RunId, e.Message);
            }
        }
        ProcessStartInfo psi;
        if (cgroup is null)
        {
            psi = new ProcessStartInfo(QemuCommandLine.Binary);
            foreach (var a in arguments) psi.ArgumentList.Add(a);
        }
        else psi = QemuCgroup.StartInfo(cgroup.ProcsFile, arguments);
        // stdin is a pipe we never write: QEMU's stdio serial must not grab the host's terminal.
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        // QEMU gets no host environment, so no credential can leak into it.
        psi.Environment.Clear();
        psi.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin";

        VmProcess process;
        try
        {
            process = VmProcess.Start(psi, "qemu", spec.RunId, spec.RunDir, console, () => RemoveRunAsync(spec.RunDir, cgroup), logger);
        }
        catch (Win32Exception e)
        {
            console.Dispose();
            if (cgroup is not null) await cgroup.TryRemoveAsync();
            Directory.Delete(spec.RunDir, recursive: true);
            throw new VmBootException($"cannot start {QemuCommandLine.Binary} ({e.Message}): install it with `apt-get install qemu-system-x86`");
        }

        var vm = new QemuMicroVm(spec, process);
        try
        {
            // For QemuVmm.CleanOrphansAsync, should this host process die without disposing the VM.
            await File.WriteAllTextAsync(Path.Combine(spec.RunDir, PidFileName), vm.Pid.ToString(CultureInfo.InvariantCulture), ct);
            logger.VmStarted(spec.RunId, vm.Pid, accel, spec.MemoryMb, spec.Cpus);
            vm.control = await vm.ConnectAsync(socketPath, ct);
            if (spec.Tap is null)
                vm.gateway = GatewayStreams.Start(await vm.ConnectAsync(QemuCommandLine.NetSocketPath(spec), ct), spec, logger);
            return vm;
        }
        catch
        {
            await vm.DisposeAsync();
            throw;
        }
    }

    /// <summary>QEMU creates its sockets early (server=on,wait=off); retry until it is there or qemu has died.</summary>
    async Task<NetworkStream> ConnectAsync(string socketPath, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (Exited.IsCompleted)
            {
                var exit = await Exited;
                throw new VmBootException($"qemu exited with code {exit.ExitCode} before its socket {Path.GetFileName(socketPath)} came up: {vmm.Or(exit.Detail)} (console log: {spec.ConsoleLogPath})");
            }
            if (await UnixSocket.TryConnectAsync(socketPath, ct) is { } stream) return stream;
            if (deadline.Elapsed > ConnectBound)
                throw new VmBootException($"qemu pid {Pid} did not open its socket {socketPath} within {ConnectBound.TotalSeconds:F0} s: {vmm.StderrTail()}");
            await Task.Delay(20, ct);
        }
    }

    /// <summary>
    /// Ends the run: stops qemu (SIGTERM, then SIGKILL of its process tree after a grace period), closes the log and
    /// deletes RunDir (<see cref="VmProcess.DisposeAsync"/>), then closes the gateway streams and the control socket. Throws (leaving RunDir
    /// for orphan cleanup) only if qemu survives SIGKILL, which means the host is in trouble.
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
            try
            {
                if (gateway is not null) await gateway.DisposeAsync();
            }
            finally
            {
                control?.Dispose();
            }
        }
    }

    static async Task RemoveRunAsync(string runDir, NanoClaw.Vm.Firecracker.VmCgroup? cgroup)
    {
        // The group first: removing it kills anything QEMU left behind.
        if (cgroup is not null) await cgroup.TryRemoveAsync();
        if (Directory.Exists(runDir)) Directory.Delete(runDir, recursive: true);
    }
}
