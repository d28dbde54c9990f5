using Microsoft.Extensions.Time.Testing;
using NanoClaw.Scheduling;
using NanoClaw.Storage;
using NanoClaw.Tests.Support;
using NanoClaw.Usage;

namespace NanoClaw.Tests.Usage;

/// <summary>The run-start gate on a running host: over-budget groups do not start runs, are told once, and tasks are skipped.</summary>
public class BudgetGateTests
{
    static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-06-01T06:00:00Z");
    static readonly TokenUsage Some = new(1000, 1000, 0, 0, 0);

    [Fact]
    public async Task AnOverBudgetGroupsMessageStartsNoRunItsChatIsToldOnceWithTheResetTimeAndMainOnce()
    {
        using var home = new TestHome(env => env["TZ"] = "Europe/Berlin");
        home.Register("main@s", "main", isMain: true);
        home.Register("family@g.us", "family", requiresTrigger: false);
        home.Db.SetBudget("family", new BudgetLimits(0.05m, null));
        home.Db.InsertApiCall(new ApiCall("r0", "family", null, "claude-sonnet-4-5", Some, 0.06m, Start.AddHours(-1), false));
        var clock = new FakeTimeProvider(Start);
        var channel = new RecordingChannel();
        var runner = ScriptedRunner.Replying(_ => "should not run");
        await using var host = new AssistantHost(home.Config, home.Db, [channel], runner, clock, home.Logs);
        host.Start();

        host.Loop.Deliver(home.Message("family@g.us", "what's for dinner?"));
        await Eventually.True(() => channel.Sent.Count >= 2, "the chat's and main's notices");
        host.Loop.Deliver(home.Message("family@g.us", "hello?"));
        host.Loop.ScanNewMessages();
        host.Queue.BeginDrain();
        await host.Queue.WhenQuietAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await host.Outbox.DeliverDueAsync(CancellationToken.None);

        runner.Requests.ShouldBeEmpty();
        channel.Sent.Count.ShouldBe(2);
        var toChat = channel.Sent.Single(s => s.Jid == "family@g.us").Text;
        // 08:00 in Berlin (UTC+2): the daily reset is the coming local midnight.
        toChat.ShouldBe("Andy: This chat's daily budget of $0.05 is used up ($0.06 spent), so I am not starting anything new here until it resets at 2026-06-02 00:00 (Europe/Berlin). Messages sent meanwhile are kept.");
        channel.Sent.Single(s => s.Jid == "main@s").Text.ShouldContain("Group family is over its daily budget");
    }

    [Fact]
    public async Task TheRunThatCrossesTheBudgetIsAnsweredAndTheNoticeIsLeftForTheNextMessage()
    {
        using var home = new TestHome(env => env["TZ"] = "Europe/Berlin");
        home.Register("family@g.us", "family", requiresTrigger: false);
        home.Db.SetBudget("family", new BudgetLimits(0.05m, null));
        var clock = new FakeTimeProvider(Start);
        var channel = new RecordingChannel();
        // The run itself spends past the limit, as the gateway records it while the run is going on.
        var runner = ScriptedRunner.Replying(_ =>
        {
            home.Db.InsertApiCall(new ApiCall("r1", "family", null, "claude-sonnet-4-5", Some, 0.06m, clock.GetUtcNow(), false));
            return "dinner is pasta";
        });
        await using var host = new AssistantHost(home.Config, home.Db, [channel], runner, clock, home.Logs);
        host.Start();

        host.Loop.Deliver(home.Message("family@g.us", "what's for dinner?"));
        await Eventually.True(() => channel.Sent.Count >= 1, "the answer");
        // Whatever asks for a slot now (a scan, the end of the run) finds nothing to run: nothing is refused, nobody told.
        host.Loop.ScanNewMessages();
        await host.Queue.WhenQuietAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await host.Outbox.DeliverDueAsync(CancellationToken.None);
        channel.Sent.Select(s => s.Text).ShouldBe(["Andy: dinner is pasta"]);

        host.Loop.Deliver(home.Message("family@g.us", "and dessert?"));
        await Eventually.True(() => channel.Sent.Count >= 2, "the chat's notice");
        runner.Requests.Count.ShouldBe(1);
        channel.Sent[1].Text.ShouldStartWith("Andy: This chat's daily budget of $0.05 is used up ($0.06 spent)");
    }

