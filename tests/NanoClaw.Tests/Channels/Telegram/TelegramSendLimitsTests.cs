using Microsoft.Extensions.Time.Testing;
using NanoClaw.Channels.Telegram;

namespace NanoClaw.Tests.Channels.Telegram;

/// <summary>Telegram's documented limits, on a fake clock.</summary>
public class TelegramSendLimitsTests
{
    static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-06-01T06:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void OneMessageASecondPerChatWithoutHoldingOtherChats()
    {
        var clock = new FakeTimeProvider(Start);
        var limits = new TelegramSendLimits(clock);

        limits.TryTake("tg:1").ShouldBeNull();
        limits.TryTake("tg:1").ShouldNotBeNull().Until.ShouldBe(Start + TimeSpan.FromSeconds(1));
        limits.TryTake("tg:2").ShouldBeNull();
        clock.Advance(TimeSpan.FromSeconds(1));
        limits.TryTake("tg:1").ShouldBeNull();
    }

    [Fact]
    public void TwentyAMinuteInAGroupButNotInAPrivateChat()
    {
        var clock = new FakeTimeProvider(Start);
        var limits = new TelegramSendLimits(clock);
        for (var i = 0; i < 20; i++)
        {
            limits.TryTake("tg:-100").ShouldBeNull();
            limits.TryTake("tg:100").ShouldBeNull();
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        var hold = limits.TryTake("tg:-100").ShouldNotBeNull();
        hold.Until.ShouldBe(Start + TimeSpan.FromMinutes(1));
        hold.Reason.ShouldContain("20 messages went to this chat in the last minute");
        limits.TryTake("tg:100").ShouldBeNull();
    }

    [Fact]
    public void ThirtyASecondOverall()
    {
        var clock = new FakeTimeProvider(Start);
        var limits = new TelegramSendLimits(clock);
        for (var i = 0; i < 30; i++) limits.TryTake($"tg:{i + 1}").ShouldBeNull();

        limits.TryTake("tg:999").ShouldNotBeNull().Reason.ShouldContain("30 messages went out in the last second");
    }
}
