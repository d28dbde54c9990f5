using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>Prepared runs through the whole host with real VMs and the real Claude Code: a conversation's run ends, its next
/// run is prepared (Claude Code resuming the session in a VM, waiting), and the next message is answered by it.</summary>
[Collection(VmCollection.Name)]
public sealed class PreparedRunEndToEndTests(VmTestEnvironment vm)
{
    const string RealKey = "sk-ant-api03-REAL-SECRET-prepared-run-test";
    const string Family = "family@g.us";

    // A real 1x1 PNG: Claude Code decodes what it reads.
    static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");

    /// <param name="withPhoto">The second message brings a photo, stored (as a channel stores it) after the run was
    /// prepared: it goes into the waiting VM with its message, and Claude Code reads it there. Without one, the prepared
    /// run's VM is frozen while it waits, once settled (VM_FREEZE_SECONDS): stopped, using no CPU; thawed by the message,
    /// whose turn then reads the guest's clock, which must be the host's again (a frozen VM's clock falls behind).</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AfterARunEndsTheNextMessageIsAnsweredByThePreparedRunInTheSameSession(bool withPhoto)
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        FakeRequest? afterRead = null;
        fake.AnswerEvery(r =>
        {
            if (!r.Mentions("second question")) return FakeReply.Text("first answer");
            if (!withPhoto)
            {
                // The frozen run's turn: read the guest's clock, then answer.
                if (!r.Mentions("tool_result")) return FakeReply.ToolUse("Bash", new { command = "echo GUESTCLOCK=$(date -u +%s)" });
                afterRead = r;
                return FakeReply.Text("second answer");
            }
            // The photo's turn: read the attachment first, then answer with what the read gave.
            if (!r.Mentions("tool_result")) return FakeReply.ToolUse("Read", new { file_path = System.Text.RegularExpressions.Regex.Match(r.RawBody, "/workspace/group/media/[^\\\"]+\\.png").Value });
            afterRead = r;
            return FakeReply.Text("second answer");
        });
        using var home = TestHome.ForVms(vm, fake, RealKey, env =>
            (env["AGENT_PREPARE_MINUTES"], env["AGENT_IDLE_TIMEOUT_SECONDS"], env["VM_FREEZE_SECONDS"]) = ("30", "1", withPhoto ? "0" : "1"));
        home.Register(Family, "family", requiresTrigger: false);
        var logs = Path.Combine(home.Dir, "groups", "family", "logs");
        string[] RunLogs() => Directory.Exists(logs) ? [.. Directory.GetFiles(logs, "*.log").Where(p => !p.EndsWith(".console.log", StringComparison.Ordinal)).Order()] : [];

