using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Time.Testing;
using NanoClaw.Conversations;
using NanoClaw.Runs;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Conversations;

/// <summary>Prepared runs (AGENT_PREPARE_MINUTES): the group's next run starts when its run ends and takes the next
/// message as its first turn, unless what it was built from changed; it never keeps a slot from another group.</summary>
public sealed class PreparedRunTests : IDisposable
{
    const string Family = "family@g.us";
    const string Work = "work@g.us";
    const string SessionId = "11111111-2222-3333-4444-555555555555";
    static readonly TimeSpan Idle = TimeSpan.FromMinutes(5);

    readonly TestHome _home = new(env => env["AGENT_PREPARE_MINUTES"] = "30");
    readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    readonly RecordingChannel _channel = new();
    // Per run (by request), what its session was given as turns: the prompt (unless prepared), then each follow-up.
    readonly ConcurrentDictionary<AgentRequest, ConcurrentQueue<string>> _turns = new(ReferenceEqualityComparer.Instance);
    // Per run, the files each follow-up brought.
    readonly ConcurrentDictionary<AgentRequest, ConcurrentQueue<IReadOnlyList<string>>> _files = new(ReferenceEqualityComparer.Instance);

    public void Dispose() => _home.Dispose();

    /// <summary>A session as the real runner reports one: the session id once a turn starts, each turn's answer, idle;
    /// a prepared run reports nothing until its first follow-up.</summary>
    async IAsyncEnumerable<AgentEvent> Session(AgentRequest request, RunContext run, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var turns = _turns.GetOrAdd(request, _ => new());
        if (!request.Prepared)
        {
            turns.Enqueue(request.Prompt);
            yield return new AgentEvent.SessionStarted(SessionId);
            yield return new AgentEvent.Output("answered " + Last(request.Prompt));
            yield return new AgentEvent.Idle();
        }
        await foreach (var followUp in run.FollowUps.ReadAllAsync(run.CancellationToken))
        {
            turns.Enqueue(followUp.Text);
            _files.GetOrAdd(request, _ => new()).Enqueue(followUp.Files);
            yield return new AgentEvent.SessionStarted(SessionId);
            yield return new AgentEvent.Output("answered " + Last(followUp.Text));
            yield return new AgentEvent.Idle();
        }
        yield return new AgentEvent.Completed();

        // The last message's text in a catch-up prompt: "...>text</message>\n</messages>".
        static string Last(string prompt) => prompt[(prompt.LastIndexOf("\">", StringComparison.Ordinal) + 2)..prompt.LastIndexOf("</message>", StringComparison.Ordinal)];
    }

    /// <summary>Family's first message answered, then its run closed by the idle timeout.</summary>
    async Task<(AssistantHost Host, ScriptedRunner Runner)> FirstRunEndedAsync(TestHome home)
    {
        home.Register(Family, "family");
        var runner = new ScriptedRunner((request, run) => Session(request, run));
        var host = new AssistantHost(home.Config, home.Db, [_channel], runner, _clock, home.Logs);
        host.Start();
        host.Loop.Deliver(home.Message(Family, "@Andy first"));
        await _channel.WaitForAsync(1);
        // The reply can reach the channel before the run's idle event arms its timer: advance only once it is armed.
        await Eventually.True(() => host.Loop.ConversationOf(Family)?.State == ConversationState.Idle, "the first run to be idle");
        _clock.Advance(Idle);
        return (host, runner);
    }

    /// <summary>As <see cref="FirstRunEndedAsync"/>, in this test's home: the prepared run follows.</summary>
    async Task<(AssistantHost Host, ScriptedRunner Runner, AgentRequest Prepared)> StartPreparedAsync()
    {
        var (host, runner) = await FirstRunEndedAsync(_home);
        await Eventually.True(() => runner.Requests.Count == 2, "the next run to be prepared");
        await Eventually.True(() => host.Queue.RunningCount == 1, "only the prepared run to hold a slot");
        return (host, runner, runner.Requests.Last());
    }

    [Fact]
    public async Task AfterARunEndsTheNextIsPreparedAndTheNextMessageIsItsFirstTurn()
    {
        var (host, runner, prepared) = await StartPreparedAsync();
        await using var _ = host;
        prepared.Prepared.ShouldBeTrue();
        prepared.SessionId.ShouldBe(SessionId, "the prepared run resumes the group's session");
        prepared.Group.Folder.ShouldBe("family");

        _clock.Advance(TimeSpan.FromMinutes(20));
        var typingBefore = _channel.Typing.Count;
        host.Loop.Deliver(_home.Message(Family, "@Andy second"));

        (await _channel.WaitForAsync(2))[1].Text.ShouldBe("Andy: answered @Andy second");
        _channel.Typing.Skip(typingBefore).ShouldContain((Family, true), "the prepared run's turn shows the assistant typing, as a run's start does");
        runner.Requests.Count.ShouldBe(2, "the message went into the prepared run: no run was started for it");
        _turns[prepared].Single().ShouldContain("@Andy second");
    }

