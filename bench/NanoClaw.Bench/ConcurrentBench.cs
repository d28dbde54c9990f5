using System.Diagnostics;
using Microsoft.Extensions.Logging;
using NanoClaw.Runs;
using NanoClaw.Vm;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Bench;

/// <summary>
/// <c>concurrent</c>: N VMs booted at the same moment on this machine (1, 2, 4), at the product's size: each one's
/// boot to guest-ready, the time until all are ready, and the qemu processes' resident memory together while all
/// idle after ready. The only benchmark that runs VMs side by side, on purpose.
/// </summary>
public sealed class ConcurrentBench(BenchEnvironment env)
{
    static readonly TimeSpan ReadyBound = TimeSpan.FromMinutes(3);
    static readonly TimeSpan IdleBeforeSample = TimeSpan.FromSeconds(3);

    public async Task<IReadOnlyList<Measurement>> RunAsync(int runs, CancellationToken ct)
    {
        var vmm = new QemuVmm(env.Kvm, env.Logs.CreateLogger<QemuVmm>());
        var config = env.NewHome("concurrent");
        var rows = new List<Measurement>();
        foreach (var n in new[] { 1, 2, 4 })
        {
            List<double> each = [], all = [], rss = [];
            List<string> failures = [];
            for (var run = 0; run < runs; run++)
            {
                var clock = Stopwatch.StartNew();
                var boots = Enumerable.Range(0, n).Select(_ => Task.Run(async () =>
                {
                    var id = WarmPool.NewId();
                    var vm = await ReadyVm.BootAsync(vmm, WarmPool.Spec(config, env.Artifacts, 9, 0, id, Path.Combine(config.Home, id + ".console.log")),
                        ReadyBound, TimeProvider.System, ct);
                    return (Vm: vm, Ready: clock.Elapsed);
                }, ct)).ToArray();
                try
                {
                    try { await Task.WhenAll(boots); }
                    catch (VmBootException e)
                    {
                        // Counted and reported, not fatal: a guest that never comes up under load is a finding too.
                        failures.Add(e.Message);
                        Console.Error.WriteLine($"concurrent {n}: run {run + 1}/{runs}: a VM failed: {e.Message}");
                        foreach (var log in Directory.GetFiles(config.Home, "*.console.log").Where(File.Exists))
                            if (boots.All(b => !b.IsCompletedSuccessfully || b.Result.Vm.Spec.ConsoleLogPath != log))
                                Console.Error.WriteLine($"--- tail of {log}:\n{string.Join('\n', File.ReadLines(log).TakeLast(15))}\n---");
                        continue;
                    }
                    all.Add(clock.Elapsed.TotalMilliseconds);
                    each.AddRange(boots.Select(b => b.Result.Ready.TotalMilliseconds));
                    await Task.Delay(IdleBeforeSample, ct);
                    rss.Add(boots.Sum(b => QemuMemory.Read(((QemuMicroVm)b.Result.Vm.Vm).Pid, config.VmMemoryMb).TotalMiB));
                    Console.Error.WriteLine($"concurrent {n}: run {run + 1}/{runs}: all ready after {all[^1]:F0} ms, qemu RSS together {rss[^1]:F0} MiB");
                }
                finally
                {
                    foreach (var boot in boots)
                        if (boot.IsCompletedSuccessfully) await boot.Result.Vm.DisposeAsync();
                    foreach (var log in Directory.GetFiles(config.Home, "*.console.log")) File.Delete(log);
                }
            }
            var mode = env.Kvm.Usable ? "KVM" : "TCG";
            rows.Add(new($"concurrent-{n}-ready", $"{n} VM(s) booted at once: each one's boot to guest-ready ({mode})", "ms", each));
            rows.Add(new($"concurrent-{n}-all", $"{n} VM(s) booted at once: until the last is ready", "ms", all));
            rows.Add(new($"concurrent-{n}-rss", $"{n} VM(s) idle after ready: qemu VmRSS summed", "MiB", rss));
            if (failures.Count > 0)
                rows.Add(Measurement.Unavailable($"concurrent-{n}-failed", $"{n} VM(s) booted at once: runs where a VM did not reach ready",
                    $"{failures.Count} of {runs} runs: {failures[0]}"));
        }
        return rows;
    }
}
