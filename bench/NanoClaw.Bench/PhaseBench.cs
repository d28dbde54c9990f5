using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Credentials;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Tests.Fakes;
using NanoClaw.Vm.Image;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Bench;

/// <summary>
/// <c>phases</c>: where a whole "hello" run's time goes, cold and warm, with the guest's priming off, page cache only
/// and full, interleaved run by run so all variants meet the same machine (a cold boot never primes: the runner turns it
/// off). Each run is split by <see cref="RunPhases"/> from the run log (host clock), the fake's request times (host
/// clock) and the guest's own timing line (guest clock, shown only). Warm runs claim from a pool of one made for that
/// run, once its console says priming is over and a second more (a message rarely arrives the instant a VM is ready);
/// <c>warm-now</c> claims the instant it is ready, while the guest is still priming: a claim does not wait for that.
/// </summary>
public sealed partial class PhaseBench(BenchEnvironment env)
{
    const string Key = "sk-ant-bench-key-never-enters-the-vm";
    const string Reply = "Hello from the benchmark!";
    static readonly TimeSpan PrimeBound = TimeSpan.FromMinutes(4);

    /// <param name="Spare">The warm VM starts Claude Code parked before the run (VM_SPARE) and the run claims it.</param>
    /// <param name="Resume">The measured run resumes the session of an unmeasured run just before it (as most runs do),
    /// so a parked spare cannot serve it: what does the spare's CPU cost such a run?</param>
    /// <param name="Prepared">The measured run is a prepared one (AGENT_PREPARE_MINUTES): started with no message, Claude Code
    /// resuming the session, given <see cref="SpareSettle"/> to start; then the message goes in as its first turn, and
    /// the run is timed from that moment.</param>
    /// <param name="Photo">The prepared run's message brings a photo (<see cref="PhotoBytes"/>, stored in the group's media
    /// folder just before it), which goes into the VM with it.</param>
    /// <param name="Frozen">Waiting VMs are frozen once settled, at the earliest after <see cref="SpareSettle"/> (VM_FREEZE_SECONDS;
    /// the product's default is on, every other variant has it off): the run (or the prepared run's message) comes
    /// <see cref="FrozenFor"/> later.</param>
    sealed record Variant(string Name, string What, GuestPriming Prime, bool Warm, bool SettleFirst, bool Spare = false, bool Resume = false, bool Prepared = false,
        bool Photo = false, bool Frozen = false);

    static readonly TimeSpan FrozenFor = TimeSpan.FromSeconds(30);
    /// <summary>A prepared run's VMM CPU is sampled over this span, ending at the message.</summary>
    static readonly TimeSpan CpuSample = TimeSpan.FromSeconds(15);

    /// <summary>A phone photo as a chat app sends it (recompressed), in size only: the bytes are random.</summary>
    const int PhotoBytes = 300 * 1024;

    /// <summary>How long a spare variant waits after the VM is ready before its run: Claude Code's own start in the
    /// guest takes ~10 s under TCG (BENCHMARKS.md), and a spare still starting would measure a race, not a parked spare.</summary>
    static readonly TimeSpan SpareSettle = TimeSpan.FromSeconds(30);

