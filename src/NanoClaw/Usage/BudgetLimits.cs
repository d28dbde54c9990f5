namespace NanoClaw.Usage;

/// <summary>A group's spending limits in USD (null: no limit for that period). Stored in <c>budgets</c>.</summary>
public sealed record BudgetLimits(decimal? DailyUsd, decimal? MonthlyUsd)
{
    public static readonly BudgetLimits None = new(null, null);

    public bool IsNone => DailyUsd is null && MonthlyUsd is null;

    public override string ToString() =>
        IsNone ? "no limit" : string.Join(", ", new[] { DailyUsd is { } d ? $"daily ${d:0.00##}" : null, MonthlyUsd is { } m ? $"monthly ${m:0.00##}" : null }.OfType<string>());
}
