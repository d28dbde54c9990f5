using System.Formats.Tar;
using System.Runtime.Versioning;
using NanoClaw.Guest;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Guest;

/// <summary>The guest agent binary run natively (no VM) against <see cref="ScriptedClaude"/>.</summary>
[SupportedOSPlatform("linux")]
public sealed class GuestAgentTests : IAsyncLifetime
{
    readonly TempDirectory _dir = new();
    readonly WorkspaceLayout _layout;
    readonly string _vmRoot;
    GuestHarness _guest = null!;

    public GuestAgentTests()
    {
        _layout = new WorkspaceLayout(_dir["host/groups/fam"], _dir["host/groups/global"], _dir["host/data/fam/.claude"], GlobalWritable: false);
        _dir.Write("host/groups/fam/CLAUDE.md", "group memory");
        _dir.Write("host/groups/fam/notes/a.txt", "hello");
        _dir.Write("host/groups/fam/old.txt", "old");
        _dir.Write("host/groups/fam/logs/run.log", "host only");
        _dir.Write("host/groups/global/CLAUDE.md", "global memory");
        _dir.Write("host/data/fam/.claude/settings.json", "{}");
        _vmRoot = _dir["vm"];
        Directory.CreateDirectory(_vmRoot);
        File.SetUnixFileMode(_vmRoot, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(_dir["bin"]);
    }

    public Task InitializeAsync()
    {
        _guest = GuestHarness.Start(_vmRoot, ScriptedClaude.Install(_dir["bin"]));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _guest.DisposeAsync();
        _dir.Dispose();
    }

    static JobFrame Job(string? prompt, string? sessionId = null, bool isMain = false) =>
        new("run-1", "fam", isMain, DateTimeOffset.UtcNow, new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = "per-run-token" }, prompt, sessionId);

    async Task BeginAsync(JobFrame job)
    {
        (await _guest.ReadAsync()).Frame.ShouldBe(new ReadyFrame());
        await _guest.StartJobAsync(job, _layout);
    }

    async Task<string?> CloseAsync()
    {
        await _guest.SendAsync(new CloseFrame());
        var frames = await _guest.ReadUntilAsync<DoneFrame>();
        frames.Select(f => f.Frame.GetType()).ShouldBe([typeof(ChangesFrame), typeof(DoneFrame)]);
        return ((DoneFrame)frames[^1].Frame).Error;
    }

