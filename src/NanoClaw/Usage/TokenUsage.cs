namespace NanoClaw.Usage;

/// <summary>
/// The tokens of one Messages API call as the API reported them. Cache writes are split by lifetime because they are
/// priced differently; when the API gives only a total (no <c>cache_creation</c> breakdown), it is counted as 5-minute
/// writes, the API's default lifetime.
/// </summary>
public sealed record TokenUsage(long Input, long Output, long CacheWrite5m, long CacheWrite1h, long CacheRead)
{
    public static readonly TokenUsage Zero = new(0, 0, 0, 0, 0);

    /// <summary>Everything the prompt consisted of: what long-prompt pricing tiers are decided on.</summary>
    public long PromptTokens => Input + CacheWrite5m + CacheWrite1h + CacheRead;

    public TokenUsage Plus(TokenUsage other) => new(Input + other.Input, Output + other.Output,
        CacheWrite5m + other.CacheWrite5m, CacheWrite1h + other.CacheWrite1h, CacheRead + other.CacheRead);
}
