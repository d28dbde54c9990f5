using NanoClaw.Outbound;

namespace NanoClaw.Tests.Outbound;

public class OutboundTextTests
{
    [Fact]
    public void InternalSpansAreStrippedAndThePrefixAdded() =>
        OutboundText.Prepare("<internal>check calendar first</internal>Lunch is at 12.\n<INTERNAL>note</INTERNAL>", "Andy", prefix: true, 4000)
            .ShouldBe(["Andy: Lunch is at 12."]);

    [Fact]
    public void AnUnclosedInternalSpanHidesTheRest() =>
        OutboundText.Prepare("Visible. <internal>secret plan", "Andy", prefix: false, 4000).ShouldBe(["Visible."]);

    [Fact]
    public void OnlyInternalTextMeansNothingIsSent() =>
        OutboundText.Prepare("  <internal>thinking</internal>  ", "Andy", prefix: true, 4000).ShouldBeEmpty();

    [Fact]
    public void NoPrefixWhenTheAssistantHasItsOwnNumber() =>
        OutboundText.Prepare("hi", "Andy", prefix: false, 4000).ShouldBe(["hi"]);

    [Fact]
    public void LongRepliesSplitAtParagraphsAndEachPartFitsWithItsPrefix()
    {
        var paragraph = string.Join(' ', Enumerable.Repeat("word", 20)); // 99 chars
        var text = string.Join("\n\n", Enumerable.Repeat(paragraph, 5));
        var parts = OutboundText.Prepare(text, "Andy", prefix: true, maxLength: 250);
        parts.Count.ShouldBe(3);
        parts.ShouldAllBe(p => p.Length <= 250 && p.StartsWith("Andy: "));
        string.Join("\n\n", parts.Select(p => p["Andy: ".Length..])).ShouldBe(text);
    }

    [Fact]
    public void TextWithoutSpacesIsHardCutWithoutLosingCharacters()
    {
        var text = new string('x', 1000);
        var parts = OutboundText.Split(text, 300).ToList();
        parts.Select(p => p.Length).ShouldBe([300, 300, 300, 100]);
    }

    [Fact]
    public void ACutNeverSplitsASurrogatePair()
    {
        var text = new string('x', 9) + "😀" + "tail";
        var parts = OutboundText.Split(text, 10).ToList();
        string.Concat(parts).ShouldBe(text);
        parts.ShouldAllBe(p => !char.IsHighSurrogate(p[p.Length - 1]));
    }
}
