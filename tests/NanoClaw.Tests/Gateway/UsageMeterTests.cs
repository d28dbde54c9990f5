using System.Net;
using System.Text;
using NanoClaw.Gateway;
using NanoClaw.Tests.Fakes;
using NanoClaw.Usage;

namespace NanoClaw.Tests.Gateway;

public class UsageMeterTests
{
    static readonly RunIdentity Family = new("run-42", "family", "456@g.us", IsMain: false, TaskId: "task-7");
    static readonly RunIdentity Main = new("run-1", "main", "main@s", IsMain: true);
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    static readonly FakeUsage Scripted = new(Input: 100, Output: 50, CacheWrite5m: 2000, CacheWrite1h: 3000, CacheRead: 40000);
    // claude-sonnet-4-5: 100 x $3 + 50 x $15 + 2000 x $3.75 + 3000 x $6 + 40000 x $0.30, per million.
    const decimal ScriptedCost = 0.03855m;

    [Fact]
    public async Task AStreamedCallIsStoredWithCacheTokensTheLastRunningTotalsAndItsRunGroupAndTask()
    {
        await using var rig = await UsageRig.StartAsync();
        rig.Fake.Script(FakeReply.Text("a ", "b") with { Usage = Scripted });
        var (status, body) = await rig.CallAsync(rig.Tokens.Issue(Family));

        status.ShouldBe(200);
        body.ShouldContain("event: message_stop");
        var call = (await rig.CallsAsync(1)).ShouldHaveSingleItem();
        // message_start said output 1, message_delta 50: running totals, so 50 (summing would give 51).
        call.Tokens.ShouldBe(new TokenUsage(100, 50, 2000, 3000, 40000));
        call.Model.ShouldBe("claude-sonnet-4-5");
        call.CostUsd.ShouldBe(ScriptedCost);
        (call.RunId, call.GroupFolder, call.TaskId, call.Partial).ShouldBe(("run-42", "family", "task-7", false));
    }

    [Fact]
    public async Task ANonStreamedCallIsReadFromItsJsonBody()
    {
        await using var rig = await UsageRig.StartAsync();
        rig.Fake.Script(FakeReply.Text("whole") with { Usage = Scripted });
        var (status, body) = await rig.CallAsync(rig.Tokens.Issue(Family), stream: false);

        status.ShouldBe(200);
        body.ShouldContain("whole");
        var call = (await rig.CallsAsync(1)).ShouldHaveSingleItem();
        call.Tokens.ShouldBe(new TokenUsage(100, 50, 2000, 3000, 40000));
        call.CostUsd.ShouldBe(ScriptedCost);
        call.Partial.ShouldBeFalse();
    }

    [Fact]
    public async Task AStreamCutMidwayIsStoredAsPartialWithWhatWasSeen()
    {
        await using var rig = await UsageRig.StartAsync();
        // The fake resets the connection before its second delta, once the client has the first (a reset discards
        // unread bytes, so cutting earlier would race with the headers).
        var firstSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Fake.Script(FakeReply.Text("one ", "two ", "three") with { Usage = Scripted, CutAfterDeltas = 1, BeforeDelta = i => i == 1 ? firstSeen.Task : Task.CompletedTask });
        using var request = rig.Request(rig.Tokens.Issue(Family), stream: true);
        using var response = await rig.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var seen = new StringBuilder();
        while (!seen.ToString().Contains("\"text\":\"one \""))
            seen.Append(await reader.ReadLineAsync().WaitAsync(Patience)).Append('\n');
        firstSeen.SetResult();
        try { seen.Append(await reader.ReadToEndAsync().WaitAsync(Patience)); }
        catch (IOException) { } // the gateway cuts the client's connection too
        seen.ToString().ShouldNotContain("message_stop");

        var call = (await rig.CallsAsync(1)).ShouldHaveSingleItem();
        call.Partial.ShouldBeTrue();
        // Only message_start arrived: the input side and its one output token.
        call.Tokens.ShouldBe(new TokenUsage(100, 1, 2000, 3000, 40000));
        call.CostUsd.ShouldNotBeNull();
    }

    [Fact]
    public async Task AModelNotInThePriceTableIsCountedInTokensWithItsCostUnknown()
    {
        await using var rig = await UsageRig.StartAsync();
        rig.Fake.Script(FakeReply.Text("x") with { Usage = Scripted });
        await rig.CallAsync(rig.Tokens.Issue(Family), model: "claude-unreleased-9");

        var call = (await rig.CallsAsync(1)).ShouldHaveSingleItem();
        call.Model.ShouldBe("claude-unreleased-9");
        call.Tokens.Input.ShouldBe(100);
        call.CostUsd.ShouldBeNull();
        rig.Home.Db.SpentSince("family", DateTimeOffset.MinValue).ShouldBe(0m);
    }

    [Fact]
    public async Task TheRelayDoesNotBufferWithAccountingOn()
    {
        await using var rig = await UsageRig.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The fake holds its second delta (and so message_delta and message_stop) until the client has the first event.
        rig.Fake.Script(FakeReply.Text("first ", "second") with { Usage = Scripted, BeforeDelta = i => i == 1 ? release.Task : Task.CompletedTask });
        using var request = rig.Request(rig.Tokens.Issue(Family), stream: true);
        using var response = await rig.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var seen = new StringBuilder();
        while (!seen.ToString().Contains("event: message_start"))
            seen.Append(await reader.ReadLineAsync().WaitAsync(Patience)).Append('\n');
        seen.ToString().ShouldNotContain("second");
        release.SetResult();
        (await reader.ReadToEndAsync().WaitAsync(Patience)).ShouldContain("event: message_stop");
        (await rig.CallsAsync(1)).ShouldHaveSingleItem().Partial.ShouldBeFalse();
    }

