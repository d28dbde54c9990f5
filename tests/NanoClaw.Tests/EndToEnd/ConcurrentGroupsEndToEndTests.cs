using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.EndToEnd;

[Collection(VmCollection.Name)]
public sealed class ConcurrentGroupsEndToEndTests(VmTestEnvironment vm)
{
    const string RealKey = "sk-ant-api03-REAL-SECRET-concurrency-test";

    [Fact]
    public async Task TwoGroupsRunAtTheSameTimeInTwoVms()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        // Neither reply is released until both requests are in flight: if the runs were serialized, this never completes.
        var arrived = 0;
        var bothInFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        FakeReply Answer(FakeRequest request)
        {
            if (Interlocked.Increment(ref arrived) == 2) bothInFlight.TrySetResult();
            var who = request.Mentions("from alpha") ? "alpha" : "beta";
            return FakeReply.Text($"hello {who}") with { BeforeDelta = _ => bothInFlight.Task };
        }
        fake.Script(Answer).Script(Answer);

        using var home = TestHome.ForVms(vm, fake, RealKey, env => (env["MAX_CONCURRENT_AGENTS"], env["VM_CPUS"]) = ("2", "1"));
        var (config, db) = (home.Config, home.Db);
        foreach (var name in new[] { "alpha", "beta" })
            db.RegisterGroup(new RegisteredGroup($"{name}@g.us", name, name, "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: false, IsMain: false));

        var channel = new RecordingChannel();
        await using (var runtime = await MicroVmRuntime.StartAsync(config, vm.RepoRoot, NullLoggerFactory.Instance, CancellationToken.None))
        await using (var host = new AssistantHost(config, db, [channel], runtime.Runner, TimeProvider.System, NullLoggerFactory.Instance))
        {
            host.Start();
            host.Loop.Deliver(new StoredMessage("a1", "alpha@g.us", "x", "Xavier", "from alpha", DateTimeOffset.UtcNow, false, false));
            host.Loop.Deliver(new StoredMessage("b1", "beta@g.us", "y", "Yara", "from beta", DateTimeOffset.UtcNow, false, false));

            var sent = await channel.WaitForAsync(2, TimeSpan.FromMinutes(5));

            sent.ShouldContain(("alpha@g.us", "Andy: hello alpha"));
            sent.ShouldContain(("beta@g.us", "Andy: hello beta"));
            host.Queue.BeginDrain();
            await host.Queue.WhenQuietAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        // After shutdown: neither the runs' VMs nor the warm pool's are left.
        Directory.GetDirectories(Path.Combine(home.Dir, "data", "vms")).ShouldBeEmpty();
    }
}
