using Microsoft.Extensions.Time.Testing;
using NanoClaw.Channels;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Channels.WhatsApp;

/// <summary>Outbound rate limits (ban risk): held sends wait in the real SQLite outbox, on a fake clock.</summary>
public class WhatsAppRateLimitTests
{
    const string Other = "120363099999999999@g.us";
    static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-06-01T06:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    static WhatsAppRig Rig(FakeTimeProvider clock, int perChat, int overall) => new(
        new WhatsAppRig.Setup(clock, env =>
        {
            env["WHATSAPP_SEND_PER_CHAT_PER_MINUTE"] = perChat.ToString(System.Globalization.CultureInfo.InvariantCulture);
            env["WHATSAPP_SEND_PER_MINUTE"] = overall.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }),
        ScriptedRunner.Replying(_ => "unused"), ([WhatsAppRig.Connected()], "ack"));

    /// <summary>Moves the fake clock a second at a time until <paramref name="condition"/> holds (the outbox's timer
    /// may be armed a moment after a step, so one big jump could be missed).</summary>
    static Task StepUntil(FakeTimeProvider clock, Func<bool> condition, string what) =>
        Eventually.True(() => { if (condition()) return true; clock.Advance(TimeSpan.FromSeconds(1)); return false; }, what);

    [Fact]
    public async Task AChatOverItsLimitIsHeldInOrderWithoutHoldingOtherChatsAndGoesOutWhenTheMinuteIsUp()
    {
        var clock = new FakeTimeProvider(Start);
        await using var rig = Rig(clock, perChat: 2, overall: 100);
        rig.Start();
        await Eventually.True(() => rig.Channel.IsConnected, "the sidecar connects");

        foreach (var n in new[] { 1, 2, 3, 4 }) rig.Host.Outbox.Enqueue(WhatsAppRig.Group, $"A{n}");
        rig.Host.Outbox.Enqueue(Other, "B1");
        await Eventually.True(() => rig.TextsSentTo(WhatsAppRig.Group).Count == 2 && rig.TextsSentTo(Other).Count == 1,
            "two messages to the group and one to the other chat go out at once");
        rig.Host.Outbox.Enqueue(Other, "B2");
        await Eventually.True(() => rig.TextsSentTo(Other).Count == 2, "the other chat is not held by the group's limit");

        rig.Logs.Lines.ShouldContain(l => l.Contains("held until 2026-06-01T06:01:00", StringComparison.Ordinal)
            && l.Contains("2 messages went to this chat in the last minute (WHATSAPP_SEND_PER_CHAT_PER_MINUTE)", StringComparison.Ordinal));
        // A3 and A4 wait in the outbox, nothing is dropped (the others are marked sent once their ack is read).
        await Eventually.True(() => rig.Home.Db.PendingOutboundCount() == 2, "exactly the held two are pending");

        clock.Advance(TimeSpan.FromSeconds(58));
        await Task.Delay(300);
        rig.TextsSentTo(WhatsAppRig.Group).Count.ShouldBe(2); // still inside the minute

        await StepUntil(clock, () => rig.TextsSentTo(WhatsAppRig.Group).Count == 4, "the held messages go out once the minute is up");
        clock.GetUtcNow().ShouldBeLessThan(Start + TimeSpan.FromSeconds(65));
        rig.TextsSentTo(WhatsAppRig.Group).ShouldBe(["Andy: A1", "Andy: A2", "Andy: A3", "Andy: A4"]);
        await Eventually.True(() => rig.Home.Db.PendingOutboundCount() == 0, "every entry is marked sent");
    }

    [Fact]
    public async Task TheOverallLimitHoldsEveryChatAndLosesNothing()
    {
        var clock = new FakeTimeProvider(Start);
        await using var rig = Rig(clock, perChat: 100, overall: 3);
        rig.Start();
        await Eventually.True(() => rig.Channel.IsConnected, "the sidecar connects");

        rig.Host.Outbox.Enqueue(WhatsAppRig.Group, "A1");
        rig.Host.Outbox.Enqueue(WhatsAppRig.Group, "A2");
        rig.Host.Outbox.Enqueue(Other, "B1");
        rig.Host.Outbox.Enqueue(Other, "B2");
        await Eventually.True(() => rig.Sends().Count == 3, "three messages go out");
        await Eventually.True(() => rig.Logs.Lines.Any(l => l.Contains("3 messages went out in the last minute (WHATSAPP_SEND_PER_MINUTE)", StringComparison.Ordinal)),
            "the log says why the fourth is held");
        await Task.Delay(200);
        rig.Sends().Count.ShouldBe(3);

        await StepUntil(clock, () => rig.Sends().Count == 4, "the fourth goes out once the minute is up");
        rig.TextsSentTo(WhatsAppRig.Group).ShouldBe(["Andy: A1", "Andy: A2"]);
        rig.TextsSentTo(Other).ShouldBe(["Andy: B1", "Andy: B2"]);
        await Eventually.True(() => rig.Home.Db.PendingOutboundCount() == 0, "every entry is marked sent");
    }

    [Fact]
    public void TheWindowSlidesAndOnlyAllowedSendsCount()
    {
        var clock = new FakeTimeProvider(Start);
        var limiter = new OutboundRateLimiter(perChatPerMinute: 2, overallPerMinute: 3, clock);
        limiter.TryTake("a").ShouldBeNull();
        clock.Advance(TimeSpan.FromSeconds(30));
        limiter.TryTake("a").ShouldBeNull();
        var held = limiter.TryTake("a").ShouldNotBeNull();
        held.Until.ShouldBe(Start + TimeSpan.FromMinutes(1)); // when the first send leaves the window
        limiter.TryTake("b").ShouldBeNull(); // the refused send did not count towards the overall 3
        limiter.TryTake("c").ShouldNotBeNull().Until.ShouldBe(Start + TimeSpan.FromMinutes(1));
        clock.Advance(TimeSpan.FromSeconds(30));
        limiter.TryTake("a").ShouldBeNull();
    }

    [Fact]
    public void LimitsComeFromTheEnvironmentWithDefaults()
    {
        using var defaults = new TestHome();
        defaults.Config.WhatsAppSendPerChatPerMinute.ShouldBe(15);
        defaults.Config.WhatsAppSendPerMinute.ShouldBe(40);
        using var set = new TestHome(env => { env["WHATSAPP_SEND_PER_CHAT_PER_MINUTE"] = "5"; env["WHATSAPP_SEND_PER_MINUTE"] = "9"; });
        (set.Config.WhatsAppSendPerChatPerMinute, set.Config.WhatsAppSendPerMinute).ShouldBe((5, 9));
        Should.Throw<ConfigException>(() => new TestHome(env => env["WHATSAPP_SEND_PER_MINUTE"] = "0"))
            .Message.ShouldContain("WHATSAPP_SEND_PER_MINUTE=0");
    }
}
