using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NanoClaw.Runs;
using NanoClaw.Vm;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Tests.Runs;

/// <summary>The warm pool's decisions that need no VM: its settings, when it is off, and its size limits. The VM
/// behaviour (claim, refill, discard, drain, isolation) is in <c>EndToEnd/WarmPoolVmTests</c>.</summary>
public sealed class WarmPoolTests : IDisposable
{
    readonly string home = Directory.CreateTempSubdirectory("nanoclaw-warmpool-").FullName;

    public void Dispose() => Directory.Delete(home, recursive: true);

    [Fact]
    public void TheSettingsDefaultToOneVmAndFourHoursAndZeroTurnsThePoolOff()
    {
        var defaults = Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = home });
        (defaults.WarmPoolSize, defaults.WarmPoolIdle, defaults.WarmPoolMinFreeMb).ShouldBe((1, TimeSpan.FromHours(4), 1024));

        var off = Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = home, ["WARM_POOL_SIZE"] = "0", ["WARM_POOL_IDLE_MINUTES"] = "3" });
        (off.WarmPoolSize, off.WarmPoolIdle).ShouldBe((0, TimeSpan.FromMinutes(3)));

        Should.Throw<ConfigException>(() => Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = home, ["WARM_POOL_SIZE"] = "-1" }))
            .Message.ShouldContain("WARM_POOL_SIZE=-1");
    }

    [Fact]
    public void SparesAreOnByDefaultAndVmSpareOffTurnsThemOff()
    {
        Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = home }).VmSpare.ShouldBeTrue();
        Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = home, ["VM_SPARE"] = "on" }).VmSpare.ShouldBeTrue();
        Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = home, ["VM_SPARE"] = "off" }).VmSpare.ShouldBeFalse();
        Should.Throw<ConfigException>(() => Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = home, ["VM_SPARE"] = "yes" }))
            .Message.ShouldContain("VM_SPARE=yes must be on or off");
    }

    [Fact]
    public async Task AnOffPoolBootsNothingArmsNoTimerAndEveryClaimIsCold()
    {
        var time = new FakeTimeProvider();
        await using var pool = NewPool(new Config { Home = home, CacheDir = home, WarmPoolSize = 0 }, time, () => 1_000_000);

        pool.Start();
        var claim = await pool.ClaimAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromHours(1));

        claim.ShouldBeNull();
        pool.Count.ShouldBe(0);
        Directory.Exists(Path.Combine(home, "data")).ShouldBeFalse(); // not even a folder for a VM
    }

    [Fact]
    public async Task NoWarmVmBootsWhenMemoryWouldFallUnderTheFloor()
    {
        // 3000 MiB available - 2048 MiB for the VM = 952 MiB < the 1024 MiB floor.
        await using var pool = NewPool(new Config { Home = home, CacheDir = home, WarmPoolSize = 1, VmMemoryMb = 2048 }, new FakeTimeProvider(), () => 3000);

        pool.Start();

        pool.Count.ShouldBe(0);
        (await pool.ClaimAsync(CancellationToken.None)).ShouldBeNull();
        pool.Count.ShouldBe(0);
    }

    [Fact]
    public async Task ThePoolIsNeverLargerThanTheRunsThatCanHappenAtOnce()
    {
        await using var pool = NewPool(new Config { Home = home, CacheDir = home, WarmPoolSize = 5, MaxConcurrentAgents = 2 }, new FakeTimeProvider(), () => 0);

        pool.Target.ShouldBe(2);
    }

    static WarmPool NewPool(Config config, TimeProvider time, Func<long?> memAvailableMb) =>
        // The VMM is never asked to boot in these tests (the pool is off, or memory forbids it).
        new(config, new QemuVmm(new KvmStatus(false, "not used"), NullLogger<QemuVmm>.Instance),
            _ => throw new InvalidOperationException("no boot expected"), gatewayPort: 9, time, NullLogger<WarmPool>.Instance, memAvailableMb);
}
