using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace NanoClaw.MicroVm;

/// <summary>
/// One running QEMU microvm. It owns, and on dispose removes, everything of the run: the qemu
/// process (and the socat helpers it spawns), the control socket connection, the console log
/// writer and <see cref="VmSpec.RunDir"/> (control socket, <c>qemu.pid</c>).
/// </summary>
public sealed class QemuMicroVm : IMicroVm
{
    /// <summary>The console log stops growing here; a guest can print forever.</summary>
    public const long ConsoleLogCapBytes = 1 << 20;
    public const string PidFileName = "qemu.pid";

    static readonly TimeSpan ConnectBound = TimeSpan.FromSeconds(15);

    readonly Process process;
    readonly CappedLog console;
    readonly ILogger logger;
    readonly VmSpec spec;
    readonly Queue<string> stderrTail = new();
    readonly Task pumps;
    readonly Stopwatch uptime = Stopwatch.StartNew();
    NetworkStream? control;
    int disposed;

    QemuMicroVm(VmSpec spec, Process process, CappedLog console, ILogger logger)
    {
        this.spec = spec;
        this.process = process;
        this.console = console;
        this.logger = logger;
        Pid = process.Id;
        pumps = Task.WhenAll(PumpConsoleAsync(), PumpStderrAsync());
        Exited = WaitExitAsync();
    }

    public string RunId => spec.RunId;
    public int Pid { get; }
    public Stream Control => control ?? throw new InvalidOperationException("the control socket is not connected yet");
    public Task<VmExit> Exited { get; }

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

        var psi = new ProcessStartInfo(QemuCommandLine.Binary)
        {
            // stdin is a pipe we never write: QEMU's stdio serial must not grab the host's terminal.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        // QEMU and the socat it spawns get no host environment, so no credential can leak into them.
        psi.Environment.Clear();
        psi.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin";

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        try { process.Start(); }
        catch (Win32Exception e)
        {
            process.Dispose();
            console.Dispose();
            Directory.Delete(spec.RunDir, recursive: true);
            throw new VmBootException($"cannot start {QemuCommandLine.Binary} ({e.Message}): install it with `apt-get install qemu-system-x86`");
        }

        var vm = new QemuMicroVm(spec, process, console, logger);
        try
        {
            // For QemuVmm.CleanOrphansAsync, should this host process die without disposing the VM.
            await File.WriteAllTextAsync(Path.Combine(spec.RunDir, PidFileName), vm.Pid.ToString(CultureInfo.InvariantCulture), ct);
            logger.VmStarted(spec.RunId, vm.Pid, accel, spec.MemoryMb, spec.Cpus);
            await vm.ConnectAsync(socketPath, ct);
            return vm;
        }
        catch
        {
            await vm.DisposeAsync();
            throw;
        }
    }

    /// <summary>QEMU creates the socket early (server=on,wait=off); retry until it is there or qemu has died.</summary>
    async Task ConnectAsync(string socketPath, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (Exited.IsCompleted)
            {
                var exit = await Exited;
                throw new VmBootException($"qemu exited with code {exit.ExitCode} before its control socket came up: {Or(exit.Detail)} (console log: {spec.ConsoleLogPath})");
            }
            if (File.Exists(socketPath))
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                    control = new NetworkStream(socket, ownsSocket: true);
                    return;
                }
                catch (SocketException)
                {
                    socket.Dispose();
                }
            }
            if (deadline.Elapsed > ConnectBound)
                throw new VmBootException($"qemu pid {Pid} did not open its control socket {socketPath} within {ConnectBound.TotalSeconds:F0} s: {StderrSummary()}");
            await Task.Delay(20, ct);
        }
    }

    /// <summary>
    /// Ends the run: 1. SIGTERM qemu if it still runs, 2. SIGKILL its process tree after a grace
    /// period, 3. close the control socket and log, 4. delete RunDir. Throws (leaving RunDir for
    /// orphan cleanup) only if qemu survives SIGKILL, which means the host is in trouble.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        try
        {
            // 1. and 2.
            await VmProcess.StopAsync(process, Exited, "qemu", RunId, spec.RunDir, logger);
            // The pumps end at end-of-file; a helper that inherited stderr could hold it a little longer.
            await VmProcess.CompletesWithin(pumps, VmProcess.KillBound);
        }
        finally
        {
            // 3.
            control?.Dispose();
            process.Dispose();
            console.Dispose();
            // 4.
            if (Exited.IsCompleted && Directory.Exists(spec.RunDir))
                Directory.Delete(spec.RunDir, recursive: true);
        }
    }

    async Task<VmExit> WaitExitAsync()
    {
        var exitCode = await VmProcess.ExitCodeAsync(process);
        // Let the stderr pump catch QEMU's last words (it ends at end-of-file, right after exit).
        await VmProcess.CompletesWithin(pumps, TimeSpan.FromSeconds(1));
        logger.VmExited(RunId, exitCode, uptime.Elapsed.TotalSeconds);
        lock (stderrTail) return new VmExit(exitCode, string.Join(" | ", stderrTail));
    }

    /// <summary>The serial console (QEMU's stdout) goes to the capped log, raw.</summary>
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

    /// <summary>QEMU's own messages: into the console log (marked) and kept for error messages.</summary>
    async Task PumpStderrAsync()
    {
        await Task.Yield();
        try
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                console.WriteLine("[qemu] " + line);
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

    string StderrSummary()
    {
        lock (stderrTail) return Or(string.Join(" | ", stderrTail));
    }

    static string Or(string detail) => detail.Length == 0 ? "(qemu printed nothing)" : detail;

}
