using NanoClaw.Guest;

namespace NanoClaw.Tests.Guest;

public sealed class GuestTextTests
{
    [Theory]
    [InlineData("plain text, ünïcödé and 🙂", "plain text, ünïcödé and 🙂")]
    [InlineData("\u001b[31mred\u001b[0m", @"\x1b[31mred\x1b[0m")]
    [InlineData("a\rb\nc\td", @"a\x0db\nc\td")]
    [InlineData("bell\u0007 nul\0 del\u007f", @"bell\x07 nul\x00 del\x7f")]
    [InlineData("c1 \u009b csi", @"c1 \x9b csi")]
    [InlineData("bidi \u202etxt.exe", @"bidi \u202etxt.exe")]
    [InlineData("sep \u2028 para \u2029", @"sep \u2028 para \u2029")]
    [InlineData(@"forged \x1b", @"forged \\x1b")]
    public void ControlsAreEscapedAndEscapesCannotBeForged(string text, string expected) =>
        GuestText.Escape(text).ShouldBe(expected);

    [Fact]
    public void ALoneSurrogateIsEscapedAndAPairIsKept() // built at run time: an attribute cannot carry a lone surrogate
    {
        GuestText.Escape("lone " + '\ud800' + " end " + '\udc00').ShouldBe(@"lone \ud800 end \udc00");
        GuestText.Escape("pair \ud83d\ude42").ShouldBe("pair \ud83d\ude42");
    }

    [Fact]
    public void LongTextIsCut() =>
        GuestText.Escape(new string('a', 100), maxChars: 10).ShouldBe("aaaaaaaaaa... [90 more characters cut]");
}
