using System.Buffers.Text;
using NanoClaw.Gateway;

namespace NanoClaw.Tests.Gateway;

public class RunTokensTests
{
    static readonly RunIdentity Main = new("run-1", "main", "123@s.whatsapp.net", IsMain: true);
    static readonly RunIdentity Family = new("run-2", "family", "456@g.us", IsMain: false);

    [Fact]
    public void AnIssuedTokenValidatesAsItsRun()
    {
        var tokens = new RunTokens();
        var token = tokens.Issue(Family);

        tokens.TryValidate(token, out var run).ShouldBeTrue();
        run.ShouldBe(Family);
    }

    [Fact]
    public void TokensAre32RandomBytesInBase64Url()
    {
        var tokens = new RunTokens();
        var issued = Enumerable.Range(0, 100).Select(_ => tokens.Issue(Main)).ToList();

        issued.ShouldBeUnique();
        issued.ShouldAllBe(t => Base64Url.DecodeFromChars(t).Length == 32);
        issued.ShouldAllBe(t => t.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_'));
    }

    [Fact]
    public void UnknownEmptyAndAlteredTokensAreRejected()
    {
        var tokens = new RunTokens();
        var token = tokens.Issue(Main);

        tokens.TryValidate(null, out _).ShouldBeFalse();
        tokens.TryValidate("", out _).ShouldBeFalse();
        tokens.TryValidate(token[..^1], out _).ShouldBeFalse();
        tokens.TryValidate(token + "x", out _).ShouldBeFalse();
        tokens.TryValidate(token.ToUpperInvariant(), out _).ShouldBeFalse();
    }

    [Fact]
    public void ARevokedTokenNoLongerValidates()
    {
        var tokens = new RunTokens();
        var token = tokens.Issue(Main);

        tokens.Revoke(token).ShouldBeTrue();

        tokens.TryValidate(token, out _).ShouldBeFalse();
        tokens.Revoke(token).ShouldBeFalse();
    }
}
