using System.Globalization;
using System.Text;
using System.Text.Json;
using NanoClaw.Storage;

namespace NanoClaw.Usage;

/// <summary>
/// What <c>./nanoclaw usage</c> and the main chat's <c>usage</c> tool show: the calls since a time, grouped by day
/// (local, <c>TZ</c>), group, task or run; the total; and the tasks that cost most.
/// </summary>
public sealed record UsageReport(DateTimeOffset Since, string? GroupFolder, string By, IReadOnlyList<UsageRow> Rows, UsageRow Total, IReadOnlyList<UsageRow> TopTasks)
{
    public static readonly string[] Groupings = ["day", "group", "task", "run"];
    const int TopTaskCount = 5;

    public static UsageReport Build(Database db, DateTimeOffset since, string? groupFolder, string by, TimeZoneInfo zone)
    {
        var calls = db.ApiCallsSince(since, groupFolder);
        var prompts = db.ListTasks(groupFolder).ToDictionary(t => t.Id, t => Shorten(t.Prompt));
        string KeyOf(ApiCall c) => by switch
        {
            "day" => TimeZoneInfo.ConvertTime(c.StartedAt, zone).ToString("yyyy-MM-dd ddd", CultureInfo.InvariantCulture),
            "group" => c.GroupFolder,
            "task" => c.TaskId ?? "(messages)",
            "run" => c.RunId,
            _ => throw new ArgumentOutOfRangeException(nameof(by), by, "by is day, group, task or run"),
        };
        string? LabelOf(string key, ApiCall first) => by switch
        {
            "task" => prompts.GetValueOrDefault(key),
            "run" => first.GroupFolder + (first.TaskId is { } t ? " task " + t : ""),
            _ => null,
        };
        var rows = calls.GroupBy(KeyOf).Select(g => UsageRow.Of(g.Key, LabelOf(g.Key, g.First()), g));
        rows = by == "day" ? rows.OrderBy(r => r.Key, StringComparer.Ordinal) : rows.OrderByDescending(r => r.CostUsd).ThenBy(r => r.Key, StringComparer.Ordinal);
        var top = calls.Where(c => c.TaskId is not null).GroupBy(c => c.TaskId!)
            .Select(g => UsageRow.Of(g.Key, prompts.GetValueOrDefault(g.Key), g))
            .OrderByDescending(r => r.CostUsd).Take(TopTaskCount).ToList();
        return new UsageReport(since, groupFolder, by, [.. rows], UsageRow.Of("total", null, calls), top);
    }

    /// <summary>
    /// <c>7d</c>, <c>24h</c>, <c>today</c>, <c>month</c> (since the 1st, local) or a local date <c>2026-12-01</c>.
    /// Null with <paramref name="error"/> set when it is none of those.
    /// </summary>
    public static DateTimeOffset? ParseSince(string text, DateTimeOffset now, TimeZoneInfo zone, out string? error)
    {
        error = null;
        var t = text.Trim().ToLowerInvariant();
        if (t == "today") return BudgetPeriod.DayStart(now, zone);
        if (t == "month") return BudgetPeriod.MonthStart(now, zone);
        if (t.Length >= 2 && int.TryParse(t[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 36600)
        {
            if (t[^1] == 'd') return now.AddDays(-n);
            if (t[^1] == 'h') return now.AddHours(-n);
        }
        if (DateTime.TryParseExact(t, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return new DateTimeOffset(date, zone.GetUtcOffset(date));
        error = $"--since \"{text}\" is not understood: use 7d, 24h, today, month or a date like 2026-12-01.";
        return null;
    }

    public string ToText(TimeZoneInfo zone)
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"Usage since {TimeZoneInfo.ConvertTime(Since, zone):yyyy-MM-dd HH:mm} ({zone.Id})")
            .Append(GroupFolder is null ? ", all groups" : $", group {GroupFolder}").Append(CultureInfo.InvariantCulture, $", by {By}\n");
        if (Total.Calls == 0) return s.Append("No Messages API calls in that time.\n").ToString();
        Table(s, By, Rows.Append(Total with { Key = "TOTAL" }));
        if (TopTasks.Count > 0)
        {
            s.Append("\nTop tasks by cost:\n");
            Table(s, "task", TopTasks);
        }
        if (Total.UnpricedCalls > 0)
            s.Append(CultureInfo.InvariantCulture, $"\n{Total.UnpricedCalls} call(s) used a model the price table ({PriceTable.AsOf:yyyy-MM-dd}) does not know: tokens counted, cost unknown.\n");
        if (Total.PartialCalls > 0)
            s.Append(CultureInfo.InvariantCulture, $"{Total.PartialCalls} call(s) were cut off mid-answer: counted as far as they got.\n");
        return s.ToString();
    }

    static void Table(StringBuilder s, string keyHeader, IEnumerable<UsageRow> rows)
    {
        var list = rows.ToList();
        var keyWidth = Math.Max(keyHeader.Length, list.Max(r => r.Key.Length));
        s.Append(CultureInfo.InvariantCulture, $"{keyHeader.PadRight(keyWidth)}  {"calls",6}  {"input",11}  {"output",10}  {"cache write",11}  {"cache read",12}  {"cost",16}\n");
        foreach (var r in list)
        {
            s.Append(CultureInfo.InvariantCulture, $"{r.Key.PadRight(keyWidth)}  {r.Calls,6}  {r.Tokens.Input,11:N0}  {r.Tokens.Output,10:N0}  {r.Tokens.CacheWrite5m + r.Tokens.CacheWrite1h,11:N0}  {r.Tokens.CacheRead,12:N0}  {r.CostText,16}");
            if (r.Label is { } label) s.Append("  ").Append(label);
            s.Append('\n');
        }
    }

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>For scripts and the agent: costs as decimal numbers in USD, null where unknown.</summary>
    public string ToJson(bool indented = true) => JsonSerializer.Serialize(new
    {
        since = Since,
        group = GroupFolder,
        by = By,
        prices_as_of = PriceTable.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        rows = Rows.Select(Row),
        total = Row(Total),
        top_tasks = TopTasks.Select(Row),
    }, indented ? Json : new JsonSerializerOptions(Json) { WriteIndented = false });

    static object Row(UsageRow r) => new
    {
        key = r.Key,
        label = r.Label,
        calls = r.Calls,
        input_tokens = r.Tokens.Input,
        output_tokens = r.Tokens.Output,
        cache_write_5m_tokens = r.Tokens.CacheWrite5m,
        cache_write_1h_tokens = r.Tokens.CacheWrite1h,
        cache_read_tokens = r.Tokens.CacheRead,
        cost_usd = r.UnpricedCalls == r.Calls ? (decimal?)null : r.CostUsd,
        unpriced_calls = r.UnpricedCalls,
        partial_calls = r.PartialCalls,
    };

    static string Shorten(string prompt) => prompt.ReplaceLineEndings(" ") is var p && p.Length > 50 ? p[..47] + "..." : p;
}
