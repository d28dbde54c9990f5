namespace NanoClaw.Usage;

/// <summary>
/// One Messages API call the gateway forwarded (an <c>api_calls</c> row). <see cref="CostUsd"/> is null when the price
/// table does not know <see cref="Model"/>: the tokens are counted, the cost is unknown, never guessed.
/// <see cref="Partial"/>: the answer was cut off before its end, so the tokens are what was seen until then.
/// </summary>
public sealed record ApiCall(string RunId, string GroupFolder, string? TaskId, string Model, TokenUsage Tokens,
    decimal? CostUsd, DateTimeOffset StartedAt, bool Partial, long Id = 0);
