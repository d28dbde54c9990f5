using Microsoft.Extensions.Time.Testing;
using NanoClaw.Channels.WhatsApp;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Channels.WhatsApp;

/// <summary>The WhatsApp channel end to end through the host, against the scripted stand-in sidecar.</summary>
public class WhatsAppChannelTests
{
    static ScriptedRunner Replying(string text) => ScriptedRunner.Replying(_ => text);

    [Fact]
    public async Task AMessageInARegisteredGroupIsStoredAndTheReplyIsSentToThatChatWithThePrefix()
    {
        await using var rig = new WhatsAppRig(Replying("Sounds good."), ([
            WhatsAppRig.Connected(),
            WhatsAppRig.Line(new { type = "chat", jid = WhatsAppRig.Group, name = "Family Chat", is_group = true }),
            WhatsAppRig.Message("ABCDEF", "@Andy what do you think?", quoted: new { id = "Q1", sender_jid = "4915111111111@s.whatsapp.net", text = "Dinner at 8?" }),
        ], "ack"));
        rig.Home.Register(WhatsAppRig.Group, "family");
        rig.Start();

        await Eventually.True(() => rig.Sends().Count == 1, "the reply reaches the sidecar as a send command");
        var send = rig.Sends()[0].Command;
        send.GetProperty("chat_jid").GetString().ShouldBe(WhatsAppRig.Group);
        send.GetProperty("text").GetString().ShouldBe("Andy: Sounds good.");
        rig.Runner.Requests.Single().Prompt.ShouldContain("@Andy what do you think?\n[replying to a message the sender says is from 4915111111111 (claimed, not verified): &quot;Dinner at 8?&quot;]");
        rig.Commands().ShouldContain(c => c.Command.GetProperty("type").GetString() == "typing" && c.Command.GetProperty("on").GetBoolean());

        // The sidecar echoes the sent message: stored as the assistant's own, so it never triggers a run.
        await Eventually.True(() => rig.Stored(WhatsAppRig.Group).Count == 2, "the echo of the reply is stored");
        rig.Stored(WhatsAppRig.Group)[1].ShouldBe(("SENT-0-1", "Andy: Sounds good.", true, true));
        rig.Home.Db.ListChats().Single(c => c.Jid == WhatsAppRig.Group).Name.ShouldBe("Family Chat");
        rig.Channel.IsConnected.ShouldBeTrue();
        rig.Channel.OwnerJid.ShouldBe(WhatsAppRig.Owner);
    }