        var channel = new RecordingChannel();
        await using (var runtime = await MicroVmRuntime.StartAsync(home.Config, vm.RepoRoot, NullLoggerFactory.Instance, CancellationToken.None))
        await using (var host = new AssistantHost(home.Config, home.Db, [channel], runtime.Runner, TimeProvider.System, NullLoggerFactory.Instance))
        {
            host.Start();
            host.Loop.Deliver(home.Message(Family, "first question"));
            (await channel.WaitForAsync(1, TimeSpan.FromMinutes(5)))[0].ShouldBe((Family, "Andy: first answer"));
            var session = home.Db.GetSession("family").ShouldNotBeNull();

            // The first run closes after 1 s idle; the prepared run starts (its own run log) and resumes the session.
            await Eventually.True(() => RunLogs().Length == 2 && File.ReadAllText(RunLogs()[1]).Contains("prepared run: Claude Code starts now"),
                "the next run to be prepared", TimeSpan.FromMinutes(3));
            if (!withPhoto)
            {
                await Eventually.True(() => File.ReadAllText(RunLogs()[1]).Contains("the VM is frozen"), "the prepared run's VM to be frozen", TimeSpan.FromMinutes(2));
                var vmm = VmmPid(home, File.ReadAllText(RunLogs()[1]));
                await Eventually.True(() => ProcessTable.State(vmm) == 'T', "the VMM to be stopped");
                var ticks = ProcessTable.CpuTicks(vmm);
                // Frozen long enough that a clock which did not count it would be well off by the turn.
                await Task.Delay(TimeSpan.FromSeconds(10));
                ProcessTable.CpuTicks(vmm).ShouldBe(ticks, "a frozen VM uses no CPU");
            }
            var second = home.Message(Family, "second question");
            if (withPhoto)
            {
                var media = new NanoClaw.Media.MediaStore(home.Config.GroupsDir, home.Config.MediaMaxBytes, TimeProvider.System);
                second = second with { Attachment = await media.StoreAsync("family", second.Id, NanoClaw.Media.AttachmentKind.Image, "image/png", new MemoryStream(Png), Png.Length, CancellationToken.None) };
            }
            host.Loop.Deliver(second);

            (await channel.WaitForAsync(2, TimeSpan.FromMinutes(5)))[1].ShouldBe((Family, "Andy: second answer"));
            var prepared = File.ReadAllText(RunLogs()[1]);
            prepared.ShouldContain(withPhoto ? "sent into the session with 1 of its files" : "follow-up (", customMessage: "the message went into the prepared run:\n" + prepared);
            prepared.ShouldContain("output (");
            if (withPhoto)
            {
                // Claude Code read the photo inside the VM: the tool result carries its bytes as an image.
                afterRead.ShouldNotBeNull();
                afterRead.RawBody.ShouldContain(Convert.ToBase64String(Png));
            }
            else
            {
                prepared.ShouldContain("the VM is thawed after");
                // The guest's clock in the thawed run's turn is the host's (the message set it), not 10+ s behind.
                afterRead.ShouldNotBeNull();
                var guestClock = DateTimeOffset.FromUnixTimeSeconds(long.Parse(
                    System.Text.RegularExpressions.Regex.Match(afterRead.RawBody, "GUESTCLOCK=([0-9]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
                (afterRead.ReceivedAt - guestClock).Duration().ShouldBeLessThan(TimeSpan.FromSeconds(5), $"guest clock {guestClock:O}, host {afterRead.ReceivedAt:O}");
            }
            // The prepared run's turn carries the first exchange: it resumed the stored session.
            var turn = fake.Requests.Last(r => !r.IsSide && r.Mentions("second question"));
            turn.Mentions("first question").ShouldBeTrue();
            turn.Mentions("first answer").ShouldBeTrue();
            // Claude Code's own timers die with the VM: the agent is not offered them (it has schedule_task).
            turn.Mentions("ScheduleWakeup").ShouldBeFalse();
            turn.Mentions("CronCreate").ShouldBeFalse();
            home.Db.GetSession("family").ShouldBe(session);

            host.Queue.BeginDrain();
            await host.Queue.WhenQuietAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        // Drained: the prepared run that followed the second answer and the warm pool's VMs are all gone.
        Directory.GetDirectories(Path.Combine(home.Dir, "data", "vms")).ShouldBeEmpty();
    }

    /// <summary>The pid of the QEMU serving a run, from its run log (the warm VM it claimed, or its own id) and the VM's pid file.</summary>
    static int VmmPid(TestHome home, string runLog)
    {
        var id = System.Text.RegularExpressions.Regex.Match(runLog, "claimed warm VM ([0-9a-f]+)") is { Success: true } warm
            ? warm.Groups[1].Value : System.Text.RegularExpressions.Regex.Match(runLog, "run ([0-9a-f]+) for").Groups[1].Value;
        return int.Parse(File.ReadAllText(Path.Combine(home.Dir, "data", "vms", id, NanoClaw.Vm.Qemu.QemuMicroVm.PidFileName)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A group registered while the host runs: its first run is prepared at once (a fresh session, claiming the
    /// warm VM's Claude Code when one waits), and its first message is that run's first turn.</summary>
    [Fact]
    public async Task AGroupRegisteredWhileTheHostRunsAnswersItsFirstMessageFromAPreparedRun()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        fake.AnswerEvery(_ => FakeReply.Text("welcome"));
        using var home = TestHome.ForVms(vm, fake, RealKey, env => env["AGENT_PREPARE_MINUTES"] = "30");
        var logs = Path.Combine(home.Dir, "groups", "family", "logs");
        string[] RunLogs() => Directory.Exists(logs) ? [.. Directory.GetFiles(logs, "*.log").Where(p => !p.EndsWith(".console.log", StringComparison.Ordinal))] : [];

        var channel = new RecordingChannel();
        await using (var runtime = await MicroVmRuntime.StartAsync(home.Config, vm.RepoRoot, NullLoggerFactory.Instance, CancellationToken.None))
        await using (var host = new AssistantHost(home.Config, home.Db, [channel], runtime.Runner, TimeProvider.System, NullLoggerFactory.Instance))
        {
            host.Start();
            home.Register(Family, "family", requiresTrigger: false);
            host.Loop.Wake();
            await Eventually.True(() => RunLogs() is [var log] && File.ReadAllText(log).Contains("prepared run: Claude Code starts now", StringComparison.Ordinal),
                "the new group's first run to be prepared", TimeSpan.FromMinutes(3));

            host.Loop.Deliver(home.Message(Family, "hello, is anyone there?"));

            (await channel.WaitForAsync(1, TimeSpan.FromMinutes(5)))[0].ShouldBe((Family, "Andy: welcome"));
            var run = File.ReadAllText(RunLogs().ShouldHaveSingleItem());
            run.ShouldContain("follow-up (", customMessage: "the first message went into the prepared run:\n" + run);
            home.Db.GetSession("family").ShouldNotBeNull();
            var turn = fake.Requests.Last(r => !r.IsSide && r.Mentions("is anyone there?"));
            turn.Mentions("ScheduleWakeup").ShouldBeFalse("a claimed spare is not offered Claude Code's own timers either");
            turn.Mentions("CronCreate").ShouldBeFalse();

            host.Queue.BeginDrain();
            await host.Queue.WhenQuietAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        Directory.GetDirectories(Path.Combine(home.Dir, "data", "vms")).ShouldBeEmpty();
    }
}
