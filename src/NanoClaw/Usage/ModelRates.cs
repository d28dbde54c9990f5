namespace NanoClaw.Usage;

/// <summary>USD per million tokens for each kind of token a call is billed for.</summary>
public sealed record ModelRates(decimal Input, decimal Output, decimal CacheWrite5m, decimal CacheWrite1h, decimal CacheRead)
{
    const decimal PerMillion = 1_000_000m;

    /// <summary>Exact (decimal) cost of <paramref name="tokens"/> at these rates.</summary>
    public decimal Cost(TokenUsage tokens) =>
        (tokens.Input * Input + tokens.Output * Output + tokens.CacheWrite5m * CacheWrite5m
            + tokens.CacheWrite1h * CacheWrite1h + tokens.CacheRead * CacheRead) / PerMillion;
}