    static readonly Variant[] Variants =
    [
        new("cold-unprimed", "cold boot, priming off", GuestPriming.Off, Warm: false, SettleFirst: false),
        new("warm-unprimed", "warm claim, priming off (before)", GuestPriming.Off, Warm: true, SettleFirst: true),
        new("warm-spare", "warm claim, priming off, Claude Code started and parked before the run (after)", GuestPriming.Off, Warm: true, SettleFirst: true, Spare: true),
        new("warm-resume", "warm claim, priming off, the run resumes a session (spares off)", GuestPriming.Off, Warm: true, SettleFirst: true, Resume: true),
        new("warm-resume-spare", "warm claim, priming off, the run resumes a session, spares on (its VM's spare is killed, the refill starts one)",
            GuestPriming.Off, Warm: true, SettleFirst: true, Spare: true, Resume: true),
        new("warm-resume-prepared", "a prepared run (resuming a session, started before the message), spares on: timed from the message",
            GuestPriming.Off, Warm: true, SettleFirst: true, Spare: true, Resume: true, Prepared: true),
        new("warm-prepared-fresh", "a prepared run of a fresh session (no session yet): its job claims the warm VM's spare at once, before the message; timed from the message",
            GuestPriming.Off, Warm: true, SettleFirst: true, Spare: true, Prepared: true),
        new("warm-resume-prepared-photo", "the same prepared run, its message bringing a 300 KiB photo that goes into the VM with it: timed from the message",
            GuestPriming.Off, Warm: true, SettleFirst: true, Spare: true, Resume: true, Prepared: true, Photo: true),
        new("warm-spare-frozen", "warm-spare with the warm VM frozen once settled (30 s at the earliest) and the run 30 s later: the claim thaws it",
            GuestPriming.Off, Warm: true, SettleFirst: true, Spare: true, Frozen: true),
        new("warm-resume-prepared-frozen", "the same prepared run, its VM frozen once settled (30 s at the earliest) and its message 30 s later: timed from the message",
            GuestPriming.Off, Warm: true, SettleFirst: true, Spare: true, Resume: true, Prepared: true, Frozen: true),
        new("warm-cache", "warm claim, page cache primed only", GuestPriming.PageCache, Warm: true, SettleFirst: true),
        new("warm", "warm claim, fully primed (page cache + throwaway start)", GuestPriming.Full, Warm: true, SettleFirst: true),
        new("warm-now", "warm claim the instant the VM is ready (priming still running, stopped at the job)", GuestPriming.Full, Warm: true, SettleFirst: false),
        // No primed cold variant: the runner boots cold VMs unprimed, since priming could only compete with their run.
    ];

