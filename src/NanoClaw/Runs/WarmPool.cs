using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using NanoClaw.Gateway;
using NanoClaw.Vm;
using NanoClaw.Vm.Image;

namespace NanoClaw.Runs;

/// <summary>
/// VMs booted ahead of need, so a run does not wait for a boot. A warm VM is booted with only generic inputs (the
/// image, memory, vCPUs, the gateway port) and waited to the guest's <c>ready</c>; it holds no group's data and no
/// token until a run claims it and sends the job and workspace. Each warm VM serves exactly one run and is destroyed
/// after it, like a cold one: never shared, never reused. A warm VM that waits is frozen once settled (no CPU) and
/// thawed by its claim.
/// <para>
/// Size: <see cref="Config.WarmPoolSize"/> (0 = off: nothing boots, no timer), capped at
/// <see cref="Config.MaxConcurrentAgents"/>, refilled right after every claim, drained to zero after
/// <see cref="Config.WarmPoolIdle"/> without a claim (the next claim boots cold and wakes the pool), and never
/// grown when MemAvailable minus the new VM's memory would fall under <see cref="Config.WarmPoolMinFreeMb"/>.
/// </para>
/// <para>
/// Why warm VMs do not take a MAX_CONCURRENT_AGENTS slot: that limit bounds concurrent agent runs (CPU and API
/// use). A warm guest that has said ready sits idle and costs memory, which the MemAvailable floor bounds. But
/// no more warm VMs than MAX_CONCURRENT_AGENTS are kept: more can never be claimed at once, so they would only
/// hold memory.
/// </para>
/// </summary>
public sealed partial class WarmPool : IAsyncDisposable
{
    /// <summary>How long a boot may take to reach ready before it counts as failed.</summary>
    public static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(3);

    readonly Config config;
    readonly IVmm vmm;
    readonly Func<CancellationToken, Task<VmArtifacts>> artifacts;
    readonly int gatewayPort, proxyPort;
    readonly TimeProvider time;
    readonly ILogger log;
    readonly Func<long?> memAvailableMb;
    readonly (RunTokens Tokens, GuestEndpoints Guest)? spares;
    readonly Lock gate = new();
    /// <summary>Warm VMs, booting or ready, oldest first. A slot leaves this list exactly once: claimed, discarded, drained or disposed.</summary>
    readonly List<Slot> slots = [];
    /// <summary>Discards and drains still destroying VMs; awaited on dispose so nothing outlives the pool.</summary>
    readonly List<Task> cleanups = [];
    ITimer? idleTimer;
    bool dormant;
    bool disposed;

    /// <param name="artifacts">The VM image (<see cref="VmImage.EnsureAsync"/>); asked before each boot, cached after the first.</param>
    /// <param name="memAvailableMb">MemAvailable in MiB, null when unknown; /proc/meminfo unless a test says otherwise.</param>
    /// <param name="spares">The gateway's tokens and guest endpoints: with them (and <see cref="Config.VmSpare"/> on) each warm
    /// VM gets an unbound token and starts Claude Code parked (<see cref="ReadyVm.SendSpareAsync"/>); without, VMs only boot.</param>
    public WarmPool(Config config, IVmm vmm, Func<CancellationToken, Task<VmArtifacts>> artifacts, int gatewayPort, TimeProvider time,
        ILogger<WarmPool> log, Func<long?>? memAvailableMb = null, int proxyPort = 0, (RunTokens Tokens, GuestEndpoints Guest)? spares = null)
    {
        this.proxyPort = proxyPort;
        this.spares = config.VmSpare ? spares : null;
        (this.config, this.vmm, this.artifacts, this.gatewayPort, this.time, this.log) = (config, vmm, artifacts, gatewayPort, time, log);
        this.memAvailableMb = memAvailableMb ?? ReadMemAvailableMb;
    }

    /// <summary>How many warm VMs the pool keeps while awake.</summary>
    public int Target => Math.Clamp(config.WarmPoolSize, 0, config.MaxConcurrentAgents);

