using System.Runtime.CompilerServices;
using Microsoft.Extensions.Time.Testing;
using NanoClaw.Runs;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Conversations;

public class MessageLoopTests
{
    const string Family = "family@g.us";

    [Fact]
    public async Task ATriggeredMessageGetsOneReplyWithTheEarlierMessagesAsContext()
    {
        using var home = new TestHome();
        home.Register(Family, "family");
        var channel = new RecordingChannel();
        var runner = ScriptedRunner.Replying(_ => "Noon at Luigi's.");
        await using var host = new AssistantHost(home.Config, home.Db, [channel], runner, TimeProvider.System, home.Logs);
        host.Start();

        host.Loop.Deliver(home.Message(Family, "lunch tomorrow?", "Alice"));
        host.Loop.Deliver(home.Message(Family, "@Andy where & when?", "Bob"));

        (await channel.WaitForAsync(1)).Single().ShouldBe((Family, "Andy: Noon at Luigi's."));
        var request = runner.Requests.Single();
        request.Prompt.ShouldContain("<message sender=\"Alice\"");
        request.Prompt.ShouldContain(">lunch tomorrow?</message>");
        request.Prompt.ShouldContain("@Andy where &amp; when?");
        home.Db.GetSession("family").ShouldBe("session-family");
    }

    [Fact]
    public async Task MessagesWithoutTheTriggerAreStoredButStartNoRun()
    {
        using var home = new TestHome();
        home.Register(Family, "family");
        var runner = ScriptedRunner.Replying(_ => "hi");
        await using var host = new AssistantHost(home.Config, home.Db, [new RecordingChannel()], runner, TimeProvider.System, home.Logs);
        host.Start();

        host.Loop.Deliver(home.Message(Family, "just chatting"));
        host.Loop.ScanNewMessages();
        await host.Queue.WhenQuietAsync();

        runner.Requests.ShouldBeEmpty();
        home.Db.MessagesAfter(Family, 0).Count.ShouldBe(1);
    }

    [Fact]
    public async Task ARunThatFailsBeforeReplyingIsRetriedWithTheSameMessagesAfterABackoff()
    {
        using var home = new TestHome();
        home.Register(Family, "family");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var channel = new RecordingChannel();
        var attempts = 0;
        var runner = new ScriptedRunner((request, _) => Interlocked.Increment(ref attempts) == 1
            ? ScriptedRunner.Events(new AgentEvent.Failed("VM failed to boot"))
            : ScriptedRunner.Events(new AgentEvent.Output("second time lucky"), new AgentEvent.Completed()));
        await using var host = new AssistantHost(home.Config, home.Db, [channel], runner, clock, home.Logs);
        host.Start();

        host.Loop.Deliver(home.Message(Family, "@Andy ping"));
        // RunningCount drops in the same step that schedules the retry, so the retry's timer exists from here on.
        await Eventually.True(() => Volatile.Read(ref attempts) == 1 && host.Queue.RunningCount == 0, "the first attempt to fail");
        channel.Sent.ShouldBeEmpty();

        clock.Advance(TimeSpan.FromSeconds(4));
        Volatile.Read(ref attempts).ShouldBe(1); // the backoff is 5 s
        clock.Advance(TimeSpan.FromSeconds(1));

        (await channel.WaitForAsync(1)).Single().Text.ShouldBe("Andy: second time lucky");
        runner.Requests.Select(r => r.Prompt).Distinct().Count().ShouldBe(1);
    }

    [Fact]
    public async Task ARunThatFailsAfterReplyingIsNotRetriedSoNothingIsAnsweredTwice()
    {
        using var home = new TestHome();
        home.Register(Family, "family");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var channel = new RecordingChannel();
        var runner = new ScriptedRunner((_, _) => ScriptedRunner.Events(new AgentEvent.Output("partial answer"), new AgentEvent.Failed("crashed later")));
        await using var host = new AssistantHost(home.Config, home.Db, [channel], runner, clock, home.Logs);
        host.Start();

        host.Loop.Deliver(home.Message(Family, "@Andy ping"));
        await channel.WaitForAsync(1);
        await host.Queue.WhenQuietAsync();
        clock.Advance(TimeSpan.FromMinutes(10));
        host.Loop.ScanNewMessages();
        await host.Queue.WhenQuietAsync();

        runner.Requests.Count.ShouldBe(1);
        channel.Sent.Count.ShouldBe(1);
    }