    [Fact]
    public async Task AGroupOverItsBudgetIsRefusedWithAnAnthropicShapedErrorAndMainIsToldOnce()
    {
        await using var rig = await UsageRig.StartAsync();
        rig.Home.Register("main@s", "main", isMain: true);
        rig.Home.Register("456@g.us", "family");
        rig.Home.Db.SetBudget("family", new BudgetLimits(0.01m, null));
        rig.Fake.Script(FakeReply.Text("the call that crosses the line") with { Usage = Scripted });
        var token = rig.Tokens.Issue(Family);

        (await rig.CallAsync(token)).Status.ShouldBe(200); // under budget when it started: it finishes
        await rig.CallsAsync(1);
        var (status, body) = await rig.CallAsync(token);
        var (again, _) = await rig.CallAsync(token);

        status.ShouldBe(402);
        again.ShouldBe(402);
        body.ShouldContain("\"type\":\"error\"");
        body.ShouldContain("\"type\":\"billing_error\"");
        body.ShouldContain("daily budget of group family is used up");
        rig.Fake.Requests.Count(r => r.Path == "/v1/messages").ShouldBe(1);
        var notices = rig.Home.Db.DueOutbound(DateTimeOffset.MaxValue);
        notices.ShouldHaveSingleItem().ChatJid.ShouldBe("main@s");
        notices[0].Text.ShouldContain("Group family is over its daily budget");
    }

    [Fact]
    public async Task ACallInFlightReservesItsEstimateSoAConcurrentCallOfTheSameGroupIsRefused()
    {
        await using var rig = await UsageRig.StartAsync();
        rig.Home.Db.SetBudget("family", new BudgetLimits(0.10m, null));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        rig.Fake.Script(FakeReply.Text("held ", "open") with { Usage = new FakeUsage(10, 10), BeforeDelta = i => i == 1 ? release.Task : Task.CompletedTask });
        // 10,000 max tokens at Sonnet's $15/MTok: $0.15 reserved, more than the whole budget.
        using var first = rig.Request(rig.Tokens.Issue(Family), stream: true, maxTokens: 10_000);
        using var firstResponse = await rig.Http.SendAsync(first, HttpCompletionOption.ResponseHeadersRead);
        firstResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        rig.Meter.Reserved("family").ShouldBeGreaterThan(0.10m);

        var (status, body) = await rig.CallAsync(rig.Tokens.Issue(Family with { RunId = "run-43" }), maxTokens: 10_000);
        status.ShouldBe(402);
        body.ShouldContain("budget");

        release.SetResult();
        await firstResponse.Content.ReadAsStringAsync().WaitAsync(Patience);
        await rig.CallsAsync(1);
        await Support.Eventually.True(() => rig.Meter.Reserved("family") == 0m, "the reservation released");
        rig.Home.Db.SpentSince("family", DateTimeOffset.MinValue).ShouldBe(0.00018m); // 10 x $3 + 10 x $15, per million
    }

    [Fact]
    public async Task ConcurrentRunsAtTheEdgeOfABudgetOvershootItByLessThanOneCall()
    {
        await using var rig = await UsageRig.StartAsync();
        const decimal limit = 0.01m;
        rig.Home.Db.SetBudget("family", new BudgetLimits(limit, null));
        var usage = new FakeUsage(100, 50); // $0.00105 a call; each reserves more (max_tokens 100 at $15/MTok alone is $0.0015)
        for (var i = 0; i < 40; i++) rig.Fake.Script(FakeReply.Text("ok") with { Usage = usage });

        async Task<int> RunUntilRefusedAsync(int run)
        {
            var token = rig.Tokens.Issue(Family with { RunId = $"run-{run}" });
            for (var calls = 0; ; calls++)
                if ((await rig.CallAsync(token)).Status != 200) return calls;
        }
        var made = await Task.WhenAll(Enumerable.Range(0, 4).Select(RunUntilRefusedAsync));

        var calls = await rig.CallsAsync(made.Sum());
        calls.Count.ShouldBe(made.Sum());
        // A call's row is written after its answer reached the client, then its reservation is released: read the spend
        // only once every call has finished, or the last one's row may not be there yet.
        await Support.Eventually.True(() => rig.Meter.Reserved("family") == 0m, "every call finished");
        var spent = rig.Home.Db.SpentSince("family", DateTimeOffset.MinValue);
        spent.ShouldBeGreaterThanOrEqualTo(limit);
        spent.ShouldBeLessThan(limit + 0.00105m);
    }

    [Fact]
    public async Task TokenCountingAndModelListingPassUnmeteredAndOtherGroupsAreNotHeldByOne()
    {
        await using var rig = await UsageRig.StartAsync();
        rig.Home.Db.SetBudget("family", new BudgetLimits(0m, null));
        rig.Fake.Script(FakeReply.Text("main is fine") with { Usage = Scripted });
        using var count = new HttpRequestMessage(HttpMethod.Post, new Uri(rig.Gateway.BaseUrl, "/v1/messages/count_tokens"))
        {
            Content = new StringContent("{\"model\":\"claude-sonnet-4-5\",\"messages\":[]}", Encoding.UTF8, "application/json"),
        };
        count.Headers.Add("x-api-key", rig.Tokens.Issue(Family));
        (await rig.Http.SendAsync(count)).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await rig.CallAsync(rig.Tokens.Issue(Family))).Status.ShouldBe(402);
        (await rig.CallAsync(rig.Tokens.Issue(Main))).Status.ShouldBe(200);
        (await rig.CallsAsync(1)).ShouldHaveSingleItem().GroupFolder.ShouldBe("main");
    }
}
