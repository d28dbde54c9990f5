using System.Formats.Tar;
using System.Runtime.Versioning;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NanoClaw.Guest;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Tests.Gateway;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Guest;

/// <summary>A hostile guest speaking the real protocol over a stream: what it sends must stay bounded and inert on the host.</summary>
[SupportedOSPlatform("linux")]
public sealed class GuestRelayTests : IDisposable
{
    const string Uuid = "0b5f4c7e-3c1a-4d2b-9e8f-112233445566";
    readonly TempDirectory _root = new();
    readonly WorkspaceLayout _layout;
    readonly CapturingLoggerProvider _logs = new();
    readonly string _runLogPath;

    public GuestRelayTests()
    {
        _layout = new WorkspaceLayout(_root["groups/family"], _root["groups/global"], _root["data/family/.claude"], GlobalWritable: false);
        Directory.CreateDirectory(_layout.GroupDir);
        _runLogPath = _root["run.log"];
    }

    public void Dispose() => _root.Dispose();

    sealed record Outcome(AgentEvent Last, List<AgentEvent> Events, string RunLog);

    async Task<Outcome> Relay(Func<GuestFrameWriter, Task> guest, RunCaps? caps = null)
    {
        var wire = new MemoryStream();
        await guest(new GuestFrameWriter(wire));
        var events = Channel.CreateUnbounded<AgentEvent>();
        AgentEvent last;
        await using (var runLog = new RunLog(_runLogPath, new FakeTimeProvider(), (caps ?? RunCaps.Default).MaxRunLogBytes))
        {
            var relay = new GuestRelay(_layout, events.Writer, runLog, _logs.CreateLogger("relay"), caps ?? RunCaps.Default);
            last = await relay.ReadAsync(new GuestFrameReader(new MemoryStream(wire.ToArray()), WorkspaceSyncLimits.Default.MaxTotalBytes), default);
        }
        events.Writer.Complete();
        var list = new List<AgentEvent>();
        await foreach (var e in events.Reader.ReadAllAsync()) list.Add(e);
        return new Outcome(last, list, File.ReadAllText(_runLogPath));
    }

    static async Task Changes(GuestFrameWriter writer, TarBuilder tar, params string[] deleted)
    {
        var bytes = tar.ToArray();
        await writer.WriteAsync(new ChangesFrame(bytes.Length, deleted), new MemoryStream(bytes), default);
    }

    // ---- session ids ----------------------------------------------------------------------------

    [Theory]
    [InlineData("--dangerously-skip-permissions")]
    [InlineData("../../../etc/passwd")]
    [InlineData("0B5F4C7E-3C1A-4D2B-9E8F-112233445566")]
    [InlineData("0b5f4c7e-3c1a-4d2b-9e8f-112233445566\n")]
    [InlineData("0b5f4c7e-3c1a-4d2b-9e8f-112233445566 --fork-session")]
    [InlineData("x")]
    public async Task AGuestChosenSessionIdOfAnotherShapeIsNeverStored(string id)
    {
        var outcome = await Relay(async w =>
        {
            await w.WriteAsync(new SessionFrame(id), default);
            await w.WriteAsync(new SessionFrame(Uuid), default);
            await w.WriteAsync(new DoneFrame(), default);
        });

        outcome.Events.OfType<AgentEvent.SessionStarted>().ShouldHaveSingleItem().SessionId.ShouldBe(Uuid);
        outcome.Last.ShouldBeOfType<AgentEvent.Completed>();
        outcome.RunLog.ShouldContain("REFUSED the session id");
    }

    [Fact]
    public async Task ABadStoredSessionIdIsDroppedSoTheGroupStartsANewSession()
    {
        var group = new RegisteredGroup("g@g.us", "family", "family", "@Andy", DateTimeOffset.UnixEpoch, true, false);
        string? bad, good;
        await using (var runLog = new RunLog(_runLogPath, new FakeTimeProvider()))
        {
            bad = MicroVmAgentRunner.SessionToResume(new AgentRequest(group, "hi", "--dangerous"), runLog, NullLogger.Instance);
            good = MicroVmAgentRunner.SessionToResume(new AgentRequest(group, "hi", Uuid), runLog, NullLogger.Instance);
        }

        bad.ShouldBeNull();
        good.ShouldBe(Uuid);
        File.ReadAllText(_runLogPath).ShouldContain("stored session id is not a Claude Code session id");
    }

    // ---- per-run caps ---------------------------------------------------------------------------

