using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Credentials;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Gateway;
using NanoClaw.Tests.Support;
using NanoClaw.Vm;
using NanoClaw.Vm.Image;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>
/// The warm pool with real QEMU VMs (TCG here) and, for whole runs, the real Claude Code against the fake Messages
/// API. Each boot costs seconds, so each test checks several things of one pool's life.
/// </summary>
[Collection(VmCollection.Name)]
public sealed partial class WarmPoolVmTests(VmTestEnvironment vm) : IAsyncLifetime
{
    const string RealKey = "sk-ant-api03-REAL-SECRET-warm-pool-test";
    static readonly TimeSpan BootWait = TimeSpan.FromMinutes(2);
    static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    readonly string home = Directory.CreateTempSubdirectory("nanoclaw-warm-").FullName;
    readonly CapturingLoggerProvider logs = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("KEEP_E2E_HOME") != "1")
            try { Directory.Delete(home, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    Config NewConfig(int poolSize = 1) => new()
    {
        Home = home,
        CacheDir = vm.Config.CacheDir,
        AnthropicApiKey = RealKey,
        VmMemoryMb = 2048,
        VmCpus = 1,
        MaxConcurrentAgents = 2,
        WarmPoolSize = poolSize,
        TimeZone = TimeZoneInfo.Utc,
    };

    static QemuVmm Vmm() => new(new KvmStatus(false, "tests run under TCG"), NullLogger<QemuVmm>.Instance);

    /// <param name="gatewayPort">9 (discard) where the guests never call out.</param>
    /// <param name="spares">The gateway whose tokens warm VMs' spare Claude Codes get (VM_SPARE on); null: VMs only boot.</param>
    WarmPool NewPool(Config config, TimeProvider time, int gatewayPort = 9, Func<long?>? memAvailableMb = null, HostGateway? spares = null) =>
        new(config, Vmm(), _ => Task.FromResult(vm.Artifacts), gatewayPort, time, logs.CreateFactory().CreateLogger<WarmPool>(), memAvailableMb,
            spares: spares is null ? null : (tokens, spares.Guest));

    string VmsDir => Path.Combine(home, "data", "vms");

    [Fact]
    public async Task AWarmVmNeverCarriesOneGroupsFilesOrSessionIntoAnotherGroupsRun()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        // Priming on (off by default): its throwaway start must not carry anything into a run either.
        var config = NewConfig() with { UpstreamBaseUrl = fake.BaseUrl, VmPriming = GuestPriming.Full };
        var alpha = Group("alpha", config);
        var beta = Group("beta", config);
        // The sessions folder is where a group's Claude state lives between runs: alpha's must never reach beta.
        // Also /tmp and every process's working directory: the warm VM's priming (a throwaway Claude Code start in a
        // throwaway HOME under /tmp) must be stopped and gone. (Not `ps` with arguments: it would list this command.)
        const string Look = "ls -la /workspace /workspace/group /tmp; find /home/agent/.claude; echo PRIMING=$(ls -l /proc/[0-9]*/cwd 2>/dev/null | grep -c prime); echo BOOT=$(cat /proc/sys/kernel/random/boot_id)";
        var alphaBash = fake.ScriptToolCall("Bash", new { command = "echo alpha-private > /workspace/group/alpha-secret.txt; " + Look, description = "look" }, thenReply: "alpha done");
        var betaBash = fake.ScriptToolCall("Bash", new { command = Look + "; grep -rl alpha-private /workspace /home/agent /tmp 2>/dev/null; echo END", description = "look" }, thenReply: "beta done");

        await using (var gateway = await StartGatewayAsync(fake))
        {
            // Spares on, as by default: the Claude Code started before the run must not carry anything across either.
            var pool = NewPool(config, TimeProvider.System, gateway.Port, spares: gateway);
            await using (pool)
            {
                var runner = NewRunner(config, gateway, pool);
                pool.Start();
                await Eventually.True(() => pool.ReadyCount == 1, "the first warm VM is ready", BootWait);

                var alphaRun = await RunAsync(runner, alpha, "look around");
                var alphaOut = (await alphaBash.WaitForResultAsync()).Content;
                await Eventually.True(() => pool.ReadyCount == 1, "the pool refilled after alpha's claim", BootWait);
                var betaRun = await RunAsync(runner, beta, "look around");
                var betaOut = (await betaBash.WaitForResultAsync()).Content;

                alphaRun.Outputs.ShouldBe(["alpha done"]);
                betaRun.Outputs.ShouldBe(["beta done"]);
                var alphaVm = WarmVmOf(alphaRun.RunLog);
                var betaVm = WarmVmOf(betaRun.RunLog);
                alphaVm.ShouldNotBe(betaVm);
                // Each claimed VM is gone after its run.
                ProcessTable.Mentioning(Path.Combine(VmsDir, alphaVm)).ShouldBeEmpty();
                ProcessTable.Mentioning(Path.Combine(VmsDir, betaVm)).ShouldBeEmpty();

                // The commands really ran and saw their own group: otherwise the "not seen" checks below prove nothing.
                alphaOut.ShouldContain("alpha-secret.txt");
                alphaOut.ShouldContain(alphaRun.SessionId!); // the session file of the run itself
                betaOut.ShouldContain("END");
                betaOut.ShouldContain(betaRun.SessionId!);
                // Beta's VM holds nothing of alpha: no file, no content, no session, and it is another boot.
                betaOut.ShouldNotContain("alpha-secret");
                betaOut.ShouldNotContain("alpha-private");
                betaOut.ShouldNotContain(alphaRun.SessionId!);
                // Nothing of the priming reaches a run: its throwaway home is deleted and its process killed at the job.
                foreach (var seen in new[] { alphaOut, betaOut })
                {
                    seen.ShouldNotContain("nanoclaw-prime.");
                    seen.ShouldNotContain("nanoclaw-warm-up-"); // the guest's own warm-up while the VM waited
                    seen.ShouldContain("PRIMING=0");
                }
                betaRun.SessionId.ShouldNotBe(alphaRun.SessionId);
                BootId(betaOut).ShouldNotBe(BootId(alphaOut));
                File.Exists(Path.Combine(config.GroupDir("beta"), "alpha-secret.txt")).ShouldBeFalse();
                File.ReadAllText(Path.Combine(config.GroupDir("alpha"), "alpha-secret.txt")).ShouldBe("alpha-private\n");
                // The claimed VM's console log ends up next to the run's log.
                File.Exists(Path.ChangeExtension(alphaRun.RunLog, ".console.log")).ShouldBeTrue();
            }
        }
        // Shutdown: the refilled warm VM is stopped with the pool, and nothing of any VM is left.
        ProcessTable.Mentioning(home).ShouldBeEmpty();
        Directory.GetDirectories(VmsDir).ShouldBeEmpty();
    }

    [Fact]
    public async Task AFreshSessionIsAnsweredByTheClaimedSpareAResumedOneColdAndAPreparedRunTakesTheNextMessage()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        fake.AnswerEvery(r => FakeReply.Text(r.Mentions("third question") ? "third answer" : r.Mentions("second question") ? "second answer" : "first answer"));
        var config = NewConfig() with { UpstreamBaseUrl = fake.BaseUrl };
        var group = Group("delta", config);
        // The spare is claimed before any job with the global CLAUDE.md and only then moved into the group's folder:
        // the first turn must still carry both memories, as a start in that folder would.
        File.WriteAllText(Path.Combine(config.GroupDir(group.Folder), "CLAUDE.md"), "Delta's own memory: the zebra is called Otto.\n");
        File.WriteAllText(Path.Combine(config.GroupDir(GroupFolder.Global), "CLAUDE.md"), "Everyone's memory: the yak is called Ida.\n");
        await using (var gateway = await StartGatewayAsync(fake))
        {
            var pool = NewPool(config, TimeProvider.System, gateway.Port, spares: gateway);
            await using (pool)
            {
                var runner = NewRunner(config, gateway, pool);
                pool.Start();
                await Eventually.True(() => pool.ReadyCount == 1, "the first warm VM is ready", BootWait);
                tokens.Count.ShouldBe(1); // the warm VM's token, bound to no run yet

                // 1. A new session: the warm VM's parked Claude Code is claimed and answers.
                var first = await RunAsync(runner, group, "first question");
                first.Outputs.ShouldBe(["first answer"]);
                var firstLog = File.ReadAllText(first.RunLog);
                WarmVmOf(first.RunLog);
                firstLog.ShouldContain("the warm VM's spare (started before this run) is bound to it");
                firstLog.ShouldContain("guest info: claude code: claimed the spare");
                firstLog.ShouldNotContain("starting Claude Code cold");
                var firstRequest = fake.Requests.First(r => !r.IsSide && r.Mentions("first question"));
                firstRequest.Mentions("the zebra is called Otto").ShouldBeTrue();
                firstRequest.Mentions("the yak is called Ida").ShouldBeTrue();
                firstRequest.Mentions("/workspace/group").ShouldBeTrue();
                firstRequest.Mentions("nanoclaw-spare").ShouldBeFalse();

                // 2. The next run resumes that session: a spare cannot, so the guest kills it and starts cold.
                await Eventually.True(() => pool.ReadyCount == 1, "the pool refilled", BootWait);
                var second = await RunAsync(runner, group, "second question", first.SessionId.ShouldNotBeNull());
                second.Outputs.ShouldBe(["second answer"]);
                second.SessionId.ShouldBe(first.SessionId);
                var secondLog = File.ReadAllText(second.RunLog);
                WarmVmOf(second.RunLog);
                secondLog.ShouldContain("not claiming the spare (the job resumes a session)");
                // The resumed request carries the first exchange: the session the spare served was stored and resumed.
                var resumed = fake.Requests.Last(r => !r.IsSide && r.Mentions("second question"));
                resumed.Mentions("first question").ShouldBeTrue();
                resumed.Mentions("first answer").ShouldBeTrue();

                // 3. A prepared run: started with no message (Claude Code resumes the session and waits); the next
                // message is its first turn, and that turn carries the whole session.
                await Eventually.True(() => pool.ReadyCount == 1, "the pool refilled", BootWait);
                var followUps = Channel.CreateUnbounded<RunMessage>();
                using var timeout = new CancellationTokenSource(RunTimeout);
                var prepared = runner.RunAsync(new AgentRequest(group, "", first.SessionId, Prepared: true), followUps.Reader, timeout.Token).GetAsyncEnumerator();
                var third = new List<AgentEvent>();
                var next = prepared.MoveNextAsync().AsTask();
                await followUps.Writer.WriteAsync(RunMessage.TextOnly("<messages><message sender=\"Alice\">third question</message></messages>"));
                while (await next)
                {
                    third.Add(prepared.Current);
                    if (prepared.Current is AgentEvent.Idle) followUps.Writer.TryComplete();
                    next = prepared.MoveNextAsync().AsTask();
                }
                await prepared.DisposeAsync();
                third.OfType<AgentEvent.Failed>().ShouldBeEmpty();
                third.OfType<AgentEvent.Output>().Select(o => o.Text).ShouldBe(["third answer"]);
                third.OfType<AgentEvent.SessionStarted>().Select(e => e.SessionId).Distinct().ShouldBe([first.SessionId]);
                var preparedLog = File.ReadAllText(Directory.GetFiles(Path.Combine(home, "groups", group.Folder, "logs"), "*.log")
                    .Where(p => !p.EndsWith(".console.log", StringComparison.Ordinal)).OrderBy(File.GetLastWriteTimeUtc).Last());
                preparedLog.ShouldContain("prepared run: Claude Code starts now and waits");
                preparedLog.ShouldContain("follow-up (");
                var thirdRequest = fake.Requests.Last(r => !r.IsSide && r.Mentions("third question"));
                thirdRequest.Mentions("first answer").ShouldBeTrue();
                thirdRequest.Mentions("second answer").ShouldBeTrue();
            }
        }
        // Every token died with its VM: the three claimed ones and the refilled warm VM's.
        tokens.Count.ShouldBe(0);
        ProcessTable.Mentioning(home).ShouldBeEmpty();
        Directory.GetDirectories(VmsDir).ShouldBeEmpty();
    }

    [Fact]
    public async Task AnEmptyPoolFallsBackToAColdBootAndMemoryKeepsThePoolEmpty()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        fake.Script("cold but fine");
        var config = NewConfig() with { UpstreamBaseUrl = fake.BaseUrl };
        var group = Group("gamma", config);
        // 3000 MiB available minus a 2048 MiB VM is under the 1024 MiB floor: the pool must not boot.
        await using (var gateway = await StartGatewayAsync(fake))
        {
            var pool = NewPool(config, TimeProvider.System, gateway.Port, memAvailableMb: () => 3000);
            await using (pool)
            {
                var runner = NewRunner(config, gateway, pool);
                pool.Start();
                pool.Count.ShouldBe(0);

                var run = await RunAsync(runner, group, "hello");

                run.Outputs.ShouldBe(["cold but fine"]);
                var runLog = File.ReadAllText(run.RunLog);
                runLog.ShouldContain("cold boot: no warm VM was ready");
                runLog.ShouldNotContain("claimed warm VM");
                pool.Count.ShouldBe(0);
                logs.Lines.ShouldContain(l => l.Contains("under the 1024 MiB floor", StringComparison.Ordinal));
            }
        }
        ProcessTable.Mentioning(home).ShouldBeEmpty();
        Directory.GetDirectories(VmsDir).ShouldBeEmpty();
    }

    [Fact]
    public async Task AClaimIsFastADeadWarmVmIsDiscardedAndAnIdlePoolDrains()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var config = NewConfig();
        string victim;
        await using (var pool = NewPool(config, time))
        {
            pool.Start();
            await Eventually.True(() => pool.ReadyCount == 1, "the first warm VM is ready", BootWait);

            // 1. A ready VM that waits is frozen once it has settled: stopped, it uses no CPU.
            var waiting = ProcessTable.Mentioning(Path.Combine(VmsDir, pool.Ids.Single())).Single();
            time.Advance(config.VmFreezeAfter);
            await Eventually.True(() =>
            {
                time.Advance(NanoClaw.Vm.WaitingVm.Sample);
                return ProcessTable.State(waiting) == 'T';
            }, "the waiting warm VM to be frozen", TimeSpan.FromMinutes(1));

            // A claim of a ready VM takes no boot: it is handed over at once (thawed), and the pool boots the next one.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var claim = (await pool.ClaimAsync(CancellationToken.None)).ShouldNotBeNull();
            ProcessTable.State(waiting).ShouldNotBe('T', "a claimed VM runs");
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromMilliseconds(500));
            claim.Vm.Vm.Exited.IsCompleted.ShouldBeFalse();
            pool.Count.ShouldBe(1);
            pool.Ids.ShouldNotContain(claim.Vm.Id);
            var claimedDir = claim.Vm.Spec.RunDir;
            claim.Vm.DeleteConsoleLog();
            await claim.Vm.DisposeAsync();
            ProcessTable.Mentioning(claimedDir).ShouldBeEmpty();

            // 2. A warm VM that dies while waiting is discarded (and logged), never handed out.
            await Eventually.True(() => pool.ReadyCount == 1, "the pool refilled", BootWait);
            victim = pool.Ids.Single();
            var victimDir = Path.Combine(VmsDir, victim);
            ProcessTable.Mentioning(victimDir).ShouldHaveSingleItem();
            NanoClaw.Vm.Posix.Signal(ProcessTable.Mentioning(victimDir).Single(), NanoClaw.Vm.Posix.SigKill);
            await Eventually.True(() => pool.Count == 0, "the dead warm VM left the pool", TimeSpan.FromSeconds(30));
            // The pool logs right after it removed the slot: under load the line can trail the count.
            await Eventually.True(() => logs.Lines.Any(l => l.Contains($"Warm VM {victim} exited", StringComparison.Ordinal) && l.Contains("discarded", StringComparison.Ordinal)),
                "the discard was logged", TimeSpan.FromSeconds(10));
            (await pool.ClaimAsync(CancellationToken.None)).ShouldBeNull(); // the caller boots cold instead

            // 3. That claim woke a refill; with no claim for the idle period, the pool drains to zero and stays there.
            await Eventually.True(() => pool.ReadyCount == 1, "the pool refilled after the claim", BootWait);
            var last = Path.Combine(VmsDir, pool.Ids.Single());
            time.Advance(config.WarmPoolIdle);
            await Eventually.True(() => pool.Count == 0 && ProcessTable.Mentioning(last).Count == 0, "the idle pool drained", TimeSpan.FromSeconds(30));
            await Task.Delay(500);
            pool.Count.ShouldBe(0);
            logs.Lines.ShouldContain(l => l.Contains("destroyed 1 warm VM(s)", StringComparison.Ordinal));
        }
        ProcessTable.Mentioning(home).ShouldBeEmpty();
        Directory.GetDirectories(VmsDir).ShouldBeEmpty();
        // Console logs of warm VMs that never served a run are gone; the dead one's stays as the record of its death.
        Directory.GetFiles(Path.Combine(home, "data", "warm")).Select(Path.GetFileName).ShouldBe([victim + ".console.log"]);
    }

    readonly RunTokens tokens = new();

    async Task<HostGateway> StartGatewayAsync(FakeMessagesApi fake) => await HostGateway.StartAsync(
        new UpstreamCredential(UpstreamCredentialKind.AnthropicApiKey, RealKey, fake.BaseUrl), tokens, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);

    MicroVmAgentRunner NewRunner(Config config, HostGateway gateway, WarmPool pool) =>
        new(config, new VmImage(config, vm.RepoRoot), Vmm(), gateway, tokens, TimeProvider.System, NullLogger<MicroVmAgentRunner>.Instance, pool);

    static RegisteredGroup Group(string folder, Config config)
    {
        GroupFolder.Ensure(config, folder, templatesDir: null);
        return new RegisteredGroup($"{folder}@g.us", folder, folder, "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: false, IsMain: false);
    }

    sealed record RunResult(List<string> Outputs, string? SessionId, string RunLog);

    async Task<RunResult> RunAsync(MicroVmAgentRunner runner, RegisteredGroup group, string prompt, string? sessionId = null)
    {
        var followUps = Channel.CreateUnbounded<RunMessage>();
        followUps.Writer.Complete();
        List<string> outputs = [];
        string? session = null;
        using var timeout = new CancellationTokenSource(RunTimeout);
        await foreach (var e in runner.RunAsync(new AgentRequest(group, prompt, SessionId: sessionId), followUps.Reader, timeout.Token))
        {
            if (e is AgentEvent.Output o) outputs.Add(o.Text);
            if (e is AgentEvent.SessionStarted s) session = s.SessionId;
            if (e is AgentEvent.Failed f) throw new InvalidOperationException($"the run of {group.Folder} failed: {f.Error}");
        }
        var runLog = Directory.GetFiles(Path.Combine(home, "groups", group.Folder, "logs"), "*.log")
            .Where(p => !p.EndsWith(".console.log", StringComparison.Ordinal)).OrderBy(File.GetLastWriteTimeUtc).Last();
        return new RunResult(outputs, session, runLog);
    }

    static string WarmVmOf(string runLog) =>
        WarmClaimLine().Match(File.ReadAllText(runLog)) is { Success: true } m ? m.Groups[1].Value : throw new ShouldAssertException($"the run did not claim a warm VM:\n{File.ReadAllText(runLog)}");

    static string BootId(string output) =>
        BootIdLine().Match(output) is { Success: true } m ? m.Groups[1].Value : throw new ShouldAssertException("no BOOT= line in:\n" + output);

    [GeneratedRegex(@"claimed warm VM ([0-9a-f]+), ready in \d+ ms")]
    private static partial Regex WarmClaimLine();

    [GeneratedRegex(@"BOOT=([0-9a-f-]{36})")]
    private static partial Regex BootIdLine();
}
