using NanoClaw.Gateway;
using NanoClaw.Gateway.Egress;

namespace NanoClaw.Tests.Gateway;

public class EgressRulesTests
{
    [Theory]
    [InlineData("example.com", "example.com", true)]
    [InlineData("example.com", "EXAMPLE.com.", true)]
    [InlineData("example.com", "www.example.com", false)]
    [InlineData("*.example.com", "www.example.com", true)]
    [InlineData("*.example.com", "a.b.example.com", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "badexample.com", false)]
    [InlineData("*.example.com", "example.com.evil.net", false)]
    public void PatternsMatchExactNamesOrEverythingBelowADomain(string pattern, string host, bool matches) =>
        EgressRules.Matches(pattern, host).ShouldBe(matches);

    [Fact]
    public void NoRulesAllowAnyHost() => EgressRules.None.RefusalReason("example.com").ShouldBeNull();

    [Fact]
    public void DenyWinsOverAllow()
    {
        var rules = new EgressRules(Allow: ["*.example.com"], Deny: ["secret.example.com"]);

        rules.RefusalReason("www.example.com").ShouldBeNull();
        rules.RefusalReason("secret.example.com")!.ShouldContain("denied by the group's rule secret.example.com");
    }

    [Fact]
    public void AnAllowListMeansOnlyThoseHosts()
    {
        var rules = new EgressRules(Allow: ["github.com", "*.github.com"], Deny: []);

        rules.RefusalReason("api.github.com").ShouldBeNull();
        rules.RefusalReason("example.com")!.ShouldContain("not in the group's allow list");
    }

    [Fact]
    public void RulesRoundTripThroughContainerConfigAndKeepOtherKeys()
    {
        const string existing = """{"additionalMounts":[{"hostPath":"/srv/x"}]}""";
        var json = new EgressRules(["*.example.com"], ["bad.example.com"]).WriteInto(existing);

        json.ShouldNotBeNull().ShouldContain("additionalMounts");
        var read = EgressRules.FromContainerConfig(json);
        read.Allow.ShouldBe(["*.example.com"]);
        read.Deny.ShouldBe(["bad.example.com"]);
        read.Broken.ShouldBeNull();
        EgressRules.None.WriteInto(json).ShouldBe(existing);
    }

    [Theory]
    [InlineData("""{"egress":{"allow":"example.com"}}""", "not an array")]
    [InlineData("""{"egress":{"allow":["exa mple.com"]}}""", "invalid pattern")]
    [InlineData("""{"egress":{"permit":[]}}""", "unknown key")]
    [InlineData("""{"egress":[]}""", "not an object")]
    [InlineData("not json", "not valid JSON")]
    public void UnreadableRulesRefuseEverything(string json, string why)
    {
        var rules = EgressRules.FromContainerConfig(json);

        rules.Broken.ShouldNotBeNull();
        rules.Broken.ShouldContain(why);
        rules.RefusalReason("example.com")!.ShouldContain("cannot be read");
    }

    [Theory]
    [InlineData("example.com", true)]
    [InlineData("*.example.com", true)]
    [InlineData("xn--bcher-kva.example", true)]
    [InlineData("*", false)]
    [InlineData("a.*.example.com", false)]
    [InlineData("exa_mple.com", false)]
    [InlineData("-bad.com", false)]
    [InlineData("", false)]
    public void OnlyHostNamesAndStarDotDomainsArePatterns(string pattern, bool valid) =>
        (EgressRules.ValidatePattern(pattern) is null).ShouldBe(valid);
}