    [Fact]
    public async Task AFileChangedSinceThePreparationGivesTheMessageAFreshRun()
    {
        var (host, runner, prepared) = await StartPreparedAsync();
        await using var _ = host;

        // The owner edits a file of the group: the prepared VM holds the old one.
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(_home.Config.GroupDir("family")).FullName, "shopping.md"), "milk");
        host.Loop.Deliver(_home.Message(Family, "@Andy what is on the list?"));

        (await _channel.WaitForAsync(2))[1].Text.ShouldBe("Andy: answered @Andy what is on the list?");
        runner.Requests.Count.ShouldBe(3);
        var fresh = runner.Requests.Last();
        fresh.Prepared.ShouldBeFalse();
        fresh.Prompt.ShouldContain("what is on the list?");
        _turns[prepared].ShouldBeEmpty("the out-of-date prepared run was closed without the message");
    }

    /// <summary>A photo is stored in the group's folder when it arrives, after the run was prepared: it goes in with its
    /// message instead of making the prepared run out of date. Anything else changed still does.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task APhotoGoesIntoThePreparedRunWithItsMessage(bool alsoAnEditedFile)
    {
        var (host, runner, prepared) = await StartPreparedAsync();
        await using var _ = host;
        var groupDir = Directory.CreateDirectory(_home.Config.GroupDir("family")).FullName;
        Directory.CreateDirectory(Path.Combine(groupDir, "media", "2026-12-07"));
        File.WriteAllText(Path.Combine(groupDir, "media", "2026-12-07", "abc.jpg"), "JPEG"); // as the channel's media store does
        if (alsoAnEditedFile) File.WriteAllText(Path.Combine(groupDir, "shopping.md"), "milk");
        var photo = new NanoClaw.Media.Attachment(NanoClaw.Media.AttachmentKind.Image, "media/2026-12-07/abc.jpg", "image/jpeg", 4);

        host.Loop.Deliver(_home.Message(Family, "@Andy what is this?") with { Attachment = photo });

        await _channel.WaitForAsync(2);
        if (alsoAnEditedFile)
        {
            runner.Requests.Count.ShouldBe(3, "the edited file makes the prepared run out of date");
            _turns[prepared].ShouldBeEmpty();
            return;
        }
        runner.Requests.Count.ShouldBe(2, "the message and its photo went into the prepared run");
        _turns[prepared].Single().ShouldContain("path=\"/workspace/group/media/2026-12-07/abc.jpg\"");
        _files[prepared].Single().ShouldBe(["media/2026-12-07/abc.jpg"]);
    }

    [Fact]
    public async Task ASessionChangedSinceThePreparationGivesTheMessageAFreshRun()
    {
        var (host, runner, prepared) = await StartPreparedAsync();
        await using var _ = host;

        _home.Db.SetSession("family", "99999999-0000-0000-0000-000000000000"); // e.g. a scheduled task's run moved it on
        host.Loop.Deliver(_home.Message(Family, "@Andy again"));

        await _channel.WaitForAsync(2);
        runner.Requests.Count.ShouldBe(3);
        runner.Requests.Last().SessionId.ShouldBe("99999999-0000-0000-0000-000000000000");
        _turns[prepared].ShouldBeEmpty();
    }

    [Fact]
    public async Task APreparedRunThatWaitedInVainEndsAndIsNotPreparedAgain()
    {
        var (host, runner, _) = await StartPreparedAsync();
        await using var __ = host;

        _clock.Advance(TimeSpan.FromMinutes(30));

        await Eventually.True(() => host.Queue.RunningCount == 0, "the prepared run to end after its wait");
        _clock.Advance(TimeSpan.FromMinutes(30));
        runner.Requests.Count.ShouldBe(2);
        _channel.Sent.Count.ShouldBe(1, "a prepared run that got no message says nothing");
    }

    [Fact]
    public async Task AGroupWithoutASessionIsNotPrepared()
    {
        _home.Register(Family, "family");
        // A run that reports no session (nothing to resume ahead: a new session is what a warm VM's spare serves).
        var runner = new ScriptedRunner((request, _) => ScriptedRunner.Events(new AgentEvent.Output("hello"), new AgentEvent.Completed()));
        await using var host = new AssistantHost(_home.Config, _home.Db, [_channel], runner, _clock, _home.Logs);
        host.Start();

        host.Loop.Deliver(_home.Message(Family, "@Andy hi"));
        await _channel.WaitForAsync(1);
        await Eventually.True(() => host.Queue.RunningCount == 0, "the run to end");

        runner.Requests.Count.ShouldBe(1);
    }

    /// <summary>A group registered while the host runs (the owner asked the assistant to, or ran <c>groups add</c>) gets
    /// its first run prepared, a fresh session; its first message is that run's first turn. Groups known at the start are
    /// not prepared (nothing says their next message is near).</summary>
    [Fact]
    public async Task AGroupRegisteredWhileTheHostRunsHasItsFirstRunPrepared()
    {
        _home.Register(Family, "family");
        var runner = new ScriptedRunner((request, run) => Session(request, run));
        await using var host = new AssistantHost(_home.Config, _home.Db, [_channel], runner, _clock, _home.Logs);
        host.Start();
        _home.Register(Work, "work");

        // A wake, not the fake clock's safety poll: the loop may not have armed that timer yet (it would then never fire).
        host.Loop.Wake();
        await Eventually.True(() => runner.Requests.Count == 1, "the new group's first run to be prepared");
        var prepared = runner.Requests.Single();
        (prepared.Group.Folder, prepared.Prepared, prepared.SessionId).ShouldBe(("work", true, (string?)null));
        host.Loop.Wake();

        host.Loop.Deliver(_home.Message(Work, "@Andy hello"));
        (await _channel.WaitForAsync(1))[0].Text.ShouldBe("Andy: answered @Andy hello");
        runner.Requests.Count.ShouldBe(1, "the first message went into the prepared run, which was prepared once, and not for the group known at the start");
        _home.Db.GetSession("work").ShouldBe(SessionId);
    }

    /// <summary>A scheduled task's run in a group (a morning briefing, a reminder) is often what the owner answers next: once
    /// it has ended, the group's next run is prepared as after a message run.</summary>
    [Fact]
    public async Task AfterAScheduledTaskRunsInAGroupItsNextRunIsPrepared()
    {
        _home.Register(Family, "family");
        _home.Db.SetSession("family", SessionId);
        var runner = new ScriptedRunner((request, run) => Session(request, run));
        await using var host = new AssistantHost(_home.Config, _home.Db, [_channel], runner, _clock, _home.Logs);
        host.Start();
        var taskRan = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        host.Queue.EnqueueTask(Family, "briefing", _ => { taskRan.TrySetResult(); return Task.CompletedTask; });

        await taskRan.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.True(() => runner.Requests.Count == 1, "the group's next run to be prepared after the task");
        var prepared = runner.Requests.Single();
        (prepared.Group.Folder, prepared.Prepared, prepared.SessionId).ShouldBe(("family", true, SessionId));

        host.Loop.Deliver(_home.Message(Family, "@Andy thanks, and the weather?"));
        (await _channel.WaitForAsync(1))[0].Text.ShouldBe("Andy: answered @Andy thanks, and the weather?");
        runner.Requests.Count.ShouldBe(1, "the answer to the task came from the prepared run");
    }

    /// <summary>A restart (an update, a crash) takes the prepared runs with the old process: the groups active within
    /// AGENT_PREPARE_MINUTES get theirs again at start; a group quiet for longer does not.</summary>
    [Fact]
    public async Task AtStartTheGroupsActiveWithinTheWaitHaveTheirNextRunPreparedAgain()
    {
        _home.Register(Family, "family");
        _home.Register(Work, "work");
        _home.Db.SetSession("family", SessionId);
        _home.Db.SetSession("work", "99999999-0000-0000-0000-000000000000");
        _home.Db.UpsertChat(Family, "Family", _clock.GetUtcNow().AddMinutes(-10));
        _home.Db.UpsertChat(Work, "Work", _clock.GetUtcNow().AddMinutes(-31));
        var runner = new ScriptedRunner((request, run) => Session(request, run));

        await using var host = new AssistantHost(_home.Config, _home.Db, [_channel], runner, _clock, _home.Logs);
        host.Start();

        await Eventually.True(() => runner.Requests.Count == 1, "the recently active group's next run to be prepared");
        var prepared = runner.Requests.Single();
        (prepared.Group.Folder, prepared.Prepared, prepared.SessionId).ShouldBe(("family", true, SessionId));
        host.Loop.Deliver(_home.Message(Family, "@Andy still there?"));
        (await _channel.WaitForAsync(1))[0].Text.ShouldBe("Andy: answered @Andy still there?");
        runner.Requests.Count.ShouldBe(1, "the message went into the prepared run, and work (quiet for 31 min) got none");
    }

    [Fact]
    public async Task NothingIsPreparedWhenMemoryIsUnderTheFloor()
    {
        using var home = new TestHome(env => (env["AGENT_PREPARE_MINUTES"], env["WARM_POOL_MIN_FREE_MB"]) = ("30", "100000000"));
        var (host, runner) = await FirstRunEndedAsync(home);
        await using var _ = host;

        await Eventually.True(() => host.Queue.RunningCount == 0, "the run to end");
        runner.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task APreparedRunGivesUpItsSlotWhenAnotherGroupWaitsForOne()
    {
        using var home = new TestHome(env => { env["AGENT_PREPARE_MINUTES"] = "30"; env["MAX_CONCURRENT_AGENTS"] = "1"; });
        home.Register(Work, "work");
        var (host, runner) = await FirstRunEndedAsync(home);
        await using var _ = host;
        await Eventually.True(() => runner.Requests.Count == 2 && runner.Requests.Last().Prepared, "family's next run to be prepared");

        host.Loop.Deliver(home.Message(Work, "@Andy status?"));

        (await _channel.WaitForAsync(2))[1].ShouldBe((Work, "Andy: answered @Andy status?"));
        runner.Requests.Last().Group.Folder.ShouldBe("work");
    }
}
