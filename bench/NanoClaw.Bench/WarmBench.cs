using System.Diagnostics;
using Microsoft.Extensions.Logging;
using NanoClaw.Runs;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Bench;

/// <summary>
/// <c>warm</c>: what the warm pool saves before a run can start. Cold: <see cref="ReadyVm.BootAsync"/>, from
/// starting QEMU to the guest's <c>ready</c>. Warm: <see cref="WarmPool.ClaimAsync"/> with a ready VM in the pool,
/// which is what a run waits for when it claims one. Cold boots come first with the pool off, then the claims, each
/// after the pool's refill has finished: two boots at once on a small host would measure each other.
/// </summary>
public sealed class WarmBench(BenchEnvironment env)
{
    static readonly TimeSpan ReadyBound = TimeSpan.FromMinutes(3);

    public async Task<IReadOnlyList<Measurement>> RunAsync(int runs, CancellationToken ct)
    {
        var vmm = new QemuVmm(env.Kvm, env.Logs.CreateLogger<QemuVmm>());
        var config = env.NewHome("warm") with { WarmPoolSize = 1 };
        List<double> cold = [], warm = [], ratio = [];
        for (var i = 0; i < runs; i++)
        {
            var id = WarmPool.NewId();
            var clock = Stopwatch.StartNew();
            // Gateway port 9 (discard): these guests never call out.
            await using var vm = await ReadyVm.BootAsync(vmm, WarmPool.Spec(config, env.Artifacts, 9, 0, id, Path.Combine(config.Home, id + ".console.log")),
                ReadyBound, TimeProvider.System, ct);
            cold.Add(clock.Elapsed.TotalMilliseconds);
            Console.Error.WriteLine($"warm: cold boot {i + 1}/{runs} ready after {cold[^1]:F0} ms");
        }

        await using (var pool = new WarmPool(config, vmm, _ => Task.FromResult(env.Artifacts), 9, TimeProvider.System, env.Logs.CreateLogger<WarmPool>()))
        {
            pool.Start();
            for (var i = 0; i < runs; i++)
            {
                await WaitForReadyAsync(pool, ct);
                var clock = Stopwatch.StartNew();
                var claim = await pool.ClaimAsync(ct) ?? throw new InvalidOperationException("the pool had a ready VM but the claim returned none");
                var took = clock.Elapsed.TotalMilliseconds;
                warm.Add(took);
                ratio.Add(cold[i] / took);
                claim.Vm.DeleteConsoleLog();
                await claim.Vm.DisposeAsync();
                Console.Error.WriteLine($"warm: claim {i + 1}/{runs} handed over a ready VM in {took:F3} ms");
            }
        }

        var mode = env.Kvm.Usable ? "KVM" : "TCG";
        return
        [
            new("warm-cold", $"cold: QEMU started -> guest ready ({mode})", "ms", cold),
            new("warm-claim", "warm: claim -> a ready VM in hand (pool had one ready)", "ms", warm),
            new("warm-ratio", "cold boot / warm claim, per pair", "x", ratio),
        ];
    }

    static async Task WaitForReadyAsync(WarmPool pool, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (pool.ReadyCount == 0)
        {
            if (clock.Elapsed > ReadyBound) throw new TimeoutException($"the warm pool had no ready VM within {ReadyBound.TotalMinutes:F0} min");
            await Task.Delay(50, ct);
        }
        // Let the guest's post-ready start-up settle, as it would between two messages.
        await Task.Delay(1000, ct);
    }

    /// <summary>Shared with the other benchmarks that run through a pool.</summary>
    internal static Task WaitForWarmAsync(WarmPool pool, CancellationToken ct) => WaitForReadyAsync(pool, ct);
}