    static List<string> Names(byte[] tar)
    {
        var names = new List<string>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } entry) names.Add(entry.Name);
        return names;
    }

    [Fact]
    public async Task ExtractsTheWorkspaceAndRunsClaudeAsTheAgentUser()
    {
        await BeginAsync(Job("echo $(id -u):$(id -g) $(cat notes/a.txt) $ANTHROPIC_API_KEY $HOME"));

        var frames = await _guest.ReadUntilAsync<IdleFrame>();

        frames.Select(f => f.Frame).ShouldBe([
            new SessionFrame(ScriptedClaude.KnownSession),
            new OutputFrame($"1000:1000 hello per-run-token {_vmRoot}/home/agent"),
            new ChangesFrame(0, []),
            new IdleFrame()]);
        File.ReadAllText(Path.Combine(_vmRoot, "workspace/group/CLAUDE.md")).ShouldBe("group memory");
        File.Exists(Path.Combine(_vmRoot, "workspace/group/logs/run.log")).ShouldBeFalse();
        File.ReadAllText(Path.Combine(_vmRoot, "home/agent/.claude/settings.json")).ShouldBe("{}");
        (await CloseAsync()).ShouldBeNull();
        (await _guest.WaitForExitAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task ReportsCreatedModifiedAndDeletedFilesButNoLinksOrFifos()
    {
        await BeginAsync(Job("echo new > created.txt && echo more >> notes/a.txt && rm old.txt && ln -s /etc/passwd link && mkfifo pipe && echo ok"));

        var logs = new List<string>();
        var frames = await _guest.ReadUntilAsync<IdleFrame>(logs);

        var (changes, tar) = frames.Single(f => f.Frame is ChangesFrame);
        ((ChangesFrame)changes).Deleted.ShouldBe(["group/old.txt"]);
        Names(tar).Order().ShouldBe(["group/created.txt", "group/notes/a.txt"]);
        logs.ShouldContain(l => l.Contains("group/link (Symlink)") && l.Contains("group/pipe (Fifo)"));

        // What the guest sends is what the host accepts.
        var applied = await WorkspaceSync.ApplyChangesAsync(_layout, new MemoryStream(tar), ((ChangesFrame)changes).Deleted, WorkspaceSyncLimits.Default, default);
        applied.AllApplied.ShouldBeTrue();
        File.ReadAllText(Path.Combine(_layout.GroupDir, "notes/a.txt")).ShouldBe("hellomore\n");
        File.Exists(Path.Combine(_layout.GroupDir, "old.txt")).ShouldBeFalse();

        // Touching a file without changing it is not a change: the content hash decides.
        await _guest.SendAsync(new MessageFrame("touch notes/a.txt created.txt && echo touched"));
        var second = await _guest.ReadUntilAsync<IdleFrame>();
        second.Select(f => f.Frame).ShouldBe([new OutputFrame("touched"), new ChangesFrame(0, []), new IdleFrame()]); // same session: no second 'session'
        (await CloseAsync()).ShouldBeNull();
    }

    [Fact]
    public async Task GlobalIsReadOnlyInsideTheVmForOtherGroups()
    {
        await BeginAsync(Job("echo x >> ../global/CLAUDE.md; echo done"));
        var frames = await _guest.ReadUntilAsync<IdleFrame>();
        ((OutputFrame)frames.Single(f => f.Frame is OutputFrame).Frame).Text.ShouldContain("Permission denied");
        frames.Single(f => f.Frame is ChangesFrame).Frame.ShouldBe(new ChangesFrame(0, []));
        (await CloseAsync()).ShouldBeNull();
    }

    [Fact]
    public async Task TheMainGroupMayWriteGlobal()
    {
        await BeginAsync(Job("echo more >> ../global/CLAUDE.md && echo ok", isMain: true));
        var frames = await _guest.ReadUntilAsync<IdleFrame>();
        Names(frames.Single(f => f.Frame is ChangesFrame).Payload).ShouldBe(["global/CLAUDE.md"]);
        (await CloseAsync()).ShouldBeNull();
    }

    [Fact]
    public async Task AMissingSessionIsRetriedOnceWithoutResumeAndSaidSo()
    {
        await BeginAsync(Job("echo fresh", sessionId: "99999999-0000-0000-0000-000000000000"));

        var logs = new List<string>();
        var frames = await _guest.ReadUntilAsync<IdleFrame>(logs);

        logs.ShouldContain(l => l.Contains("session 99999999-0000-0000-0000-000000000000 was not found; starting a new session"));
        frames.Select(f => f.Frame).ShouldBe([new SessionFrame(ScriptedClaude.KnownSession), new OutputFrame("fresh"), new ChangesFrame(0, []), new IdleFrame()]);
        (await CloseAsync()).ShouldBeNull();
    }

    [Fact]
    public async Task APreparedJobStartsClaudeCodeBeforeItsFirstMessageWhichIsItsFirstTurn()
    {
        // No prompt: Claude Code starts at once. The session is unknown, so the start itself fails and is retried
        // without --resume, which the guest says before any message exists.
        await BeginAsync(Job(prompt: null, sessionId: "99999999-0000-0000-0000-000000000000"));
        var logs = new List<string>();
        while (!logs.Any(l => l.Contains("was not found; starting a new session")))
        {
            var frame = (await _guest.ReadAsync()).Frame;
            if (frame is LogFrame log) logs.Add(log.Text);
            else throw new ShouldAssertException($"only logs before the first message, got {frame}");
        }

        await _guest.SendAsync(new MessageFrame("echo first turn"));

        var frames = await _guest.ReadUntilAsync<IdleFrame>();
        frames.Select(f => f.Frame).ShouldBe([new SessionFrame(ScriptedClaude.KnownSession), new OutputFrame("first turn"), new ChangesFrame(0, []), new IdleFrame()]);
        (await CloseAsync()).ShouldBeNull();
    }

    /// <summary>A message brings the host's clock: a guest whose clock is off (a VM frozen while its prepared run waited)
    /// sets it before the turn. Here the agent runs on the test host, which it must never set: it says why not.</summary>
    [Fact]
    public async Task AMessageWhoseClockDiffersFromTheGuestsHasTheClockCheckedBeforeItsTurn()
    {
        await BeginAsync(Job(prompt: null, sessionId: ScriptedClaude.KnownSession));
        var before = DateTimeOffset.UtcNow;

        await _guest.SendAsync(new MessageFrame("echo turn", UtcNow: DateTimeOffset.UtcNow.AddMinutes(42)));

        var logs = new List<string>();
        var frames = await _guest.ReadUntilAsync<IdleFrame>(logs);
        var clock = logs.Where(l => l.StartsWith("clock is ", StringComparison.Ordinal)).ShouldHaveSingleItem();
        clock.ShouldStartWith("clock is 0:4"); // 42 minutes, less the time the frame took
        clock.ShouldEndWith("could not be set: not in a VM (--root is not /)");
        frames.Select(f => f.Frame).OfType<OutputFrame>().ShouldBe([new OutputFrame("turn")]);
        (DateTimeOffset.UtcNow - before).ShouldBeLessThan(TimeSpan.FromMinutes(1), "the test host's clock was not moved");

        // A message whose clock agrees says nothing of it.
        await _guest.SendAsync(new MessageFrame("echo again", UtcNow: DateTimeOffset.UtcNow));
        logs.Clear();
        await _guest.ReadUntilAsync<IdleFrame>(logs);
        logs.Where(l => l.StartsWith("clock ", StringComparison.Ordinal)).ShouldBeEmpty();
        (await CloseAsync()).ShouldBeNull();
    }

    [Fact]
    public async Task APreparedJobClosedBeforeAnyMessageEndsCleanly()
    {
        await BeginAsync(Job(prompt: null, sessionId: ScriptedClaude.KnownSession));

        (await CloseAsync()).ShouldBeNull();
    }

    /// <summary>The guest's own split of a run's start (what the phase benchmark reads): each milestone once, in the
    /// order reached, on one clock; sent once per run, after the first answer.</summary>
    [Theory]
    [InlineData(false, "clock extracted handed-over workspace claude-spawned claude-init assistant answer result")]
    [InlineData(true, "clock extracted handed-over workspace cwd-sent cwd-set claude-init assistant answer result")]
    public async Task TheFirstAnswerIsFollowedByTheGuestsTimingLine(bool spare, string milestones)
    {
        if (spare) await BeginWithSpareAsync(TokenEnv, Job("echo one"));
        else await BeginAsync(Job("echo one"));
        var logs = new List<string>();
        await _guest.ReadUntilAsync<IdleFrame>(logs);
        await _guest.SendAsync(new MessageFrame("echo two"));
        await _guest.ReadUntilAsync<IdleFrame>(logs);

        const string prefix = "timing (guest ms since job):";
        var timing = logs.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).ShouldHaveSingleItem();
        var marks = timing[prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(m => m.Split('=')).ToList();
        string.Join(' ', marks.Select(m => m[0])).ShouldBe(milestones);
        var ms = marks.Select(m => int.Parse(m[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        ms.ShouldBe(ms.Order().ToList());
        (await CloseAsync()).ShouldBeNull();
    }

    /// <summary>The answer goes to the host when the model's message ends its turn, not after Claude Code's own
    /// end-of-turn work: here Claude Code's result is held until the output has arrived, and is then not sent twice.</summary>
    [Fact]
    public async Task TheAnswerIsSentWhenTheModelEndsTheTurnBeforeClaudeCodesResult()
    {
        var release = Path.Combine(_dir["bin"], "release-result");
        var env = new Dictionary<string, string>(TokenEnv) { ["SCRIPTED_HOLD_RESULT"] = release };
        await BeginAsync(Job("echo the answer") with { Env = env });

        var logs = new List<string>();
        var early = await _guest.ReadUntilAsync<OutputFrame>(logs);
        early.Select(f => f.Frame).ShouldBe([new SessionFrame(ScriptedClaude.KnownSession), new OutputFrame("the answer")]);
        File.Exists(release).ShouldBeFalse(); // the result is still held
        File.WriteAllText(release, "");

        // Once the result comes: its changes and idle, and no second copy of the answer.
        (await _guest.ReadUntilAsync<IdleFrame>(logs)).Select(f => f.Frame).ShouldBe([new ChangesFrame(0, []), new IdleFrame()]);
        logs.ShouldContain(l => l.StartsWith("timing (guest ms since job):", StringComparison.Ordinal) && l.Contains(" answer=", StringComparison.Ordinal));
        (await CloseAsync()).ShouldBeNull();
    }

    /// <summary>A result whose text is not the answer already sent (the turn went on after the end_turn, e.g. a message
    /// that came meanwhile) is sent too; a sub-agent's message ending its own turn is not the session's answer.</summary>
    [Fact]
    public async Task AResultThatSaysMoreIsSentAndASubAgentsEndOfTurnIsNot()
    {
        var env = new Dictionary<string, string>(TokenEnv) { ["SCRIPTED_RESULT_SUFFIX"] = " and then some", ["SCRIPTED_SUBAGENT"] = "yes" };
        await BeginAsync(Job("echo first") with { Env = env });

        var frames = await _guest.ReadUntilAsync<IdleFrame>();

        frames.Select(f => f.Frame).ShouldBe([
            new SessionFrame(ScriptedClaude.KnownSession),
            new OutputFrame("first"),
            new OutputFrame("first and then some"),
            new ChangesFrame(0, []),
            new IdleFrame()]);
        (await CloseAsync()).ShouldBeNull();
    }

    /// <summary>A file stored on the host after the run started (a photo sent in the chat) goes in with its message:
    /// in place, the agent's, before the session reads the text; and not sent back, since the host has it.</summary>
    [Fact]
    public async Task AMessagesFilesAreInPlaceBeforeItsTextAndAreNotSentBack()
    {
        await BeginAsync(Job("echo one"));
        await _guest.ReadUntilAsync<IdleFrame>();
        _dir.Write("host/groups/fam/media/2026-12-07/photo.jpg", "JPEG bytes");
        var tar = new MemoryStream();
        (await WorkspaceSync.PackGroupFilesAsync(_layout, ["media/2026-12-07/photo.jpg"], tar, CancellationToken.None)).Files.ShouldBe(1);

        await _guest.SendMessageAsync("echo $(cat media/2026-12-07/photo.jpg) $(stat -c %u:%g media/2026-12-07/photo.jpg media/2026-12-07)", tar.ToArray());
        var logs = new List<string>();
        var frames = await _guest.ReadUntilAsync<IdleFrame>(logs);

        frames.Select(f => f.Frame).ShouldBe([new OutputFrame("JPEG bytes 1000:1000 1000:1000"), new ChangesFrame(0, []), new IdleFrame()]);
        logs.ShouldContain("files that came with the message: 1 put in place");
        (await CloseAsync()).ShouldBeNull();
    }

    /// <summary>By the time a message's files come, the group's folder is the agent's: whatever it left there (a symlink
    /// out of the folder, at a folder or at the file's own name) is never followed, and only group/ files are taken.</summary>
    [Theory]
    [InlineData("ln -s {outside} media", "media/photo.jpg", "a folder on the way is not a folder here")]
    [InlineData("ln -s {outside}/target.jpg photo.jpg", "photo.jpg", "something else has that name here")]
    [InlineData("true", "../escape.jpg", "not a file of the group's folder")]
    public async Task AMessagesFilesNeverFollowWhatTheSessionLeftInTheFolder(string setUp, string path, string reason)
    {
        var outside = Directory.CreateDirectory(_dir["vm-outside"]).FullName;
        await BeginAsync(Job(setUp.Replace("{outside}", outside, StringComparison.Ordinal)));
        await _guest.ReadUntilAsync<IdleFrame>();
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "group/" + path) { DataStream = new MemoryStream("JPEG"u8.ToArray()) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "global/CLAUDE.md") { DataStream = new MemoryStream("injected"u8.ToArray()) });
        }

        await _guest.SendMessageAsync("echo next", tar.ToArray());
        var logs = new List<string>();
        (await _guest.ReadUntilAsync<IdleFrame>(logs)).Select(f => f.Frame).First().ShouldBe(new OutputFrame("next"));

        logs.ShouldContain(l => l.StartsWith("files that came with the message: 0 put in place; left out:", StringComparison.Ordinal)
            && l.Contains($"group/{path} ({reason})", StringComparison.Ordinal) && l.Contains("global/CLAUDE.md (not a file of the group's folder)", StringComparison.Ordinal));
        Directory.EnumerateFileSystemEntries(outside).ShouldBeEmpty("nothing was written through the symlink");
        File.Exists(Path.Combine(_vmRoot, "workspace", "escape.jpg")).ShouldBeFalse();
        File.ReadAllText(Path.Combine(_vmRoot, "workspace", "global", "CLAUDE.md")).ShouldBe("global memory");
        (await CloseAsync()).ShouldBeNull();
    }

    [Fact]
    public async Task AClaudeCrashEndsTheRunWithTheStderrTail()
    {
        await BeginAsync(Job("fail"));

        var frames = await _guest.ReadUntilAsync<DoneFrame>();

        frames.Select(f => f.Frame.GetType()).ShouldBe([typeof(SessionFrame), typeof(ChangesFrame), typeof(DoneFrame)]);
        var error = ((DoneFrame)frames[^1].Frame).Error.ShouldNotBeNull();
        error.ShouldContain("claude exited with code 3");
        error.ShouldContain("boom on stderr");
        (await _guest.WaitForExitAsync()).ShouldBe(1);
    }

    [Fact]
    public async Task AnythingButJobFirstIsAProtocolError()
    {
        (await _guest.ReadAsync()).Frame.ShouldBe(new ReadyFrame());
        await _guest.SendAsync(new MessageFrame("hello?"));
        var (done, _) = await _guest.ReadAsync();
        done.ShouldBeOfType<DoneFrame>().Error.ShouldBe("protocol error: the first frame from the host must be 'job' (or 'spare')");
        (await _guest.WaitForExitAsync()).ShouldBe(1);
    }

    static readonly Dictionary<string, string> TokenEnv = new() { ["ANTHROPIC_API_KEY"] = "per-run-token" };

    /// <summary>A warm VM's spare: claimed at once with the global CLAUDE.md the host has now ("global memory", as in
    /// the workspace, unless a test says otherwise); the group's settings file is left out, as a group has none unless
    /// it made one (a start reads it, so it makes the job start Claude Code cold; tested on its own).</summary>
    async Task BeginWithSpareAsync(IReadOnlyDictionary<string, string> spareEnv, JobFrame job, string? globalMemory = "global memory", bool keepSettings = false)
    {
        if (!keepSettings) File.Delete(Path.Combine(_layout.ClaudeStateDir, "settings.json"));
        (await _guest.ReadAsync()).Frame.ShouldBe(new ReadyFrame());
        await _guest.SendAsync(new SpareFrame(spareEnv, GlobalMemory: globalMemory));
        await _guest.StartJobAsync(job, _layout);
    }

    [Fact]
    public async Task AFreshJobClaimsTheSpareWhichThenWorksInTheGroupFolder()
    {
        await BeginWithSpareAsync(TokenEnv, Job("echo $(id -u) $PWD $CLAIMED $(cat notes/a.txt) $ANTHROPIC_API_KEY $APPENDIX $CONTEXT_BUILT"));

        var logs = new List<string>();
        var frames = await _guest.ReadUntilAsync<IdleFrame>(logs);

        logs.ShouldContain(l => l.Contains("claude code: claimed the spare"));
        // Claimed before the job with the spare frame's global CLAUDE.md, its first turn's set-up run once (the context
        // summary), then moved into the group folder.
        frames.Select(f => f.Frame).ShouldBe([
            new SessionFrame(ScriptedClaude.KnownSession),
            new OutputFrame($"1000 {_vmRoot}/workspace/group yes hello per-run-token global memory yes"),
            new ChangesFrame(0, []),
            new IdleFrame()]);
        // The parked process's folder is outside the synced tops and the agent's alone.
        File.GetUnixFileMode(Path.Combine(_vmRoot, "tmp", "nanoclaw-spare")).ShouldBe((UnixFileMode)0b111_000_000);
        (await CloseAsync()).ShouldBeNull();
    }

    /// <summary>A new group's prepared first run (no prompt, no session) claims the spare before any message, so the claim
    /// is behind the user too; the first message is then the claimed session's first turn.</summary>
    [Fact]
    public async Task APreparedFreshJobClaimsTheSpareBeforeItsFirstMessage()
    {
        await BeginWithSpareAsync(TokenEnv, Job(prompt: null));
        var logs = new List<string>();
        while (!logs.Any(l => l.Contains("claimed the spare", StringComparison.Ordinal)))
        {
            var frame = (await _guest.ReadAsync()).Frame;
            if (frame is LogFrame log) logs.Add(log.Text);
            else throw new ShouldAssertException($"only logs before the first message, got {frame}");
        }

        await _guest.SendAsync(new MessageFrame("echo $CLAIMED $PWD"));

        (await _guest.ReadUntilAsync<IdleFrame>()).Select(f => f.Frame).ShouldContain(new OutputFrame($"yes {_vmRoot}/workspace/group"));
        (await CloseAsync()).ShouldBeNull();
    }

    /// <summary>The context summary is only for speed: refused, the spare still serves the job and nothing is said about it.</summary>
    [Fact]
    public async Task ARefusedContextSummaryStillLeavesTheSpareToTheJob()
    {
        var env = new Dictionary<string, string>(TokenEnv) { ["SCRIPTED_CONTEXT"] = "refuse" };
        await BeginWithSpareAsync(env, Job("echo $CLAIMED built:$CONTEXT_BUILT") with { Env = env });

        var logs = new List<string>();
        var frames = await _guest.ReadUntilAsync<IdleFrame>(logs);

        logs.ShouldContain(l => l.Contains("claude code: claimed the spare"));
        logs.ShouldNotContain(l => l.Contains("context-summary") || l.Contains("control response"));
        frames.Select(f => f.Frame).ShouldContain(new OutputFrame("yes built:"));
        (await CloseAsync()).ShouldBeNull();
    }

    /// <summary>The spare's claim (sent at its start) or its move into the group folder (at the job) refused: Claude Code
    /// starts cold and gets the same messages, so the refusal costs time, never a message.</summary>
    [Theory]
    [InlineData("SCRIPTED_CLAIM", "spare refused: claim refused for the test; starting Claude Code cold")]
    [InlineData("SCRIPTED_CWD", "spare could not move into the group folder: move refused for the test; starting Claude Code cold")]
    public async Task ARefusedClaimOrMoveStartsClaudeCodeColdWithTheSameMessages(string refusal, string log)
    {
        var env = new Dictionary<string, string>(TokenEnv) { [refusal] = "refuse" };
        await BeginWithSpareAsync(env, Job("echo cold:$CLAIMED $PWD") with { Env = env });
        await _guest.SendAsync(new MessageFrame("echo second"));

        var logs = new List<string>();
        var frames = await _guest.ReadUntilAsync<IdleFrame>(logs);

        logs.ShouldContain(l => l.Contains(log));
        frames.Select(f => f.Frame).ShouldContain(new OutputFrame($"cold: {_vmRoot}/workspace/group"));
        (await _guest.ReadUntilAsync<IdleFrame>()).Select(f => f.Frame).ShouldContain(new OutputFrame("second"));
        (await CloseAsync()).ShouldBeNull();
    }

    /// <summary>The spare was claimed before the job with the global CLAUDE.md of that moment, and a move into the
    /// group folder does not apply settings files (a start reads them first): either way the job's Claude Code must be
    /// started in the group folder, or the first turn would run with another system prompt or without the group's settings.</summary>
    [Theory]
    [InlineData("global memory as it was", false, "the global CLAUDE.md changed since it was claimed")]
    [InlineData("global memory", true, "home/agent/.claude/settings.json is read at a start")]
    public async Task ASpareClaimedWithWhatTheWorkspaceNoLongerSaysIsNotUsed(string spareGlobalMemory, bool settings, string why)
    {
        await BeginWithSpareAsync(TokenEnv, Job("echo cold:$CLAIMED $APPENDIX"), spareGlobalMemory, keepSettings: settings);

        var logs = new List<string>();
        var frames = await _guest.ReadUntilAsync<IdleFrame>(logs);

        logs.ShouldContain(l => l.Contains($"not claiming the spare ({why}); starting it cold"));
        frames.Select(f => f.Frame).ShouldContain(new OutputFrame("cold:"));
        (await CloseAsync()).ShouldBeNull();
    }

    [Theory]
    [InlineData("other-token", null, "the job's environment differs")]
    [InlineData("per-run-token", "11111111-2222-3333-4444-555555555555", "the job resumes a session")]
    public async Task AJobThatCannotClaimTheSpareKillsItAndStartsCold(string spareToken, string? session, string why)
    {
        await BeginWithSpareAsync(new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = spareToken }, Job("echo cold:$CLAIMED", sessionId: session));

        var logs = new List<string>();
        var frames = await _guest.ReadUntilAsync<IdleFrame>(logs);

        logs.ShouldContain(l => l.Contains($"not claiming the spare ({why})"));
        frames.Select(f => f.Frame).ShouldContain(new OutputFrame("cold:"));
        (await CloseAsync()).ShouldBeNull();
    }

    [Fact]
    public async Task SpareIsOnlyValidBeforeTheJob()
    {
        (await _guest.ReadAsync()).Frame.ShouldBe(new ReadyFrame());
        await _guest.SendAsync(new SpareFrame(TokenEnv));
        await _guest.SendAsync(new SpareFrame(TokenEnv));
        var frames = await _guest.ReadUntilAsync<DoneFrame>();
        ((DoneFrame)frames[^1].Frame).Error.ShouldBe("protocol error: the frame after 'spare' must be 'job'");
        (await _guest.WaitForExitAsync()).ShouldBe(1);
    }

    [Fact]
    public async Task SpareAfterTheJobIsAProtocolError()
    {
        (await _guest.ReadAsync()).Frame.ShouldBe(new ReadyFrame());
        await _guest.SendAsync(Job("echo hi"));
        await _guest.SendAsync(new SpareFrame(TokenEnv));
        var frames = await _guest.ReadUntilAsync<DoneFrame>();
        ((DoneFrame)frames[^1].Frame).Error.ShouldBe("protocol error: the frame after 'job' must be 'workspace'");
    }
}
