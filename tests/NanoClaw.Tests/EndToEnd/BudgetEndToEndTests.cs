using System.Globalization;
using NanoClaw.Storage;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>
/// A daily budget crossed by a real run, as a user lives it: <c>./nanoclaw groups budget main --daily 0.01</c>, then a
/// real <c>./nanoclaw chat</c> whose run (a QEMU microVM with the real Claude Code, against the fake Messages API) is
/// reported as costing more than that. The next message gets the plain over-budget notice with its reset time, and no
/// VM starts for it; a later message is not told again. And a run whose first call crosses the budget gets a 402 from
/// the gateway for its next call, which Claude Code ends the run with.
/// </summary>
[Collection(VmCollection.Name)]
public sealed class BudgetEndToEndTests(VmTestEnvironment vm) : IAsyncLifetime
{
    const string RealKey = "sk-ant-api03-REAL-SECRET-budget-e2e-0123456789";
    // A zone without daylight saving, so the expected reset time is plain midnight of the next local day.
    const string Zone = "Asia/Tokyo";
    static readonly TimeSpan ChatTimeout = TimeSpan.FromMinutes(4);
    // Enough to cost well over $0.01 at any model's price in the table.
    static readonly FakeUsage Expensive = new(Input: 40_000, Output: 2_000);

