using NanoClaw.Conversations;
using NanoClaw.Storage;

namespace NanoClaw.Tests.Conversations;

public class TriggerTests
{
    [Theory]
    [InlineData("@Andy hello", true)]
    [InlineData("@andy hello", true)]
    [InlineData("  @ANDY, what's up", true)]
    [InlineData("@Andy", true)]
    [InlineData("@Andy's idea", true)]
    [InlineData("@Andrew hello", false)]
    [InlineData("@Andy_bot hi", false)]
    [InlineData("hello @Andy", false)]
    [InlineData("Andy hello", false)]
    public void TriggerMustStartTheMessageAtAWordBoundary(string content, bool expected) =>
        Trigger.Matches(content, "@Andy").ShouldBe(expected);

    static RegisteredGroup Group(bool isMain = false, bool requiresTrigger = true) =>
        new("g@g.us", "G", "g", "@Andy", DateTimeOffset.UtcNow, requiresTrigger, isMain);

    static StoredMessage Msg(string text) => new("1", "g@g.us", "a", "A", text, DateTimeOffset.UtcNow, false, false);

    [Fact]
    public void AGroupNeedsOneTriggeredMessageAmongTheNewOnes()
    {
        Trigger.ShouldRespond(Group(), [Msg("lunch?"), Msg("sure")]).ShouldBeFalse();
        Trigger.ShouldRespond(Group(), [Msg("lunch?"), Msg("@Andy where?")]).ShouldBeTrue();
    }

    [Fact]
    public void TheMainChatAndUntriggeredGroupsAnswerEverything()
    {
        Trigger.ShouldRespond(Group(isMain: true), [Msg("hello")]).ShouldBeTrue();
        Trigger.ShouldRespond(Group(requiresTrigger: false), [Msg("hello")]).ShouldBeTrue();
    }
}
