using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.WhatsApp;

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
        rig.Runner.Requests.Single().Prompt.ShouldContain("@Andy what do you think?\n[replying to 4915111111111: &quot;Dinner at 8?&quot;]");
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

        await Eventually.True(() => rig.Sends().Count == 1, "the big message is answered");
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
}
