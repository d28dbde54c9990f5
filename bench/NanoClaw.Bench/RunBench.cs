using System.Diagnostics;
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
/// <c>run</c>: one whole agent run through the production <see cref="MicroVmAgentRunner"/>: boot, job and
/// workspace, the real Claude Code in the guest asking the fake Messages API (through the real
/// <see cref="HostGateway"/>, which swaps the run token for the key) and answering, files synced back, VM
/// destroyed. Wall time is from <see cref="IAgentRunner.RunAsync"/> to the end of its event stream, which
/// comes only after the VM is gone.
/// </summary>
public sealed class RunBench(BenchEnvironment env)
{
    const string Key = "sk-ant-bench-key-never-enters-the-vm";
    const string Reply = "Hello from the benchmark!";

    public async Task<IReadOnlyList<Measurement>> RunAsync(int runs, CancellationToken ct)
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: Key);
        var tokens = new RunTokens();
        var upstream = new UpstreamCredential(UpstreamCredentialKind.AnthropicApiKey, Key, fake.BaseUrl);
        await using var gateway = await HostGateway.StartAsync(upstream, tokens, env.Logs, TimeProvider.System, ct);

        var config = env.NewHome("run");
        var group = new RegisteredGroup("bench:main", "Bench", GroupFolder.Main, "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: false, IsMain: true);
        GroupFolder.Ensure(config, group.Folder, templatesDir: null);
        var vmm = new ObservedVmm(new QemuVmm(env.Kvm, env.Logs.CreateLogger<QemuVmm>()));
        var runner = new MicroVmAgentRunner(config, new VmImage(config, env.RepoRoot), vmm, gateway, tokens, TimeProvider.System,
            env.Logs.CreateLogger<MicroVmAgentRunner>());

        List<double> wall = [], ready = [], answer = [], share = [];
        for (var i = 0; i < runs; i++)
        {
            var (took, answered) = await OneRunAsync(runner, fake, group, config, $"cold run {i + 1}", ct);
            var toReady = vmm.LastBootToReady ?? throw new InvalidOperationException($"run {i + 1}: the guest never sent a byte");
            wall.Add(took.TotalMilliseconds);
            ready.Add(toReady.TotalMilliseconds);
            answer.Add(answered.TotalMilliseconds);
            share.Add(100 * toReady / took);
            Console.Error.WriteLine($"run {i + 1}/{runs}: {wall[^1] / 1000:F1} s, guest ready after {ready[^1] / 1000:F1} s ({share[^1]:F0} %), answer at {answer[^1] / 1000:F1} s");
        }

        // The same runs with a warm pool of one, each started once the pool is ready again (as when messages are
        // spaced out). The pool's refill boot runs during the measured run, as it does in production.
        List<double> warmWall = [], warmAnswer = [], ratio = [];
        var warmConfig = config with { WarmPoolSize = 1 };
        var plainVmm = new QemuVmm(env.Kvm, env.Logs.CreateLogger<QemuVmm>());
        await using (var pool = new WarmPool(warmConfig, plainVmm, _ => Task.FromResult(env.Artifacts), gateway.Port, TimeProvider.System, env.Logs.CreateLogger<WarmPool>()))
        {
            var warmRunner = new MicroVmAgentRunner(warmConfig, new VmImage(warmConfig, env.RepoRoot), plainVmm, gateway, tokens, TimeProvider.System,
                env.Logs.CreateLogger<MicroVmAgentRunner>(), pool);
            pool.Start();
            for (var i = 0; i < runs; i++)
            {
                await WarmBench.WaitForWarmAsync(pool, ct);
                var (took, answered) = await OneRunAsync(warmRunner, fake, group, config, $"warm run {i + 1}", ct);
                warmWall.Add(took.TotalMilliseconds);
                warmAnswer.Add(answered.TotalMilliseconds);
                ratio.Add(wall[i] / warmWall[i]);
                Console.Error.WriteLine($"warm run {i + 1}/{runs}: {warmWall[^1] / 1000:F1} s, answer at {warmAnswer[^1] / 1000:F1} s");
            }
        }
        if (fake.Requests.Any(r => r.Path.StartsWith("/v1/", StringComparison.Ordinal) && r.Header("x-api-key") != Key))
            throw new InvalidOperationException("a request reached the fake without the gateway's key: the benchmark did not go through the gateway");

        var mode = env.Kvm.Usable ? "KVM" : "TCG";
        return
        [
            new("run", $"whole agent run, \"hello\" -> answer, VM destroyed ({mode})", "ms", wall),
            new("run-ready", "of which boot to guest-ready (measured at the control channel)", "ms", ready),
            new("run-ready-share", "guest-ready share of the run", "%", share),
            new("run-answer", "from the start to the answer reaching the host (the rest: done, sync-back, VM destroyed)", "ms", answer),
            new("run-warm", $"the same run claiming a warm VM ({mode}; the pool's refill boot runs alongside)", "ms", warmWall),
            new("run-warm-answer", "of which from the start to the answer reaching the host", "ms", warmAnswer),
            new("run-warm-ratio", "cold run / warm run, per pair", "x", ratio),
        ];
    }

    /// <summary>One "hello" run; returns its wall time (to the end of the event stream, VM gone) and when the answer came.</summary>
    static async Task<(TimeSpan Took, TimeSpan Answered)> OneRunAsync(MicroVmAgentRunner runner, FakeMessagesApi fake, RegisteredGroup group, Config config, string what, CancellationToken ct)
    {
        fake.Script(Reply);
        // No follow-ups: the session closes after its first answer, as a one-message chat does.
        var followUps = Channel.CreateUnbounded<RunMessage>();
        followUps.Writer.Complete();
        var clock = Stopwatch.StartNew();
        var outputs = new List<string>();
        TimeSpan? answered = null;
        await foreach (var e in runner.RunAsync(new AgentRequest(group, "hello", SessionId: null), followUps.Reader, ct))
        {
            if (e is AgentEvent.Output o)
            {
                answered ??= clock.Elapsed;
                outputs.Add(o.Text);
            }
            if (e is AgentEvent.Failed f) throw new InvalidOperationException($"{what} failed: {f.Error} (run logs: {config.GroupDir(group.Folder)}/logs)");
        }
        clock.Stop();
        if (outputs is not [Reply])
            throw new InvalidOperationException($"{what} answered [{string.Join(" | ", outputs)}] instead of \"{Reply}\"");
        return (clock.Elapsed, answered!.Value);
    }
}
