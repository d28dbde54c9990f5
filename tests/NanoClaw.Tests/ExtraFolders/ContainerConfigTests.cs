using NanoClaw.ExtraFolders;

namespace NanoClaw.Tests.ExtraFolders;

public class ContainerConfigTests
{
    static IReadOnlyList<AdditionalMount> Parsed(string? json) => ContainerConfig.Parse(json).ShouldBeOfType<ContainerConfigRead.Parsed>().AdditionalMounts;
    static string Invalid(string json) => ContainerConfig.Parse(json).ShouldBeOfType<ContainerConfigRead.Invalid>().Reason;

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("{\"additionalMounts\": null}")]
    [InlineData("{\"timeout\": 5}")]
    public void NoConfigMeansNoExtraFolders(string? json) => Parsed(json).ShouldBeEmpty();

    [Fact]
    public void MountsAreReadWithTheirOptionalFields() =>
        Parsed("""{"additionalMounts":[{"hostPath":"/v/a"},{"hostPath":"/v/b","containerPath":"b2","readonly":false},{"hostPath":"/v/c","readonly":true,"containerPath":null}]}""")
            .ShouldBe([new AdditionalMount("/v/a"), new AdditionalMount("/v/b", "b2", false), new AdditionalMount("/v/c", null, true)]);

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("{\"additionalMounts\": {}}", "must be an array")]
    [InlineData("{\"additionalMounts\": [\"/v\"]}", "[0] must be a JSON object")]
    [InlineData("{\"additionalMounts\": [{}]}", "[0].hostPath must be a string")]
    [InlineData("{\"additionalMounts\": [{\"hostPath\": 1}]}", "[0].hostPath must be a string")]
    [InlineData("{\"additionalMounts\": [{\"hostPath\": \"/v\", \"readonly\": \"no\"}]}", "readonly must be true or false")]
    [InlineData("{\"additionalMounts\": [{\"hostPath\": \"/v\", \"containerPath\": 2}]}", "containerPath must be a string")]
    [InlineData("{\"additionalMounts\": [{\"hostPath\": \"/v\", \"readOnly\": true}]}", "unknown key \"readOnly\"")]
    [InlineData("{\"additionalMounts\": [{\"hostPath\": \"/v\", \"hostPath\": \"/w\"}]}", "twice")]
    public void AMalformedConfigIsInvalidWithAReason(string json, string expected) => Invalid(json).ShouldContain(expected);

    [Fact]
    public void WritingMountsKeepsOtherKeysAndRoundTrips()
    {
        var json = ContainerConfig.WithMounts("""{"timeout":5,"additionalMounts":[{"hostPath":"/old"}]}""",
            [new AdditionalMount("/v/a"), new AdditionalMount("/v/b", "b", false)]);
        json.ShouldBe("""{"timeout":5,"additionalMounts":[{"hostPath":"/v/a"},{"hostPath":"/v/b","containerPath":"b","readonly":false}]}""");
        Parsed(json).ShouldBe([new AdditionalMount("/v/a"), new AdditionalMount("/v/b", "b", false)]);
    }

    [Fact]
    public void WritingNoMountsRemovesTheKeyAndAnEmptyConfigBecomesNull()
    {
        ContainerConfig.WithMounts("""{"additionalMounts":[{"hostPath":"/v"}]}""", []).ShouldBeNull();
        ContainerConfig.WithMounts("""{"timeout":5,"additionalMounts":[]}""", []).ShouldBe("""{"timeout":5}""");
        ContainerConfig.WithMounts(null, []).ShouldBeNull();
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[1]")]
    public void WritingIntoAMalformedConfigIsRefused(string json) =>
        Should.Throw<ArgumentException>(() => ContainerConfig.WithMounts(json, [new AdditionalMount("/v")])).Message.ShouldContain("fix or clear it first");
}
