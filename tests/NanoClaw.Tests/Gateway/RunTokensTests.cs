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

    [Fact]
    public void AnUnboundTokenAuthenticatesNothingUntilBoundOnce()
    {
        var tokens = new RunTokens();
        var token = tokens.IssueUnbound();

        tokens.TryValidate(token, out _).ShouldBeFalse();
        tokens.TryValidateLive(token, out var parked).ShouldBeTrue();
        parked.ShouldBeNull();

        tokens.Bind(token, Family).ShouldBeTrue();
        tokens.TryValidate(token, out var run).ShouldBeTrue();
        run.ShouldBe(Family);
        // Once only: a bound token is never moved to another run.
        tokens.Bind(token, Main).ShouldBeFalse();
        tokens.TryValidate(token, out run).ShouldBeTrue();
        run.ShouldBe(Family);
    }

    [Fact]
    public void BindRefusesUnknownRevokedAndIssuedTokens()
    {
        var tokens = new RunTokens();
        var issued = tokens.Issue(Main);
        var revoked = tokens.IssueUnbound();
        tokens.Revoke(revoked).ShouldBeTrue();

        tokens.Bind("not-a-token", Family).ShouldBeFalse();
        tokens.Bind("", Family).ShouldBeFalse();
        tokens.Bind(revoked, Family).ShouldBeFalse();
        tokens.Bind(issued, Family).ShouldBeFalse();
        tokens.TryValidate(issued, out var run).ShouldBeTrue();
        run.ShouldBe(Main);
        tokens.TryValidateLive(revoked, out _).ShouldBeFalse();
    }

    [Fact]
    public void RevokeEndsAnUnboundOrABoundToken()
    {
        var tokens = new RunTokens();
        var unbound = tokens.IssueUnbound();
        var bound = tokens.IssueUnbound();
        tokens.Bind(bound, Family).ShouldBeTrue();

        tokens.Revoke(unbound).ShouldBeTrue();
        tokens.Revoke(bound).ShouldBeTrue();

        tokens.TryValidate(bound, out _).ShouldBeFalse();
        tokens.TryValidateLive(unbound, out _).ShouldBeFalse();
        tokens.Count.ShouldBe(0);
    }
}
