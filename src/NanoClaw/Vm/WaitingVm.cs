namespace NanoClaw.Vm;

/// <summary>
/// A VM that only waits (a warm VM for its claim, a prepared run for its message) still costs CPU: its kernel's ticks
/// and Claude Code's timers, 6-16 % of a host core each under TCG (BENCHMARKS.md, session 9). Once it has settled it is frozen
/// (<see cref="IMicroVm.Freeze"/>) and holds only memory; whoever hands it work thaws it first, which takes no
/// measurable time. Settled means it has waited at least the set time and then used under a third of a core for
/// <see cref="Sample"/>: a guest still starting Claude Code (a whole core or more) is never
/// frozen mid-start, so no connection it is opening stalls, however slow the machine.
/// </summary>
public static class WaitingVm
{
    public static readonly TimeSpan Sample = TimeSpan.FromSeconds(2);
    const double SettledShareOfACore = 1.0 / 3;

    /// <summary>Completes once <paramref name="vm"/> has settled, or with false when it exits or
    /// <paramref name="stillWaiting"/> says it has been given work. Cancelled with <paramref name="ct"/>.</summary>
    public static async Task<bool> SettledAsync(IMicroVm vm, TimeSpan after, TimeProvider time, Func<bool> stillWaiting, CancellationToken ct)
    {
        await Task.Delay(after, time, ct);
        while (stillWaiting() && !vm.Exited.IsCompleted)
        {
            var before = vm.CpuTime;
            await Task.Delay(Sample, time, ct);
            if (vm.CpuTime - before < Sample * SettledShareOfACore) return stillWaiting() && !vm.Exited.IsCompleted;
        }
        return false;
    }
}
