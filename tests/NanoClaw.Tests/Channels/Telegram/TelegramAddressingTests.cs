using NanoClaw.Channels.Telegram;
using NanoClaw.Conversations;

namespace NanoClaw.Tests.Channels.Telegram;

/// <summary>How Telegram's ways of addressing the bot become the trigger form the loop recognises.</summary>
public class TelegramAddressingTests
{
    static string Content(string text, bool isPrivate = false, bool repliesToBot = false) =>
        TelegramAddressing.Content(text, "@Andy", "andy_test_bot", isPrivate, repliesToBot);

    [Theory]
    [InlineData("@Andy hi", "@Andy hi")]
    [InlineData("@andy_test_bot hi", "@Andy hi")]
    [InlineData("@ANDY_TEST_BOT, hi", "@Andy, hi")]
    [InlineData("hey @andy_test_bot what now", "@Andy hey @andy_test_bot what now")]
    [InlineData("just chatting", "just chatting")]
    [InlineData("mail me at bob@andy_test_bot.com", "mail me at bob@andy_test_bot.com")]
    [InlineData("@andy_test_botty hi", "@andy_test_botty hi")]
    public void InAGroupOnlyTheTriggerAndMentionsOfTheBotAddressIt(string text, string stored)
    {
        Content(text).ShouldBe(stored);
        Trigger.Matches(Content(text), "@Andy").ShouldBe(stored.StartsWith("@Andy", StringComparison.Ordinal));
    }

    [Fact]
    public void EverythingInAPrivateChatAndEveryReplyToTheBotAddressesIt()
    {
        Content("hello", isPrivate: true).ShouldBe("@Andy hello");
        Content("@Andy hello", isPrivate: true).ShouldBe("@Andy hello");
        Content("and tomorrow?", repliesToBot: true).ShouldBe("@Andy and tomorrow?");
    }

    [Fact]
    public void TheQuotedMessageIsContextAfterTheTextSoTheTriggerStaysFirst() =>
        TelegramAddressing.Content("and tomorrow?", "@Andy", "andy_test_bot", false, true, ("Andy", "Sunny."))
            .ShouldBe("@Andy and tomorrow?\n[replying to Andy: \"Sunny.\"]");
}
