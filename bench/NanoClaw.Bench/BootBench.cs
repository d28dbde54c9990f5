using System.Diagnostics;
using Microsoft.Extensions.Logging;
using NanoClaw.Guest;
using NanoClaw.Vm;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Bench;

/// <summary>
/// <c>boot</c>: cold boot to guest-ready, i.e. from <see cref="IVmm.BootAsync"/> until the guest agent's first
/// <c>ready</c> frame, on the QEMU backend in the mode the KVM probe chose. While each guest idles after ready,
/// the qemu process's resident memory is sampled; then the VM is destroyed, which is timed too.
/// </summary>
public sealed class BootBench(BenchEnvironment env)
{
    static readonly TimeSpan ReadyBound = TimeSpan.FromMinutes(3);
    /// <summary>Long enough for the guest's post-ready work (agent start-up) to settle, short enough to keep runs quick.</summary>
    static readonly TimeSpan IdleBeforeSample = TimeSpan.FromSeconds(3);

    public async Task<IReadOnlyList<Measurement>> RunAsync(int runs, CancellationToken ct)
    {
        var vmm = new QemuVmm(env.Kvm, env.Logs.CreateLogger<QemuVmm>());
        var mode = env.Kvm.Usable ? "KVM" : "TCG";
        var config = env.NewHome("boot");
        List<double> boot = [], destroy = [], total = [], guestRam = [], vmmOnly = [], tcgCode = [];
        for (var i = 0; i < runs; i++)
        {
            var runId = Guid.NewGuid().ToString("N")[..12];
            var spec = new VmSpec(runId, env.Artifacts, config.VmMemoryMb, config.VmCpus,
                // Nothing listens on the discard port: this guest never uses the network.
                GatewayPort: 9,
                RunDir: Path.Combine(config.DataDir, "vms", runId),
                ConsoleLogPath: Path.Combine(config.Home, "logs", runId + ".console.log"));

            var clock = Stopwatch.StartNew();
            var vm = await vmm.BootAsync(spec, ct);
            try
            {
                await WaitForReadyAsync(vm, spec, ct);
                boot.Add(clock.Elapsed.TotalMilliseconds);
                await Task.Delay(IdleBeforeSample, ct);
                var memory = QemuMemory.Read(((QemuMicroVm)vm).Pid, spec.MemoryMb);
                total.Add(memory.TotalMiB);
                guestRam.Add(memory.GuestRamMiB);
                vmmOnly.Add(memory.VmmMiB);
                tcgCode.Add(memory.TcgCodeMiB);
                Console.Error.WriteLine($"boot {i + 1}/{runs}: ready after {boot[^1] / 1000:F2} s; qemu RSS {memory.TotalMiB:F0} MiB (guest RAM {memory.GuestRamMiB:F0}, VMM {memory.VmmMiB:F0}, of which TCG code {memory.TcgCodeMiB:F0})");
            }
            finally
            {
                clock.Restart();
                await vm.DisposeAsync();
                destroy.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        var memoryNote = $"{config.VmMemoryMb} MiB, {config.VmCpus} vCPU guest idling {IdleBeforeSample.TotalSeconds:F0} s after ready";
        List<Measurement> rows =
        [
            new("boot", $"cold boot to guest-ready, QEMU microvm ({mode})", "ms", boot),
            new("destroy", "VM teardown (SIGTERM, up to 3 s grace, SIGKILL; run folder removed)", "ms", destroy),
            new("rss", $"qemu VmRSS, {memoryNote}", "MiB", total),
            new("rss-guest", "of which guest RAM (resident part of the guest memory mapping)", "MiB", guestRam),
            new("rss-vmm", "of which everything else: the VMM's own overhead", "MiB", vmmOnly),
            new("rss-tcg", "of the VMM's share: TCG translated-code cache (anonymous rwx mappings)", "MiB", tcgCode),
        ];
        if (!env.Kvm.Usable)
            rows.Add(Measurement.Unavailable("boot-kvm", "cold boot to guest-ready, QEMU microvm (KVM)", env.Kvm.Reason));
        rows.Add(Measurement.Unavailable("boot-firecracker", "cold boot to guest-ready, Firecracker", FirecrackerReason()));
        return rows;
    }

    string FirecrackerReason() => env.Kvm.Usable
        ? "this build has no Firecracker backend yet (QEMU is the only IVmm)"
        : $"Firecracker needs working KVM and has no software fallback; {env.Kvm.Reason} (and this build has no Firecracker backend yet)";

    static async Task WaitForReadyAsync(IMicroVm vm, VmSpec spec, CancellationToken ct)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(ReadyBound);
        var reader = new GuestFrameReader(vm.Control, maxPayloadBytes: 0);
        GuestToHostFrame? first;
        try { first = await reader.ReadAsync<GuestToHostFrame>(bound.Token); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"no ready frame within {ReadyBound.TotalMinutes:F0} min; console log: {spec.ConsoleLogPath}");
        }
        if (first is not ReadyFrame)
            throw new InvalidOperationException($"the guest's first frame was {first?.TypeName ?? "none (the VM stopped)"}, not ready; console log: {spec.ConsoleLogPath}");
    }
}
