using System.Globalization;
using Microsoft.Data.Sqlite;
using NanoClaw.Usage;

namespace NanoClaw.Storage;

public sealed partial class Database
{
    /// <summary>The <c>budgets</c> row that holds the default for every group without limits of its own.</summary>
    public const string DefaultBudgetKey = "*";

    // Costs are stored as integer nano-USD: exact for every published rate (at most three decimals per MTok), and
    // SQLite can SUM them without floating point.
    const decimal NanoPerUsd = 1_000_000_000m;

    public long InsertApiCall(ApiCall call)
    {
        using var c = Connect();
        using var cmd = Command(c, """
            INSERT INTO api_calls (run_id, group_folder, task_id, model, input_tokens, output_tokens, cache_creation_5m_tokens,
                cache_creation_1h_tokens, cache_read_tokens, cost_nano_usd, started_at, partial)
            VALUES ($run, $group, $task, $model, $in, $out, $w5, $w1, $read, $cost, $started, $partial) RETURNING id
            """, ("$run", call.RunId), ("$group", call.GroupFolder), ("$task", call.TaskId), ("$model", call.Model),
            ("$in", call.Tokens.Input), ("$out", call.Tokens.Output), ("$w5", call.Tokens.CacheWrite5m), ("$w1", call.Tokens.CacheWrite1h),
            ("$read", call.Tokens.CacheRead), ("$cost", call.CostUsd is { } usd ? (long)decimal.Round(usd * NanoPerUsd) : null),
            ("$started", Iso(call.StartedAt)), ("$partial", call.Partial));
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Calls since <paramref name="since"/> (all groups, or one), oldest first.</summary>
    public IReadOnlyList<ApiCall> ApiCallsSince(DateTimeOffset since, string? groupFolder = null) =>
        Query("""
            SELECT id, run_id, group_folder, task_id, model, input_tokens, output_tokens, cache_creation_5m_tokens,
                cache_creation_1h_tokens, cache_read_tokens, cost_nano_usd, started_at, partial
            FROM api_calls WHERE started_at >= $since AND ($group IS NULL OR group_folder = $group) ORDER BY id
            """, r => new ApiCall(r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4),
                new TokenUsage(r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9)),
                r.IsDBNull(10) ? null : r.GetInt64(10) / NanoPerUsd, ParseIso(r.GetString(11)), r.GetInt64(12) != 0, r.GetInt64(0)),
            ("$since", Iso(since)), ("$group", groupFolder));

    /// <summary>What a group's priced calls cost since <paramref name="since"/>. Calls of unknown models add nothing (their cost is unknown).</summary>
    public decimal SpentSince(string groupFolder, DateTimeOffset since) =>
        ScalarOf("SELECT COALESCE(SUM(cost_nano_usd), 0) FROM api_calls WHERE group_folder = $g AND started_at >= $since",
            ("$g", groupFolder), ("$since", Iso(since))) is long nano ? nano / NanoPerUsd : 0m;

    /// <summary>The limits stored for <paramref name="groupFolder"/> (or <see cref="DefaultBudgetKey"/>); null when none are.</summary>
    public BudgetLimits? GetBudget(string groupFolder) =>
        Query("SELECT daily_usd, monthly_usd FROM budgets WHERE group_folder = $g",
            r => new BudgetLimits(ReadUsd(r, 0), ReadUsd(r, 1)), ("$g", groupFolder)).FirstOrDefault();

    /// <summary>The limits that apply to a group: its own row, else the default row, else none.</summary>
    public BudgetLimits EffectiveBudget(string groupFolder) => GetBudget(groupFolder) ?? GetBudget(DefaultBudgetKey) ?? BudgetLimits.None;

    public IReadOnlyList<(string GroupFolder, BudgetLimits Limits)> ListBudgets() =>
        Query("SELECT group_folder, daily_usd, monthly_usd FROM budgets ORDER BY group_folder",
            r => (r.GetString(0), new BudgetLimits(ReadUsd(r, 1), ReadUsd(r, 2))));

    public void SetBudget(string groupFolder, BudgetLimits limits) =>
        Execute("""
            INSERT INTO budgets (group_folder, daily_usd, monthly_usd) VALUES ($g, $d, $m)
            ON CONFLICT (group_folder) DO UPDATE SET daily_usd = excluded.daily_usd, monthly_usd = excluded.monthly_usd
            """, ("$g", groupFolder), ("$d", limits.DailyUsd?.ToString(CultureInfo.InvariantCulture)),
            ("$m", limits.MonthlyUsd?.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Removes a group's (or the default's) limits. False when there were none.</summary>
    public bool ClearBudget(string groupFolder) => ExecuteCount("DELETE FROM budgets WHERE group_folder = $g", ("$g", groupFolder)) == 1;

    static decimal? ReadUsd(SqliteDataReader r, int column) =>
        r.IsDBNull(column) ? null : decimal.Parse(r.GetString(column), NumberStyles.Number, CultureInfo.InvariantCulture);
}