    /// <summary>Warm VMs whose guest has said ready and that are still running.</summary>
    public int ReadyCount
    {
        get
        {
            lock (gate) return slots.Count(s => s.Boot.IsCompletedSuccessfully && s.Boot.Result is { } vm && !vm.Vm.Exited.IsCompleted);
        }
    }

    /// <summary>Warm VMs booting or ready.</summary>
    public int Count
    {
        get { lock (gate) return slots.Count; }
    }

    /// <summary>Ids of the warm VMs, booting or ready (their VMs' <see cref="VmSpec.RunId"/>).</summary>
    public IReadOnlyList<string> Ids
    {
        get { lock (gate) return [.. slots.Select(s => s.Id)]; }
    }

    /// <summary>
    /// The one place a <see cref="VmSpec"/> is made, for warm and cold boots alike, so a new per-VM setting (e.g. a
    /// network device) is added here once.
    /// </summary>
    public static VmSpec Spec(Config config, VmArtifacts artifacts, int gatewayPort, int proxyPort, string vmId, string consoleLogPath, IReadOnlyList<VmDisk>? extraDisks = null) =>
        new(vmId, artifacts, config.VmMemoryMb, config.VmCpus, gatewayPort, Path.Combine(config.DataDir, "vms", vmId), consoleLogPath, extraDisks, proxyPort, Prime: config.VmPriming);

    /// <summary>A fresh VM or run id: short, because it names the VM's run folder and a Unix socket path must fit in 107 bytes.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <summary>Starts filling the pool and its idle clock. Does nothing when the pool is off.</summary>
    public void Start()
    {
        if (Target == 0) return;
        lock (gate)
        {
            if (disposed) return;
            // Console logs of warm VMs a previous process never used: they only held a boot.
            var warmDir = WarmLogDir;
            if (Directory.Exists(warmDir))
                foreach (var stale in Directory.EnumerateFiles(warmDir, "*.console.log")) File.Delete(stale);
            idleTimer = time.CreateTimer(_ => Drain(), null, config.WarmPoolIdle, Timeout.InfiniteTimeSpan);
            RefillLocked();
        }
        LogStarted(log, Target, config.WarmPoolIdle.TotalMinutes, config.WarmPoolMinFreeMb);
    }

    /// <summary>
    /// Takes a warm VM for one run: a ready one if there is one, else the oldest still booting (further along than a
    /// new boot would be), then refills. Null when the pool is off, empty, asleep after an idle period (this claim
    /// wakes it) or its VM failed: the caller boots cold. The caller owns the result and must dispose it.
    /// </summary>
    public async Task<WarmClaim?> ClaimAsync(CancellationToken ct)
    {
        var started = time.GetTimestamp();
        Slot? slot;
        lock (gate)
        {
            if (disposed || Target == 0) return null;
            if (dormant) LogWoken(log);
            dormant = false;
            idleTimer?.Change(config.WarmPoolIdle, Timeout.InfiniteTimeSpan);
            slot = slots.FirstOrDefault(s => s.Boot.IsCompletedSuccessfully && s.Boot.Result is { } vm && !vm.Vm.Exited.IsCompleted)
                ?? slots.FirstOrDefault(s => !s.Boot.IsCompleted);
            if (slot is not null) slots.Remove(slot);
            RefillLocked();
        }
        if (slot is null) return null;

        ReadyVm? claimed;
        try { claimed = await slot.Boot.WaitAsync(ct); }
        catch (OperationCanceledException)
        {
            // The run gave up while this VM was still booting: nobody else may have it, so it goes.
            Discard(slot, deleteConsoleLog: true);
            throw;
        }
        if (claimed is null) return null; // its boot failed and was logged
        if (claimed.Vm.Exited.IsCompleted)
        {
            LogDied(log, slot.Id, (await claimed.Vm.Exited).ExitCode, claimed.Spec.ConsoleLogPath);
            await claimed.DisposeAsync();
            return null;
        }
        claimed.Vm.Thaw(); // if it was frozen while it waited; it left the pool above, so nothing freezes it again
        return new WarmClaim(claimed, time.GetElapsedTime(started));
    }

