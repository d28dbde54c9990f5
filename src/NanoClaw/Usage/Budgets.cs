using System.Globalization;
using Microsoft.Extensions.Logging;
using NanoClaw.Outbound;
using NanoClaw.Storage;

namespace NanoClaw.Usage;

/// <summary>
/// The budget rule and its notices, in one place for the gateway (before each call) and for run starts (message runs
/// and scheduled tasks):
/// <list type="number">
/// <item>A group's limits are its own <c>budgets</c> row, else the default row (<c>groups budget --default</c>), else none.</item>
/// <item>A group is over when what its priced calls cost in the period (local day or month, <c>TZ</c>), plus what its
/// calls in flight have reserved, has reached the limit. Calls of models without a price add nothing.</item>
/// <item>Over: the group's chat is told once per period, plainly, with the reset time, when a run of it would start;
/// the main chat is told once per period too (from whichever comes first: a run start or a refused call).</item>
/// </list>
/// The told-once marks live in <c>router_state</c>, so a restart does not repeat a notice.
/// </summary>
/// <param name="outbox">Where notices go; null (tests of the rule alone): notices are logged only and not marked as told.</param>
public sealed partial class Budgets(Database db, TimeZoneInfo zone, TimeProvider time, ILogger<Budgets> log, Outbox? outbox = null)
{
    readonly Lock tellLock = new();

    public TimeZoneInfo Zone => zone;

    /// <summary>The run-start gate: may a new run of <paramref name="group"/> start now?</summary>
    public BudgetDecision Check(RegisteredGroup group, DateTimeOffset now) => Check(group.Folder, now, 0m);

    /// <summary>Whether <paramref name="groupFolder"/> may spend more, counting <paramref name="reservedUsd"/> of calls in flight as spent.</summary>
    public BudgetDecision Check(string groupFolder, DateTimeOffset now, decimal reservedUsd)
    {
        var limits = db.EffectiveBudget(groupFolder);
        if (limits.DailyUsd is { } daily)
        {
            var start = BudgetPeriod.DayStart(now, zone);
            var spent = db.SpentSince(groupFolder, start);
            if (spent + reservedUsd >= daily) return new BudgetDecision.Over(groupFolder, "daily", daily, spent, start, BudgetPeriod.NextDayStart(now, zone));
        }
        if (limits.MonthlyUsd is { } monthly)
        {
            var start = BudgetPeriod.MonthStart(now, zone);
            var spent = db.SpentSince(groupFolder, start);
            if (spent + reservedUsd >= monthly) return new BudgetDecision.Over(groupFolder, "monthly", monthly, spent, start, BudgetPeriod.NextMonthStart(now, zone));
        }
        return BudgetDecision.Allow;
    }

    /// <summary>A run of <paramref name="group"/> did not start: tell its chat (once per period) and main (once per period).</summary>
    public void RunRefused(RegisteredGroup group, BudgetDecision.Over over)
    {
        LogRunRefused(log, group.Folder, over.Reason);
        TellOnce("chat", group.Folder, group.Jid, over, ChatNotice(over));
        if (!group.IsMain) TellMainOnce(group.Folder, over);
    }

    /// <summary>The gateway refused a call of a running run: main is told (once per period); the agent sees the error.</summary>
    public void CallRefused(string groupFolder, bool isMain, string chatJid, BudgetDecision.Over over)
    {
        LogCallRefused(log, groupFolder, over.Reason);
        if (isMain) TellOnce("chat", groupFolder, chatJid, over, ChatNotice(over));
        else TellMainOnce(groupFolder, over);
    }

    /// <summary>What the group's chat reads: what happened, until when, in local time.</summary>
    public string ChatNotice(BudgetDecision.Over over) =>
        $"This chat's {over.Period} budget of ${over.LimitUsd:0.00} is used up (${over.SpentUsd:0.00} spent), so I am not starting anything new here " +
        $"until it resets at {Local(over.ResetsAt)}. Messages sent meanwhile are kept.";

    string MainNotice(BudgetDecision.Over over) =>
        $"Group {over.GroupFolder} is over its {over.Period} budget (${over.SpentUsd:0.00} of ${over.LimitUsd:0.00}); its runs and scheduled tasks " +
        $"wait until {Local(over.ResetsAt)}. To change it: ./nanoclaw groups budget {over.GroupFolder} --{over.Period} USD (or --clear).";

    void TellMainOnce(string groupFolder, BudgetDecision.Over over)
    {
        if (db.RegisteredGroups().FirstOrDefault(g => g.IsMain) is not { } main) return;
        TellOnce("main", groupFolder, main.Jid, over, MainNotice(over));
    }

    void TellOnce(string audience, string groupFolder, string jid, BudgetDecision.Over over, string text)
    {
        var key = $"budget_told_{audience}:{groupFolder}";
        var mark = $"{over.Period}:{Database.Iso(over.PeriodStart)}";
        lock (tellLock)
        {
            if (db.GetState(key) == mark) return;
            if (outbox is not { } target) { LogNoOutbox(log, groupFolder, audience); return; }
            target.Enqueue(jid, text);
            db.SetState(key, mark);
        }
    }

    string Local(DateTimeOffset t) =>
        TimeZoneInfo.ConvertTime(t, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " (" + zone.Id + ")";

    [LoggerMessage(EventId = 700, Level = LogLevel.Warning, Message = "Budget: a run of {Group} did not start: {Reason}")]
    static partial void LogRunRefused(ILogger logger, string group, string reason);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Budget: a Messages API call of {Group} was refused: {Reason}")]
    static partial void LogCallRefused(ILogger logger, string group, string reason);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "Budget notice for {Group} ({Audience}) not sent: there is no outbox here")]
    static partial void LogNoOutbox(ILogger logger, string group, string audience);

    /// <summary>The clock used for checks made without an explicit time.</summary>
    public DateTimeOffset Now => time.GetUtcNow();
}