    [Fact]
    public async Task MalformedLinesAreLoggedAndSkippedAndTheChannelStaysUp()
    {
        await using var rig = new WhatsAppRig(Replying("ok"), ([
            WhatsAppRig.Connected(),
            "this is not json",
            """{"type":"reaction","emoji":"+"}""",
            """{"type":"message","id":"NOTEXT","chat_jid":"120363025246125888@g.us","sender_jid":"b@s.whatsapp.net","sender_name":"Bob","timestamp":"2024-11-24T08:01:00.000Z","is_from_me":false}""",
            WhatsAppRig.Message("GOOD", "@Andy still there?"),
        ], "ack"));
        rig.Home.Register(WhatsAppRig.Group, "family");
        rig.Start();

        await Eventually.True(() => rig.Sends().Count == 1, "the valid message after the bad lines is answered");
        rig.Stored(WhatsAppRig.Group)[0].Id.ShouldBe("GOOD");
        rig.Channel.IsConnected.ShouldBeTrue();
        var skipped = rig.Logs.Lines.Where(l => l.Contains("not a valid event", StringComparison.Ordinal)).ToList();
        skipped.Count.ShouldBe(3);
        skipped.ShouldContain(l => l.Contains("not valid JSON", StringComparison.Ordinal));
        skipped.ShouldContain(l => l.Contains("unknown event type \"reaction\"", StringComparison.Ordinal));
        skipped.ShouldContain(l => l.Contains("message.text is missing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AOneMegabyteMessageIsStoredWhole()
    {
        var text = "@Andy " + new string('x', 1024 * 1024);
        await using var rig = new WhatsAppRig(Replying("long one"), ([WhatsAppRig.Connected(), WhatsAppRig.Message("BIG", text)], "ack"));
        rig.Home.Register(WhatsAppRig.Group, "family");
        rig.Start();

        // ~1 s alone; a full suite's VM tests beside it (2 cores) once took it past 10 s: bound it by what it does, not by load.
        await Eventually.True(() => rig.Sends().Count == 1, "the big message is answered", TimeSpan.FromMinutes(1));
        rig.Stored(WhatsAppRig.Group)[0].Content.ShouldBe(text);
    }

    [Fact]
    public async Task AnUnregisteredChatKeepsOnlyItsMetadata()
    {
        const string stranger = "999999999999999999@g.us";
        await using var rig = new WhatsAppRig(Replying("ok"), ([
            WhatsAppRig.Connected(),
            WhatsAppRig.Line(new { type = "groups", groups = new[] { new { jid = stranger, name = "Strangers" } } }),
            WhatsAppRig.Message("SECRET", "@Andy private things", chat: stranger),
            WhatsAppRig.Message("AFTER", "@Andy hello"),
        ], "ack"));
        rig.Home.Register(WhatsAppRig.Group, "family");
        rig.Start();

        // Events are handled in order: once the later message is stored, the stranger's was handled.
        await Eventually.True(() => rig.Stored(WhatsAppRig.Group).Count > 0, "the registered group's message is stored");
        rig.Stored(stranger).ShouldBeEmpty();
        var chat = rig.Home.Db.ListChats().Single(c => c.Jid == stranger);
        chat.Name.ShouldBe("Strangers");
        chat.LastMessageTime.ShouldBe(new DateTimeOffset(2024, 11, 24, 8, 1, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task WhenTheSidecarDiesMidSendTheOutboxRetriesAfterTheRestartAndSendsExactlyOnce()
    {
        await using var rig = new WhatsAppRig(Replying("Made it."),
            ([WhatsAppRig.Connected(), WhatsAppRig.Message("M1", "@Andy are you there?")], "crash"),
            ([WhatsAppRig.Connected()], "ack"));
        rig.Home.Register(WhatsAppRig.Group, "family");
        rig.Start();

        await Eventually.True(() => rig.Home.Db.PendingOutboundCount() == 0 && rig.Sends().Any(s => s.Life == 1),
            "the reply is sent by the second life of the sidecar", TimeSpan.FromSeconds(20));
        await Task.Delay(300); // room for a duplicate to show up, if there were one
        var sends = rig.Sends();
        sends.Count(s => s.Life == 0).ShouldBe(1); // the one the sidecar died on, never acknowledged
        sends.Count(s => s.Life == 1).ShouldBe(1);
        sends.ShouldAllBe(s => s.Command.GetProperty("text").GetString() == "Andy: Made it.");
        rig.Logs.Lines.ShouldContain(l => l.Contains("exited unexpectedly (code 1)", StringComparison.Ordinal));
        rig.Channel.IsConnected.ShouldBeTrue();
    }

    [Fact]
    public async Task AReplyHeldWhileDisconnectedGoesOutAsSoonAsTheSidecarReconnects()
    {
        // The clock never moves: the outbox's retry timer cannot fire, so only the reconnect can send the reply.
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T06:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var rig = new WhatsAppRig(new WhatsAppRig.Setup(clock), Replying("unused"), ([
            WhatsAppRig.Connected(),
            WhatsAppRig.Line(new { type = "closed", reason = "connection_lost", will_reconnect = true, status_code = 408 }),
            WhatsAppRig.WaitFor("reconnect"),
            WhatsAppRig.Connected(),
        ], "ack"));
        rig.Start();
        await Eventually.True(() => rig.Logs.Lines.Any(l => l.Contains("connection closed (connection_lost)", StringComparison.Ordinal)), "the connection drops");
        rig.Channel.IsConnected.ShouldBeFalse();

        rig.Host.Outbox.Enqueue(WhatsAppRig.Group, "Back soon");
        await Eventually.True(() => rig.Logs.Lines.Any(l => l.Contains("not sent (whatsapp is not connected)", StringComparison.Ordinal)), "the first attempt is deferred");
        rig.Sends().ShouldBeEmpty();

        rig.Release("reconnect");
        await Eventually.True(() => rig.Sends().Count == 1, "the reply is sent right after the reconnect", TimeSpan.FromSeconds(5));
        rig.TextsSentTo(WhatsAppRig.Group).ShouldBe(["Andy: Back soon"]);
        clock.GetUtcNow().ShouldBe(DateTimeOffset.Parse("2026-06-01T06:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task GroupNamesAreRefreshedDailyNotJustOnConnect()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T06:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var rig = new WhatsAppRig(new WhatsAppRig.Setup(clock, Groups: [new { jid = WhatsAppRig.Group, name = "Family (renamed)" }]),
            Replying("unused"), ([
                WhatsAppRig.Connected(),
                WhatsAppRig.Line(new { type = "groups", groups = new[] { new { jid = WhatsAppRig.Group, name = "Family" } } }),
            ], "ack"));
        rig.Start();
        string? NameOf() => rig.Home.Db.ListChats().SingleOrDefault(c => c.Jid == WhatsAppRig.Group)?.Name;
        await Eventually.True(() => NameOf() == "Family", "the list sent on connect is stored");

        clock.Advance(TimeSpan.FromHours(23));
        await Task.Delay(300);
        rig.CommandsOf("sync_groups").ShouldBeEmpty();

        clock.Advance(TimeSpan.FromHours(1));
        await Eventually.True(() => NameOf() == "Family (renamed)", "the daily refresh stores the new name");
        rig.CommandsOf("sync_groups").Count.ShouldBe(1);
    }

    [Fact]
    public async Task MessagesAreMarkedReadWhenARunTakesThemNotBefore()
    {
        const string stranger = "999999999999999999@g.us";
        await using var rig = new WhatsAppRig(Replying("Hi Bob."), ([
            WhatsAppRig.Connected(),
            WhatsAppRig.Message("R1", "just chatting"),
            WhatsAppRig.Message("U1", "@Andy not registered", chat: stranger),
            WhatsAppRig.WaitFor("trigger"),
            WhatsAppRig.Message("R2", "@Andy hello"),
        ], "ack"));
        rig.Home.Register(WhatsAppRig.Group, "family");
        rig.Start();

        // A group that needs @Andy: the chatter is stored but no run takes it, so it stays unread.
        await Eventually.True(() => rig.Stored(WhatsAppRig.Group).Count == 1, "the chatter is stored");
        await Task.Delay(300);
        rig.CommandsOf("mark_read").ShouldBeEmpty();

        rig.Release("trigger");
        await Eventually.True(() => rig.Sends().Count == 1, "the triggered message is answered");
        var read = rig.CommandsOf("mark_read").Single().Command;
        read.GetProperty("chat_jid").GetString().ShouldBe(WhatsAppRig.Group);
        read.GetProperty("message_ids").EnumerateArray().Select(i => i.GetString()).ShouldBe(["R1", "R2"]);
        // Read before "typing...", as a person reads before answering.
        var types = rig.Commands().Select(c => c.Command.GetProperty("type").GetString()).ToList();
        types.IndexOf("mark_read").ShouldBeLessThan(types.IndexOf("typing"));
    }

    [Fact]
    public async Task MessagesFedIntoARunningRunAreMarkedReadWhenItEnds()
    {
        var runner = new ScriptedRunner((_, run) => Conversation(run));
        await using var rig = new WhatsAppRig(runner, ([
            WhatsAppRig.Connected(),
            WhatsAppRig.Message("F1", "first"),
            WhatsAppRig.WaitFor("during"),
            WhatsAppRig.Message("F2", "second, while the run goes on"),
        ], "ack"));
        rig.Home.Register(WhatsAppRig.Group, "family", requiresTrigger: false);
        rig.Start();

        await Eventually.True(() => rig.CommandsOf("mark_read").Count == 1, "the run's own message is marked read as it starts");
        rig.Release("during");
        await Eventually.True(() => rig.CommandsOf("mark_read").Count == 2, "the follow-up is marked read when the run ends");
        rig.CommandsOf("mark_read").Select(c => string.Join(",", c.Command.GetProperty("message_ids").EnumerateArray().Select(i => i.GetString())))
            .ShouldBe(["F1", "F2"]);
        await Eventually.True(() => rig.TextsSentTo(WhatsAppRig.Group).Contains("Andy: the run saw the follow-up"), "the run answered the follow-up");

        static async IAsyncEnumerable<NanoClaw.Runs.AgentEvent> Conversation(RunContext run)
        {
            yield return new NanoClaw.Runs.AgentEvent.Output("got it");
            var followUp = await run.FollowUps.ReadAsync(run.CancellationToken);
            if (followUp.Text.Contains("second, while the run goes on", StringComparison.Ordinal))
                yield return new NanoClaw.Runs.AgentEvent.Output("the run saw the follow-up");
            yield return new NanoClaw.Runs.AgentEvent.Completed();
        }
    }

    [Fact]
    public async Task ADirectChatKnownOnlyByItsLidGetsItsReply()
    {
        const string lidChat = "123456789012345@lid";
        await using var rig = new WhatsAppRig(Replying("Hello there."), ([
            WhatsAppRig.Connected(),
            WhatsAppRig.Message("L1", "@Andy hi", chat: lidChat),
        ], "ack"));
        rig.Home.Register(lidChat, "lidchat");
        rig.Start();

        await Eventually.True(() => rig.Sends().Count == 1, "the reply to the @lid chat reaches the sidecar");
        rig.TextsSentTo(lidChat).ShouldBe(["Andy: Hello there."]);
        rig.Channel.Owns(lidChat).ShouldBeTrue();
        rig.Channel.Owns("status@broadcast").ShouldBeFalse();
    }
}
