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

    [Fact]
    public async Task AfterARunEndsTheNextMessageIsAnsweredByThePreparedRunInTheSameSession()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        fake.AnswerEvery(r => FakeReply.Text(r.Mentions("second question") ? "second answer" : "first answer"));
        using var home = TestHome.ForVms(vm, fake, RealKey, env => (env["AGENT_PREPARE_MINUTES"], env["AGENT_IDLE_TIMEOUT_SECONDS"]) = ("30", "1"));
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
            host.Loop.Deliver(home.Message(Family, "second question"));

            (await channel.WaitForAsync(2, TimeSpan.FromMinutes(5)))[1].ShouldBe((Family, "Andy: second answer"));
            var prepared = File.ReadAllText(RunLogs()[1]);
            prepared.ShouldContain("follow-up (", customMessage: "the message went into the prepared run:\n" + prepared);
            prepared.ShouldContain("output (");
            // The prepared run's turn carries the first exchange: it resumed the stored session.
            var turn = fake.Requests.Last(r => !r.IsSide && r.Mentions("second question"));
            turn.Mentions("first question").ShouldBeTrue();
            turn.Mentions("first answer").ShouldBeTrue();
            home.Db.GetSession("family").ShouldBe(session);

            host.Queue.BeginDrain();
            await host.Queue.WhenQuietAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        // Drained: the prepared run that followed the second answer and the warm pool's VMs are all gone.
        Directory.GetDirectories(Path.Combine(home.Dir, "data", "vms")).ShouldBeEmpty();
    }
}
