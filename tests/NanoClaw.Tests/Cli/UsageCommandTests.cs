using NanoClaw.Cli;
using NanoClaw.Storage;
using NanoClaw.Tests.Support;
using NanoClaw.Usage;

namespace NanoClaw.Tests.Cli;

public class UsageCommandTests
{
    static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-06-10T12:00:00Z");

    [Fact]
    public void TheUsageTableShowsRowsTotalsTopTasksAndSaysWhatIsUnknown()
    {
        using var home = new TestHome();
        home.Register("family@g.us", "family");
        var tokens = new TokenUsage(1000, 500, 200, 0, 3000);
        home.Db.InsertApiCall(new ApiCall("r1", "family", "task-a", "claude-sonnet-4-5", tokens, 0.5m, Now.AddDays(-1), false));
        home.Db.InsertApiCall(new ApiCall("r2", "family", null, "claude-unreleased-9", tokens, null, Now.AddDays(-1), true));
        var (output, error) = (new StringWriter(), new StringWriter());

        UsageCommand.Run(home.Db, TimeZoneInfo.Utc, Now, "family", "7d", "task", json: false, output, error).ShouldBe(0);

        var text = output.ToString();
        text.ShouldContain("task-a");
        text.ShouldContain("$0.5000");
        text.ShouldContain("(messages)");
        text.ShouldContain("unknown");
        text.ShouldContain("TOTAL");
        text.ShouldContain("$0.5000 + unknown");
        text.ShouldContain("Top tasks by cost:");
        text.ShouldContain("1 call(s) used a model the price table");
        text.ShouldContain("1 call(s) were cut off mid-answer");
    }

    [Fact]
    public void JsonIsForScriptsAndBadInputIsExplained()
    {
        using var home = new TestHome();
        home.Db.InsertApiCall(new ApiCall("r1", "family", null, "claude-sonnet-4-5", new TokenUsage(1, 1, 0, 0, 0), 0.25m, Now.AddHours(-1), false));
        var (output, error) = (new StringWriter(), new StringWriter());

        UsageCommand.Run(home.Db, TimeZoneInfo.Utc, Now, null, "today", "group", json: true, output, error).ShouldBe(0);
        var json = System.Text.Json.Nodes.JsonNode.Parse(output.ToString())!;
        ((decimal)json["total"]!["cost_usd"]!).ShouldBe(0.25m);
        ((string)json["rows"]![0]!["key"]!).ShouldBe("family");

        UsageCommand.Run(home.Db, TimeZoneInfo.Utc, Now, null, "last week", "day", json: false, output, error).ShouldBe(2);
        error.ToString().ShouldContain("use 7d, 24h, today, month or a date");
    }

    [Fact]
    public void BudgetsAreSetShownClearedAndCheckedForBadInput()
    {
        using var home = new TestHome();
        home.Register("family@g.us", "family");
        var (output, error) = (new StringWriter(), new StringWriter());
        int Budget(string? folder, string? daily = null, string? monthly = null, bool clear = false, bool isDefault = false) =>
            GroupBudgetCommand.Run(home.Db, TimeZoneInfo.Utc, Now, folder, daily, monthly, clear, isDefault, output, error);

        Budget("family", daily: "2.50", monthly: "$40").ShouldBe(0);
        home.Db.GetBudget("family").ShouldBe(new BudgetLimits(2.50m, 40m));
        output.ToString().ShouldContain("family: daily $2.50, monthly $40.00");
        Budget(null, monthly: "100", isDefault: true).ShouldBe(0);
        home.Db.GetBudget(Database.DefaultBudgetKey).ShouldBe(new BudgetLimits(null, 100m));
        Budget("family", clear: true).ShouldBe(0);
        home.Db.EffectiveBudget("family").ShouldBe(new BudgetLimits(null, 100m));

        Budget("family", daily: "two dollars").ShouldBe(2);
        error.ToString().ShouldContain("is not an amount in USD");
        Budget("family", daily: "-1").ShouldBe(2);
        Budget("nobody", daily: "1").ShouldBe(2);
        error.ToString().ShouldContain("No group uses the folder \"nobody\"");
        Budget("family", daily: "1", isDefault: true).ShouldBe(2);
        Budget("family", daily: "1", clear: true).ShouldBe(2);
    }
}