    [Fact]
    public async Task MessagesStoredButUnansweredBeforeACrashAreAnsweredOnceAfterRestart()
    {
        using var home = new TestHome();
        home.Register(Family, "family");
        // The crash: messages were stored, the process died before any run.
        home.Db.StoreMessage(home.Message(Family, "@Andy are you there?"));
        home.Db.StoreMessage(home.Message(Family, "hello?"));

        var channel = new RecordingChannel();
        var runner = ScriptedRunner.Replying(_ => "back now");
        await using (var host = new AssistantHost(home.Config, home.Db, [channel], runner, TimeProvider.System, home.Logs))
        {
            host.Start();
            await channel.WaitForAsync(1);
            await host.Queue.WhenQuietAsync();
        }
        // A second restart finds nothing left to answer.
        await using (var again = new AssistantHost(home.Config, home.Db, [channel], runner, TimeProvider.System, home.Logs))
        {
            again.Start();
            again.Loop.ScanNewMessages();
            await again.Queue.WhenQuietAsync();
        }

        runner.Requests.Count.ShouldBe(1);
        runner.Requests.Single().Prompt.ShouldContain("hello?");
        channel.Sent.Count.ShouldBe(1);
    }

    /// <summary>A photo sent while the session runs was stored after the run's workspace went in: it goes in with its message.</summary>
    [Fact]
    public async Task AFollowUpBringsTheFilesOfItsMessagesIntoTheRun()
    {
        using var home = new TestHome();
        var main = home.Register("main@s", "main", isMain: true);
        var channel = new RecordingChannel();
        var followUps = new System.Collections.Concurrent.ConcurrentQueue<RunMessage>();
        var runner = new ScriptedRunner((_, run) => Conversation(run, followUps));
        await using var host = new AssistantHost(home.Config, home.Db, [channel], runner, TimeProvider.System, home.Logs);
        host.Start();

        host.Loop.Deliver(home.Message(main.Jid, "first"));
        await channel.WaitForAsync(1);
        var photo = new NanoClaw.Media.Attachment(NanoClaw.Media.AttachmentKind.Image, "media/2026-12-07/abc.jpg", "image/jpeg", 4);
        host.Loop.Deliver(home.Message(main.Jid, "look") with { Attachment = photo });
        host.Loop.Deliver(home.Message(main.Jid, "and this one") with { Attachment = photo with { RelativePath = "media/2026-12-07/def.png" } });
        host.Loop.Deliver(home.Message(main.Jid, "a voice note that was too big") with { Attachment = photo with { RelativePath = null, Note = "too large" } });

        await Eventually.True(() => followUps.Sum(f => f.Files.Count) == 2, "the follow-ups to carry both stored files");
        followUps.SelectMany(f => f.Files).ShouldBe(["media/2026-12-07/abc.jpg", "media/2026-12-07/def.png"]);
        runner.Requests.Count.ShouldBe(1, "they went into the running session");

        static async IAsyncEnumerable<AgentEvent> Conversation(RunContext run, System.Collections.Concurrent.ConcurrentQueue<RunMessage> seen)
        {
            yield return new AgentEvent.Output("got it");
            yield return new AgentEvent.Idle();
            await foreach (var followUp in run.FollowUps.ReadAllAsync(run.CancellationToken))
            {
                seen.Enqueue(followUp);
                yield return new AgentEvent.Output("seen");
                yield return new AgentEvent.Idle();
            }
            yield return new AgentEvent.Completed();
        }
    }

    [Fact]
    public async Task MessagesArrivingDuringARunAreFedIntoIt()
    {
        using var home = new TestHome();
        var main = home.Register("main@s", "main", isMain: true);
        var channel = new RecordingChannel();
        var runner = new ScriptedRunner(Conversation);
        await using var host = new AssistantHost(home.Config, home.Db, [channel], runner, TimeProvider.System, home.Logs);
        host.Start();

        host.Loop.Deliver(home.Message(main.Jid, "first"));
        await channel.WaitForAsync(1);
        host.Loop.Deliver(home.Message(main.Jid, "second"));

        var sent = await channel.WaitForAsync(2);
        sent[1].Text.ShouldContain("echo: <messages>");
        sent[1].Text.ShouldContain("second");
        sent[1].Text.ShouldNotContain("first");
        runner.Requests.Count.ShouldBe(1);

        static async IAsyncEnumerable<AgentEvent> Conversation(AgentRequest request, RunContext run)
        {
            yield return new AgentEvent.Output("got it");
            yield return new AgentEvent.Idle();
            await foreach (var followUp in run.FollowUps.ReadAllAsync(run.CancellationToken))
            {
                yield return new AgentEvent.Output("echo: " + followUp.Text);
                yield return new AgentEvent.Idle();
            }
            yield return new AgentEvent.Completed();
        }
    }