    [Fact]
    public async Task MoreChangesFramesThanTheRunsCapFailTheRunAndStopApplying()
    {
        var outcome = await Relay(async w =>
        {
            for (var i = 0; i < 6; i++) await Changes(w, new TarBuilder().File($"group/f{i}.txt", "x"));
            await w.WriteAsync(new DoneFrame(), default);
        }, RunCaps.Default with { MaxChangesFrames = 3 });

        outcome.Last.ShouldBeOfType<AgentEvent.Failed>().Error.ShouldContain("more than 3 changes frames");
        Directory.GetFiles(_layout.GroupDir).Select(Path.GetFileName).Order().ShouldBe(["f0.txt", "f1.txt", "f2.txt"]);
    }

    [Fact]
    public async Task ChangesOverTheRunsByteCapFailTheRunBeforeTheArchiveIsRead()
    {
        var big = new string('x', 20_000);
        var outcome = await Relay(async w =>
        {
            await Changes(w, new TarBuilder().File("group/one.txt", big));
            await Changes(w, new TarBuilder().File("group/two.txt", big));
            await w.WriteAsync(new DoneFrame(), default);
        }, RunCaps.Default with { MaxChangesBytes = 40_000 });

        outcome.Last.ShouldBeOfType<AgentEvent.Failed>().Error.ShouldContain("more than 40000 bytes");
        File.Exists(Path.Combine(_layout.GroupDir, "one.txt")).ShouldBeTrue();
        File.Exists(Path.Combine(_layout.GroupDir, "two.txt")).ShouldBeFalse();
    }

    [Fact]
    public async Task GuestLogTextIsCappedPerRunAndTheRunGoesOn()
    {
        var outcome = await Relay(async w =>
        {
            for (var i = 0; i < 1000; i++) await w.WriteAsync(new LogFrame(GuestLogLevel.Info, $"line {i:D4} " + new string('y', 90)), default);
            await w.WriteAsync(new OutputFrame("done"), default);
            await w.WriteAsync(new DoneFrame(), default);
        }, RunCaps.Default with { MaxGuestLogBytes = 10_000 });

        outcome.Last.ShouldBeOfType<AgentEvent.Completed>();
        outcome.Events.OfType<AgentEvent.Output>().ShouldHaveSingleItem();
        var lines = outcome.RunLog.Split('\n');
        lines.Count(l => l.Contains("guest info: line")).ShouldBeLessThanOrEqualTo(100);
        lines.Count(l => l.Contains("guest log capped at 10000 bytes")).ShouldBe(1);
        outcome.RunLog.ShouldContain("output (4 chars)");
    }

    [Fact]
    public async Task TheRunLogStopsGrowingAtItsCap()
    {
        var outcome = await Relay(async w =>
        {
            for (var i = 0; i < 2000; i++) await w.WriteAsync(new OutputFrame("o"), default);
            await w.WriteAsync(new DoneFrame(), default);
        }, RunCaps.Default with { MaxRunLogBytes = 4096 });

        outcome.Events.OfType<AgentEvent.Output>().Count().ShouldBe(2000);
        new FileInfo(_runLogPath).Length.ShouldBeLessThan(4096 + 200);
        outcome.RunLog.Split('\n').Count(l => l.Contains("run log capped at 4096 bytes")).ShouldBe(1);
    }

    // ---- guest text in host logs ------------------------------------------------------------------

    [Fact]
    public async Task ControlCharactersInGuestTextNeverReachTheHostsLogsRaw()
    {
        const string evil = "\u001b]0;owned\u0007\u001b[2J\rINFO all good\u0085\u009b31m\u202eexe.txt\ud800";
        var outcome = await Relay(async w =>
        {
            await w.WriteAsync(new LogFrame(GuestLogLevel.Warn, evil), default);
            await Changes(w, new TarBuilder().File("group/\u001b[31mred", "x").File("group/.git/\u001b[2Jconfig", "x"));
            await w.WriteAsync(new SessionFrame(evil), default);
            await w.WriteAsync(new DoneFrame(evil), default);
        });

        var raw = File.ReadAllBytes(_runLogPath);
        raw.ShouldNotContain((byte)0x1b);
        raw.ShouldNotContain((byte)0x07);
        raw.ShouldNotContain((byte)'\r');
        outcome.RunLog.ShouldNotContain("\u0085");
        outcome.RunLog.ShouldNotContain("\u202e");
        outcome.RunLog.ShouldContain(@"guest Warn: \x1b]0;owned\x07\x1b[2J\x0dINFO all good\x85\x9b31m\u202eexe.txt");
        outcome.RunLog.ShouldContain(@"REFUSED group/\x1b[31mred: path contains control characters");
        outcome.Last.ShouldBeOfType<AgentEvent.Failed>().Error.ShouldNotContain("\u001b");
        foreach (var line in _logs.Lines) line.ShouldNotContain("\u001b");
        outcome.RunLog.Split('\n').Length.ShouldBe(File.ReadAllLines(_runLogPath).Length + 1); // one line per entry: no guest newline split one
    }
}