    [Fact]
    public async Task AnOverBudgetGroupsScheduledTaskIsSkippedAndLoggedNotRetried()
    {
        using var home = new TestHome(env => env["TZ"] = "Europe/Berlin");
        home.Register("main@s", "main", isMain: true);
        var family = home.Register("family@g.us", "family");
        home.Db.SetBudget(Database.DefaultBudgetKey, new BudgetLimits(null, 1m)); // the default applies to family
        home.Db.InsertApiCall(new ApiCall("r0", "family", null, "claude-sonnet-4-5", Some, 1.5m, Start.AddHours(-1), false));
        var clock = new FakeTimeProvider(Start);
        var channel = new RecordingChannel();
        var runner = ScriptedRunner.Replying(_ => "should not run");
        await using var host = new AssistantHost(home.Config, home.Db, [channel], runner, clock, home.Logs);
        host.Start();
        var task = host.Tasks.Create(new NewTask(family, "the Monday briefing", "interval", "3600000")).ShouldBeOfType<TaskResult.Ok>().Task;

        await Eventually.True(() =>
        {
            if (home.Db.TaskRunLogs(task.Id).Count(r => r.Status == TaskRunStatus.Skipped) >= 2) return true;
            clock.Advance(TimeSpan.FromMinutes(5));
            return false;
        }, "two hourly occurrences skipped");

        runner.Requests.ShouldBeEmpty();
        var logs = home.Db.TaskRunLogs(task.Id);
        logs.ShouldAllBe(r => r.Status == TaskRunStatus.Skipped);
        logs[0].Error.ShouldNotBeNull().ShouldContain("monthly budget of group family is used up");
        home.Db.GetTask(task.Id)!.Status.ShouldBe(NanoClaw.Storage.TaskStatus.Active);
        await host.Outbox.DeliverDueAsync(CancellationToken.None);
        channel.Sent.Count(s => s.Jid == "main@s").ShouldBe(1); // told once, not per occurrence
        channel.Sent.Count(s => s.Jid == "family@g.us").ShouldBe(1);
    }

    [Fact]
    public void PeriodsFollowTheLocalClockAndAGroupWithoutLimitsIsNeverOver()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var now = DateTimeOffset.Parse("2026-03-29T12:00:00Z"); // the day clocks go forward
        BudgetPeriod.DayStart(now, berlin).ShouldBe(DateTimeOffset.Parse("2026-03-29T00:00:00+01:00"));
        BudgetPeriod.NextDayStart(now, berlin).ShouldBe(DateTimeOffset.Parse("2026-03-30T00:00:00+02:00"));
        BudgetPeriod.MonthStart(now, berlin).ShouldBe(DateTimeOffset.Parse("2026-03-01T00:00:00+01:00"));
        BudgetPeriod.NextMonthStart(now, berlin).ShouldBe(DateTimeOffset.Parse("2026-04-01T00:00:00+02:00"));

        using var home = new TestHome();
        var budgets = new Budgets(home.Db, TimeZoneInfo.Utc, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<Budgets>.Instance);
        home.Db.InsertApiCall(new ApiCall("r0", "family", null, "claude-sonnet-4-5", Some, 100m, now, false));
        budgets.Check("family", now, 0m).ShouldBeOfType<BudgetDecision.Allowed>();
        home.Db.SetBudget("family", new BudgetLimits(200m, null));
        budgets.Check("family", now, 0m).ShouldBeOfType<BudgetDecision.Allowed>();
        budgets.Check("family", now, 100m).ShouldBeOfType<BudgetDecision.Over>().ResetsAt.ShouldBe(DateTimeOffset.Parse("2026-03-30T00:00:00Z"));
    }
}