    [Fact]
    public async Task OneRunPerGroupAtATimeAndNeverMoreThanTheGlobalCap()
    {
        using var home = new TestHome(env => env["MAX_CONCURRENT_AGENTS"] = "2");
        var groups = Enumerable.Range(1, 5).Select(i => home.Register($"g{i}@g.us", $"g{i}", requiresTrigger: false)).ToList();
        var channel = new RecordingChannel();
        var perGroupActive = new int[6];
        var perGroupMax = 0;
        var runner = new ScriptedRunner((request, _) => Slow(request));
        await using var host = new AssistantHost(home.Config, home.Db, [channel], runner, TimeProvider.System, home.Logs);
        host.Start();

        foreach (var round in Enumerable.Range(0, 3))
            foreach (var g in groups) host.Loop.Deliver(home.Message(g.Jid, $"round {round}"));
        await Eventually.True(() => runner.Requests.Count >= 5, "every group to get a run");
        host.Queue.BeginDrain();
        await host.Queue.WhenQuietAsync();

        runner.MaxConcurrent.ShouldBe(2);
        perGroupMax.ShouldBe(1);
        groups.ShouldAllBe(g => runner.Requests.Any(r => r.Group.Jid == g.Jid));

        async IAsyncEnumerable<AgentEvent> Slow(AgentRequest request, [EnumeratorCancellation] CancellationToken ct = default)
        {
            var i = int.Parse(request.Group.Folder[1..]);
            var now = Interlocked.Increment(ref perGroupActive[i]);
            if (now > perGroupMax) Interlocked.Exchange(ref perGroupMax, now);
            await Task.Delay(30, ct);
            Interlocked.Decrement(ref perGroupActive[i]);
            yield return new AgentEvent.Output("done " + request.Group.Folder);
            yield return new AgentEvent.Completed();
        }
    }

    [Fact]
    public async Task RepliesWrittenDuringAChannelOutageAreDeliveredInOrderWhenItReturns()
    {
        using var home = new TestHome();
        home.Register(Family, "family");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var channel = new RecordingChannel { IsConnected = false };
        var runner = new ScriptedRunner((_, _) => ScriptedRunner.Events(new AgentEvent.Output("one"), new AgentEvent.Output("two"), new AgentEvent.Completed()));
        await using var host = new AssistantHost(home.Config, home.Db, [channel], runner, clock, home.Logs);
        host.Start();

        host.Loop.Deliver(home.Message(Family, "@Andy count"));
        await host.Queue.WhenQuietAsync();
        await Eventually.True(() => runner.Requests.Count == 1 && home.Db.PendingOutboundCount() == 2, "both replies to wait in the outbox");

        channel.IsConnected = true;
        channel.FailuresToInject = 1; // the first attempt after reconnecting fails too
        clock.Advance(TimeSpan.FromSeconds(2));
        await Eventually.True(() => home.Db.DueOutbound(clock.GetUtcNow()).Count == 0 && home.Db.PendingOutboundCount() == 2, "the failed attempt to be rescheduled");
        // Advanced until sent, not once: the outbox computes its sleep from the clock, then starts its timer, and a jump
        // in between (under load) would put the retry a minute past the jump.
        await Eventually.True(() => { clock.Advance(TimeSpan.FromMinutes(1)); return channel.Sent.Count >= 2; }, "both replies to go out");

        channel.Sent.Select(s => s.Text).ShouldBe(["Andy: one", "Andy: two"]);
        // The channel records a send just before the outbox marks it sent.
        await Eventually.True(() => home.Db.PendingOutboundCount() == 0, "both entries to be marked sent");
    }
}