    readonly string _home = Directory.CreateTempSubdirectory("nanoclaw-budget-").FullName;
    FakeMessagesApi _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);

    public async Task DisposeAsync()
    {
        await _fake.DisposeAsync();
        if (Environment.GetEnvironmentVariable("KEEP_E2E_HOME") != "1")
            try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    Dictionary<string, string> Env() => new()
    {
        ["NANOCLAW_HOME"] = _home,
        ["ANTHROPIC_API_KEY"] = RealKey,
        ["ANTHROPIC_BASE_URL"] = _fake.BaseUrl.ToString().TrimEnd('/'),
        ["NANOCLAW_CACHE"] = vm.Config.CacheDir,
        ["VM_MEMORY_MB"] = "2048",
        ["WARM_POOL_SIZE"] = "0",
        ["TZ"] = Zone,
        ["LOG_LEVEL"] = Environment.GetEnvironmentVariable("E2E_LOG_LEVEL") ?? "Information",
    };

    Task<NanoclawResult> NanoclawAsync(string input, params string[] args) => NanoclawProcess.RunAsync(vm.RepoRoot, Env(), input, ChatTimeout, args);

    int MainCalls => _fake.Requests.Count(r => r.Path == "/v1/messages" && !r.IsSide);

    [Fact]
    public async Task ARunThatCrossesTheDailyBudgetIsAnsweredAndTheNextMessageGetsThePlainNoticeWithoutAVm()
    {
        // The user's way in: a first (empty) chat registers the terminal as main, then the budget is set with the CLI.
        (await NanoclawAsync("", "chat")).ExitCode.ShouldBe(0);
        var set = await NanoclawAsync("", "groups", "budget", "main", "--daily", "0.01");
        set.ExitCode.ShouldBe(0, set.ToString());
        set.Stdout.ShouldStartWith("main: ", Case.Sensitive, set.ToString());

        // 1. Under budget (nothing spent yet): the run starts and is answered; it reports usage worth more than $0.01.
        _fake.Script(FakeReply.Text("Here is the long answer.") with { Usage = Expensive });
        var first = await NanoclawAsync("@Andy write me something long\n", "chat");

        first.ExitCode.ShouldBe(0, first.ToString());
        first.Stdout.ShouldBe("Andy: Here is the long answer.\n", first.ToString());
        var callsAfterFirst = MainCalls;
        callsAfterFirst.ShouldBe(1, first.ToString());

        var db = Database.Open(Path.Combine(_home, "store", "messages.db"));
        var rows = db.ApiCallsSince(DateTimeOffset.UnixEpoch, "main");
        var row = rows.Single(r => r.Tokens.Input == Expensive.Input);
        row.Tokens.Output.ShouldBe(Expensive.Output);
        (row.Tokens.CacheWrite5m, row.Tokens.CacheWrite1h, row.Tokens.CacheRead).ShouldBe((0L, 0L, 0L));
        row.Partial.ShouldBeFalse();
        row.CostUsd.ShouldNotBeNull($"the model {row.Model} has no price, so the budget cannot be crossed");
        row.CostUsd!.Value.ShouldBeGreaterThan(0.01m);

        // 2. Over budget: the next message gets the notice, word for word, and no run starts for it.
        var notice = Notice(rows.Sum(r => r.CostUsd ?? 0m));

        var second = await NanoclawAsync("@Andy and one more thing\n", "chat");

        second.ExitCode.ShouldBe(0, second.ToString());
        second.Stdout.ShouldBe($"Andy: {notice}\n", second.ToString());
        MainCalls.ShouldBe(callsAfterFirst, "no agent turn may reach the API for a refused message");
        second.Stderr.ShouldNotContain("Starting a run for", Case.Sensitive, second.ToString());
        Directory.GetDirectories(Path.Combine(_home, "data", "vms")).ShouldBeEmpty();

        // 3. Told once per period: a later message is still refused, silently this time.
        var third = await NanoclawAsync("@Andy are you there?\n", "chat");

        third.ExitCode.ShouldBe(0, third.ToString());
        third.Stdout.ShouldBeEmpty(third.ToString());
        MainCalls.ShouldBe(callsAfterFirst);
        third.Stderr.ShouldNotContain("Starting a run for", Case.Sensitive, third.ToString());
    }

    [Fact]
    public async Task ACallAfterTheBudgetIsCrossedMidRunIsRefusedByTheGatewayAndClaudeCodeShowsTheError()
    {
        (await NanoclawAsync("", "chat")).ExitCode.ShouldBe(0);
        (await NanoclawAsync("", "groups", "budget", "main", "--daily", "0.01")).ExitCode.ShouldBe(0);

        // The run's first call (a tool call) costs more than the budget; its second call, after the tool ran, must not
        // reach the API: the gateway answers 402 itself.
        _fake.Script(FakeReply.ToolUse("Bash", new { command = "echo working" }) with { Usage = Expensive });
        _fake.Script("must never be sent");
        var result = await NanoclawAsync("@Andy do some work\n", "chat");

        MainCalls.ShouldBe(1, result.ToString());
        _fake.PendingSteps.ShouldBe(1, result.ToString());
        // Claude Code ends the turn with the gateway's error (the agent gets no further turn to word it); the host
        // reports the run as failed without a reply and keeps its message pending.
        result.Stderr.ShouldContain("API Error: 402 NanoClaw budget: the daily budget of group main is used up", Case.Sensitive, result.ToString());
        result.ExitCode.ShouldBe(1, result.ToString());
        var db = Database.Open(Path.Combine(_home, "store", "messages.db"));
        var rows = db.ApiCallsSince(DateTimeOffset.UnixEpoch, "main");
        rows.ShouldContain(r => r.Tokens.Input == Expensive.Input && r.Tokens.Output == Expensive.Output && r.CostUsd > 0.01m, result.ToString());
        // What the user reads: the plain notice, once (the retry of the pending message is refused at the gate).
        result.Stdout.ShouldBe($"Andy: {Notice(rows.Sum(r => r.CostUsd ?? 0m))}\n", result.ToString());
    }

    /// <summary>The chat's over-budget notice as the product words it, written out here independently.</summary>
    static string Notice(decimal spent)
    {
        var resetsAt = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(Zone)).Date.AddDays(1)
            .ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture,
            $"This chat's daily budget of $0.01 is used up (${spent:0.00} spent), so I am not starting anything new here until it resets at {resetsAt} ({Zone}). Messages sent meanwhile are kept.");
    }
}
