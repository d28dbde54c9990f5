namespace NanoClaw.Usage;

/// <summary>
/// Usage summed over some calls. <see cref="CostUsd"/> covers the priced calls only; <see cref="UnpricedCalls"/> says how
/// many had a model the price table does not know (their tokens are in <see cref="Tokens"/>, their cost is unknown).
/// </summary>
public sealed record UsageRow(string Key, string? Label, int Calls, TokenUsage Tokens, decimal CostUsd, int UnpricedCalls, int PartialCalls)
{
    public static UsageRow Of(string key, string? label, IEnumerable<ApiCall> calls)
    {
        var list = calls.ToList();
        return new UsageRow(key, label, list.Count, list.Aggregate(TokenUsage.Zero, (sum, c) => sum.Plus(c.Tokens)),
            list.Sum(c => c.CostUsd ?? 0m), list.Count(c => c.CostUsd is null), list.Count(c => c.Partial));
    }

    /// <summary>"$1.2345", or "unknown" when no call was priced, or "$1.23 + unknown" when some were not.</summary>
    public string CostText => UnpricedCalls == 0 ? $"${CostUsd:0.0000}" : UnpricedCalls == Calls ? "unknown" : $"${CostUsd:0.0000} + unknown";
}
