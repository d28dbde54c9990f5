using NanoClaw.Usage;

namespace NanoClaw.Tests.Usage;

public class PriceTableTests
{
    [Theory]
    [InlineData("claude-sonnet-4-5", "claude-sonnet-4-5")]
    [InlineData("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")]
    [InlineData("claude-opus-4-1-20250805", "claude-opus-4-1")]
    [InlineData("claude-opus-4-20250514", "claude-opus-4")]
    [InlineData("claude-sonnet-5-5[1m]", "claude-sonnet-5-5")]
    [InlineData("claude-3-5-haiku-latest", "claude-3-5-haiku")]
    public void ADatedOrTaggedIdFindsItsModel(string id, string model) => PriceTable.Find(id)!.Model.ShouldBe(model);

    [Theory]
    [InlineData("claude-opus-4-9")]       // not claude-opus-4's row
    [InlineData("claude-sonnet-4-5-2025")] // not a date
    [InlineData("claude-fake")]
    [InlineData("")]
    public void AnUnknownIdIsNeverPricedLikeASimilarOne(string id) => PriceTable.Find(id).ShouldBeNull();

    [Fact]
    public void ALongPromptIsBilledWhollyAtTheLongPromptRates()
    {
        var shortCall = new TokenUsage(100_000, 1000, 0, 0, 100_000);
        var longCall = new TokenUsage(100_001, 1000, 0, 0, 100_000);
        PriceTable.Cost("claude-sonnet-4-5", shortCall).ShouldBe((100_000 * 3m + 1000 * 15m + 100_000 * 0.30m) / 1_000_000m);
        PriceTable.Cost("claude-sonnet-4-5", longCall).ShouldBe((100_001 * 6m + 1000 * 22.50m + 100_000 * 0.60m) / 1_000_000m);
        PriceTable.Cost("claude-unknown", shortCall).ShouldBeNull();
    }
}