    /// <summary>Destroys every warm VM (booting or ready), stops the idle clock, and waits until all are gone.</summary>
    public async ValueTask DisposeAsync()
    {
        List<Slot> left;
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            idleTimer?.Dispose();
            left = [.. slots];
            slots.Clear();
        }
        foreach (var slot in left) Discard(slot, deleteConsoleLog: true);
        Task[] pending;
        lock (gate) pending = [.. cleanups];
        await Task.WhenAll(pending);
    }

    string WarmLogDir => Path.Combine(config.DataDir, "warm");

    /// <summary>Boots until the pool is at its target, as far as memory allows. Caller holds <see cref="gate"/>.</summary>
    void RefillLocked()
    {
        while (!disposed && !dormant && slots.Count < Target)
        {
            // Guest RAM is touched lazily (an idle guest holds ~10 % of it), so MemAvailable does not yet show what
            // the VMs still booting will take, nor what a claimed guest may grow to: reserve the full size for each.
            var booting = slots.Count(s => !s.Boot.IsCompleted);
            if (memAvailableMb() is { } available && available - (long)config.VmMemoryMb * (booting + 1) < config.WarmPoolMinFreeMb)
            {
                LogMemoryBound(log, available, config.VmMemoryMb, config.WarmPoolMinFreeMb);
                return;
            }
            var slot = new Slot(NewId());
            slot.Boot = Task.Run(() => BootAsync(slot), CancellationToken.None);
            slots.Add(slot);
        }
    }

    async Task<ReadyVm?> BootAsync(Slot slot)
    {
        var started = time.GetTimestamp();
        try
        {
            var image = await artifacts(slot.Cancel.Token);
            Directory.CreateDirectory(WarmLogDir);
            var spec = Spec(config, image, gatewayPort, proxyPort, slot.Id, Path.Combine(WarmLogDir, slot.Id + ".console.log"));
            var vm = await ReadyVm.BootAsync(vmm, spec, BootTimeout, time, slot.Cancel.Token);
            if (spares is { } spare)
            {
                try { await vm.SendSpareAsync(spare.Tokens, spare.Guest, WarmSpare.ReadGlobalMemory(config.GroupDir(GroupFolder.Global)), slot.Cancel.Token); }
                catch
                {
                    await vm.DisposeAsync(); // revokes the token it was given
                    throw;
                }
            }
            LogReady(log, slot.Id, time.GetElapsedTime(started).TotalMilliseconds);
            _ = WatchAsync(slot, vm);
            _ = FreezeWhenSettledAsync(slot, vm);
            return vm;
        }
        catch (OperationCanceledException) when (slot.Cancel.IsCancellationRequested)
        {
            return null; // drained or disposed while booting; the VM is already gone
        }
        catch (Exception e)
        {
            // Not retried here: a boot that fails now most likely fails again. The next claim tries once more.
            lock (gate) slots.Remove(slot);
            LogBootFailed(log, slot.Id, e);
            return null;
        }
    }

    /// <summary>A warm VM that exits while it waits (crash, OOM kill, someone's SIGKILL) is discarded, never handed out.</summary>
    async Task WatchAsync(Slot slot, ReadyVm vm)
    {
        var exit = await vm.Vm.Exited;
        lock (gate)
        {
            // Claimed, drained or disposed: its new owner destroys it.
            if (!slots.Remove(slot)) return;
        }
        LogDied(log, slot.Id, exit.ExitCode, vm.Spec.ConsoleLogPath);
        // The console log stays: it is the only record of why the guest died.
        Discard(slot, deleteConsoleLog: false);
    }

    /// <summary>A warm VM that waits is frozen once it has settled (<see cref="WaitingVm"/>, <see cref="Config.VmFreezeAfter"/>):
    /// its parked Claude Code then costs no CPU beside the runs. Frozen under the pool's lock and only while still in the
    /// pool, so a claim (which takes it out under that lock, then thaws it) never gets a VM that stays frozen.</summary>
    async Task FreezeWhenSettledAsync(Slot slot, ReadyVm vm)
    {
        if (config.VmFreezeAfter <= TimeSpan.Zero) return;
        bool Waiting() { lock (gate) return slots.Contains(slot); }
        try
        {
            if (!await WaitingVm.SettledAsync(vm.Vm, config.VmFreezeAfter, time, Waiting, slot.Cancel.Token)) return;
        }
        catch (OperationCanceledException) { return; } // drained or disposed
        lock (gate)
        {
            if (!slots.Contains(slot)) return;
            vm.Vm.Freeze();
        }
        LogFrozen(log, slot.Id);
    }

    /// <summary>After <see cref="Config.WarmPoolIdle"/> without a claim: destroy every warm VM and boot none until the next claim.</summary>
    void Drain()
    {
        List<Slot> drained;
        lock (gate)
        {
            if (disposed || dormant) return;
            dormant = true;
            drained = [.. slots];
            slots.Clear();
        }
        LogDrained(log, drained.Count, config.WarmPoolIdle.TotalMinutes);
        foreach (var slot in drained) Discard(slot, deleteConsoleLog: true);
    }

    /// <summary>Cancels a slot's boot if it still runs and destroys its VM, in the background but tracked for dispose.</summary>
    void Discard(Slot slot, bool deleteConsoleLog)
    {
        slot.Cancel.Cancel();
        var cleanup = Task.Run(async () =>
        {
            if (await slot.Boot is { } vm)
            {
                if (deleteConsoleLog) vm.DeleteConsoleLog();
                await vm.DisposeAsync();
            }
            slot.Cancel.Dispose();
        }, CancellationToken.None);
        lock (gate)
        {
            cleanups.RemoveAll(t => t.IsCompleted);
            cleanups.Add(cleanup);
        }
    }

    /// <summary>MemAvailable in MiB from /proc/meminfo, null when unknown.</summary>
    internal static long? ReadMemAvailableMb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException) { }
        return null;
    }

    sealed class Slot(string id)
    {
        public string Id { get; } = id;
        public CancellationTokenSource Cancel { get; } = new();
        /// <summary>Set once, right after construction, before the slot is visible to anyone else.</summary>
        public Task<ReadyVm?> Boot { get; set; } = null!;
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Information, Message = "Warm pool: keeping {Target} VM(s) ready; drained after {IdleMinutes} min without a run; none booted below {FloorMb} MiB available")]
    static partial void LogStarted(ILogger logger, int target, double idleMinutes, int floorMb);

    [LoggerMessage(EventId = 411, Level = LogLevel.Information, Message = "Warm VM {VmId} ready after {Milliseconds:F0} ms")]
    static partial void LogReady(ILogger logger, string vmId, double milliseconds);

    [LoggerMessage(EventId = 412, Level = LogLevel.Warning, Message = "Warm VM {VmId} failed to boot; the next claim tries again")]
    static partial void LogBootFailed(ILogger logger, string vmId, Exception ex);

    [LoggerMessage(EventId = 413, Level = LogLevel.Warning, Message = "Warm VM {VmId} exited (code {ExitCode}) while waiting for a run: discarded (console log: {ConsoleLog})")]
    static partial void LogDied(ILogger logger, string vmId, int exitCode, string consoleLog);

    [LoggerMessage(EventId = 414, Level = LogLevel.Information, Message = "Warm pool: no run for {IdleMinutes} min, destroyed {Count} warm VM(s); the next run boots cold and wakes the pool")]
    static partial void LogDrained(ILogger logger, int count, double idleMinutes);

    [LoggerMessage(EventId = 417, Level = LogLevel.Debug, Message = "Warm VM {VmId} settled: frozen until a run claims it")]
    static partial void LogFrozen(ILogger logger, string vmId);

    [LoggerMessage(EventId = 415, Level = LogLevel.Information, Message = "Warm pool: a run arrived, refilling")]
    static partial void LogWoken(ILogger logger);

    [LoggerMessage(EventId = 416, Level = LogLevel.Warning, Message = "Warm pool: not booting another VM: {AvailableMb} MiB available minus {VmMb} MiB for the VM would be under the {FloorMb} MiB floor (WARM_POOL_MIN_FREE_MB)")]
    static partial void LogMemoryBound(ILogger logger, long availableMb, int vmMb, int floorMb);
}