    public async Task<IReadOnlyList<Measurement>> RunAsync(int runs, CancellationToken ct)
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: Key);
        var tokens = new RunTokens();
        var upstream = new UpstreamCredential(UpstreamCredentialKind.AnthropicApiKey, Key, fake.BaseUrl);
        await using var gateway = await HostGateway.StartAsync(upstream, tokens, env.Logs, TimeProvider.System, ct);
        var group = new RegisteredGroup("bench:main", "Bench", GroupFolder.Main, "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: false, IsMain: true);
        var only = Environment.GetEnvironmentVariable("NANOCLAW_BENCH_PHASES") is { Length: > 0 } list ? list.Split(',') : null;
        var variants = Variants.Where(v => only is null || only.Contains(v.Name)).ToArray();
        var samples = variants.ToDictionary(v => v.Name, _ => new List<RunPhases>());

        for (var i = 0; i < runs; i++)
            foreach (var v in variants)
            {
                var config = env.NewHome("phases-" + v.Name) with { VmPriming = v.Prime, WarmPoolSize = v.Warm ? 1 : 0, VmSpare = v.Spare };
                config = config with { VmFreezeAfter = v.Frozen ? SpareSettle : TimeSpan.Zero };
                GroupFolder.Ensure(config, group.Folder, templatesDir: null);
                var vmm = new QemuVmm(env.Kvm, env.Logs.CreateLogger<QemuVmm>());
                await using var pool = v.Warm ? new WarmPool(config, vmm, _ => Task.FromResult(env.Artifacts), gateway.Port, TimeProvider.System, env.Logs.CreateLogger<WarmPool>(),
                    spares: v.Spare ? (tokens, gateway.Guest) : null) : null;
                var runner = new MicroVmAgentRunner(config, new VmImage(config, env.RepoRoot), vmm, gateway, tokens, TimeProvider.System,
                    env.Logs.CreateLogger<MicroVmAgentRunner>(), pool);
                string? session = null;
                if (pool is not null)
                {
                    pool.Start();
                    await WaitForReadyAsync(pool, ct);
                    if (v.Resume)
                    {
                        // The session the measured run resumes, made by a run of its own (unmeasured); the pool refills.
                        (_, session) = await OneRunAsync(runner, fake, group, config, $"{v.Name} run {i + 1} (its session)", null, ct);
                        await WaitForReadyAsync(pool, ct);
                    }
                    if (v.SettleFirst) await WaitForPrimedAsync(config, ct);
                }
                double? warmCpu = null;
                if (pool is not null && v.Spare && !v.Prepared)
                {
                    // The warm VM waits (its spare parks; frozen once settled when the variant says so): its CPU is sampled
                    // over the end of that wait.
                    await Task.Delay(SpareSettle + (v.Frozen ? FrozenFor : TimeSpan.Zero) - CpuSample, ct);
                    var warm = VmmPid(pool.Ids.Single());
                    var cpuBefore = CpuTicks(warm);
                    await Task.Delay(CpuSample, ct);
                    warmCpu = (CpuTicks(warm) - cpuBefore) / (double)ClockTicksPerSecond / CpuSample.TotalSeconds * 100;
                    if (v.Frozen && ProcessState(warm) != 'T') throw new InvalidOperationException($"{v.Name} run {i + 1}: the warm VM was not frozen before its run");
                }
                var (phases, _) = await OneRunAsync(runner, fake, group, config, $"{v.Name} run {i + 1}", session, ct, v.Prepared, v.Photo, v.Frozen);
                if (warmCpu is not null) phases = phases with { WaitCpu = warmCpu };
                samples[v.Name].Add(phases);
                Console.Error.WriteLine($"phases {v.Name} {i + 1}/{runs}: {phases}");
            }

        if (fake.Requests.Any(r => r.Path.StartsWith("/v1/", StringComparison.Ordinal) && r.Header("x-api-key") != Key))
            throw new InvalidOperationException("a request reached the fake without the gateway's key: the benchmark did not go through the gateway");
        return [.. variants.SelectMany(v => Rows(v, samples[v.Name]))];
    }

    static IEnumerable<Measurement> Rows(Variant v, List<RunPhases> runs)
    {
        IEnumerable<(string Name, string What, Func<RunPhases, double?> Pick)> columns =
        [
            ("first-output", "start -> the answer reaches the host (what the user waits for)", p => p.FirstOutput),
            v.Prepared ? ("message-in", "the message -> written into the prepared VM (its run log)", p => p.ToReady)
                : (v.Warm ? "claim" : "boot", v.Warm ? "start -> a ready VM claimed from the pool" : "start -> booted VM's guest ready", p => p.ToReady),
            ("ready-to-request", "guest ready -> the turn's API request reaches the fake (job, workspace, Claude Code start)", p => p.ReadyToRequest),
            ("workspace-in", "of which job read -> workspace extracted, baseline taken (guest clock, scaled)", p => p.WorkspaceIn),
            ("claude-to-request", "of which the rest: Claude Code process start -> its API request", p => p.ClaudeToRequest),
            ("claude-init", "of that, Claude Code spawned -> its system/init line (guest clock, scaled)", p => p.ClaudeInit),
            ("model", "the turn's API request at the fake -> fake's reply written (model round trip, fake)", p => p.Model),
            ("output-to-host", "fake's reply written -> output frame at the host", p => p.OutputToHost),
            ("sync-out", "output at the host -> its changes applied", p => p.SyncOut),
            ("end", "changes applied -> done, VM destroyed, event stream ended", p => p.End),
            ("total", "whole run", p => p.Total),
            ("guest-clock", "host time per guest-clock time, ready -> output (guest spans above are scaled by it)", p => p.GuestClock),
            .. v.Prepared || v.Spare ? [("wait-cpu", $"the waiting VM's VMM process, CPU in the {CpuSample.TotalSeconds:F0} s before the run (a prepared run: its message), % of one host core", (Func<RunPhases, double?>)(p => p.WaitCpu))] : Array.Empty<(string, string, Func<RunPhases, double?>)>(),
        ];
        foreach (var (name, what, pick) in columns)
        {
            var values = runs.Select(pick).OfType<double>().ToList();
            var row = $"phases-{v.Name}-{name}";
            yield return values.Count > 0
                ? new Measurement(row, $"{v.What}: {what}", name switch { "guest-clock" => "x", "wait-cpu" => "%", _ => "ms" }, values)
                : Measurement.Unavailable(row, $"{v.What}: {what}", "no run had this milestone");
        }
    }

    static async Task WaitForReadyAsync(WarmPool pool, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (pool.ReadyCount == 0)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(3)) throw new TimeoutException("the warm pool had no ready VM within 3 min");
            await Task.Delay(20, ct);
        }
    }

    /// <summary>Until the warm VM's console says its priming is over (or that it is off), then a second more, as
    /// when a message comes some time after the VM was ready. The console is the guest's, but this only times a benchmark.</summary>
    static async Task WaitForPrimedAsync(Config config, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var warmDir = Path.Combine(config.DataDir, "warm");
        while (!Directory.EnumerateFiles(warmDir, "*.console.log").Any(f => ConsoleSays(f, "nanoclaw-init: priming ")))
        {
            if (clock.Elapsed > PrimeBound) throw new TimeoutException($"the warm VM did not finish priming within {PrimeBound.TotalMinutes:F0} min");
            await Task.Delay(100, ct);
        }
        Console.Error.WriteLine($"phases: primed {clock.Elapsed.TotalSeconds:F1} s after ready");
        await Task.Delay(1000, ct);
    }

    static bool ConsoleSays(string path, string text)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return new StreamReader(file).ReadToEnd().Contains(text, StringComparison.Ordinal);
        }
        catch (IOException) { return false; }
    }

    /// <returns>The run's phases and the session it ran in.</returns>
    /// <param name="prepared">Start the run with no message, let Claude Code start (<see cref="SpareSettle"/>), then send
    /// "hello" as its first turn and time the run from there.</param>
    /// <param name="photo">The prepared run's message brings a photo, stored just before it is sent.</param>
    /// <param name="frozen">The prepared run is frozen after <see cref="SpareSettle"/>: the message comes <see cref="FrozenFor"/> later.</param>
    static async Task<(RunPhases Phases, string? Session)> OneRunAsync(MicroVmAgentRunner runner, FakeMessagesApi fake, RegisteredGroup group, Config config, string what,
        string? resume, CancellationToken ct, bool prepared = false, bool photo = false, bool frozen = false)
    {
        fake.Script(Reply);
        var followUps = Channel.CreateUnbounded<RunMessage>();
        if (!prepared) followUps.Writer.Complete();
        var logsDir = Path.Combine(config.GroupDir(group.Folder), "logs");
        var before = Directory.Exists(logsDir) ? Directory.GetFiles(logsDir, "*.log").ToHashSet() : [];
        var started = DateTimeOffset.UtcNow;
        var outputs = new List<string>();
        string? session = null;
        var events = runner.RunAsync(new AgentRequest(group, prepared ? "" : "hello", SessionId: resume, Prepared: prepared), followUps.Reader, ct);
        var reading = Task.Run(async () =>
        {
            await foreach (var e in events)
            {
                if (e is AgentEvent.SessionStarted s) session = s.SessionId;
                if (e is AgentEvent.Output o) outputs.Add(o.Text);
                if (e is AgentEvent.Idle) followUps.Writer.TryComplete(); // one turn, then the run winds down
                if (e is AgentEvent.Failed f) throw new InvalidOperationException($"{what} failed: {f.Error} (run logs: {logsDir})");
            }
        }, ct);
        double? waitCpu = null;
        if (prepared)
        {
            var wait = SpareSettle + (frozen ? FrozenFor : TimeSpan.Zero);
            await Task.WhenAny(reading, Task.Delay(wait - CpuSample, ct));
            var vmm = VmmPid(ClaimedVmOf(logsDir, before));
            var cpuBefore = CpuTicks(vmm);
            await Task.WhenAny(reading, Task.Delay(CpuSample, ct));
            waitCpu = (CpuTicks(vmm) - cpuBefore) / (double)ClockTicksPerSecond / CpuSample.TotalSeconds * 100;
            started = DateTimeOffset.UtcNow;
            IReadOnlyList<string> files = [];
            if (photo)
            {
                var path = $"media/{started:yyyy-MM-dd}/{Guid.NewGuid():N}.jpg";
                var full = Path.Combine(config.GroupDir(group.Folder), path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                await File.WriteAllBytesAsync(full, RandomNumberGenerator.GetBytes(PhotoBytes), ct);
                files = [path];
            }
            await followUps.Writer.WriteAsync(new RunMessage("hello", files), ct);
        }
        await reading;
        var ended = DateTimeOffset.UtcNow;
        if (outputs is not [Reply])
            throw new InvalidOperationException($"{what} answered [{string.Join(" | ", outputs)}] instead of \"{Reply}\"");
        var runLog = Directory.GetFiles(logsDir, "*.log").Where(f => !f.EndsWith(".console.log", StringComparison.Ordinal) && !before.Contains(f)).Single();
        if (prepared && frozen && !File.ReadAllText(runLog).Contains("the VM is thawed after", StringComparison.Ordinal))
            throw new InvalidOperationException($"{what}: the prepared run's VM was not frozen (run log: {runLog})");
        if (photo && !File.ReadAllText(runLog).Contains("with 1 of its files", StringComparison.Ordinal))
            throw new InvalidOperationException($"{what}: the photo did not go into the VM with its message (run log: {runLog})");
        var turn = fake.Requests.Where(r => r.ReceivedAt >= started && r.Path == "/v1/messages" && !r.IsSide).OrderBy(r => r.ReceivedAt).First();
        // A resumed run's turn carries the earlier exchange: the reply of the run that made the session.
        if (resume is not null && !turn.RawBody.Contains(Reply, StringComparison.Ordinal))
            throw new InvalidOperationException($"{what} was to resume session {resume}, but its turn does not carry the earlier reply");
        return (RunPhases.From(started, ended, File.ReadAllLines(runLog), turn.ReceivedAt, turn.AnsweredAt ?? ended, prepared) with { WaitCpu = waitCpu }, session);
    }

    const string QemuBinary = "qemu-system-x86_64";
    const int ClockTicksPerSecond = 100; // USER_HZ, what /proc/<pid>/stat counts in on Linux x86-64

    /// <summary>The warm VM the run whose log appeared in <paramref name="logsDir"/> claimed (its run log names it).</summary>
    static string ClaimedVmOf(string logsDir, HashSet<string> before)
    {
        var runLog = Directory.GetFiles(logsDir, "*.log").Single(f => !f.EndsWith(".console.log", StringComparison.Ordinal) && !before.Contains(f));
        return File.ReadAllLines(runLog).Select(l => ClaimedVm().Match(l)).First(m => m.Success).Groups[1].Value;
    }

    /// <summary>The pid of a VM's QEMU: the VM's id is in its command line (its run folder).</summary>
    static int VmmPid(string vmId)
    {
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string cmdline;
            try { cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")); }
            catch (IOException) { continue; }
            if (cmdline.StartsWith(QemuBinary, StringComparison.Ordinal) && cmdline.Contains(vmId, StringComparison.Ordinal)) return pid;
        }
        throw new InvalidOperationException($"no {QemuBinary} process for VM {vmId}");
    }

    static char ProcessState(int pid) => StatFields(pid)[0][0];

    /// <summary>utime + stime of a process, in clock ticks.</summary>
    static long CpuTicks(int pid)
    {
        var fields = StatFields(pid);
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>/proc/PID/stat from the state on (after "pid (comm) ").</summary>
    static string[] StatFields(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    [GeneratedRegex(@"claimed warm VM (\S+),")]
    private static partial Regex ClaimedVm();
}
