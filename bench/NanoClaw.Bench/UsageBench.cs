using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Credentials;
using NanoClaw.Storage;
using NanoClaw.Tests.Fakes;
using NanoClaw.Usage;

namespace NanoClaw.Bench;

/// <summary>
/// <c>usage</c>: what the gateway's accounting adds to a streamed Messages API call. One fake Messages API on loopback,
/// two real gateways in front of it in the same process: one with a <see cref="UsageMeter"/> over a real SQLite file
/// (budget check, reservation, SSE observation, one row per call), one without. Calls alternate between the two (and
/// the fake directly, for reference), so load on the machine falls on all alike. Per call: time to the first body byte
/// (the first SSE event) and to the last.
/// </summary>
public sealed class UsageBench(BenchEnvironment env)
{
    public const int CallsPerRun = 40;
    const string Key = "sk-bench";
    static readonly string[] Chunks = [.. Enumerable.Range(0, 20).Select(i => $"chunk {i} of a streamed answer; ")];

    public async Task<IReadOnlyList<Measurement>> RunAsync(int runs, CancellationToken ct)
    {
        List<double> directFirst = [], directLast = [], offFirst = [], offLast = [], onFirst = [], onLast = [];
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: Key);
        var upstream = new UpstreamCredential(UpstreamCredentialKind.AnthropicApiKey, Key, fake.BaseUrl);
        var config = env.NewHome("usage");
        var db = Database.Open(config.DatabasePath);
        db.SetBudget("bench", new BudgetLimits(1_000_000m, null)); // a budget, so every call is checked and reserved
        var budgets = new Budgets(db, TimeZoneInfo.Utc, TimeProvider.System, env.Logs.CreateLogger<Budgets>());
        var meter = new UsageMeter(db, budgets, TimeProvider.System, env.Logs.CreateLogger<UsageMeter>());
        var tokens = new RunTokens();
        var run = new RunIdentity("bench-run", "bench", "bench@s", IsMain: false);
        await using var off = await HostGateway.StartAsync(upstream, tokens, env.Logs, TimeProvider.System, ct);
        await using var on = await HostGateway.StartAsync(upstream, tokens, env.Logs, TimeProvider.System, ct, usage: meter);
        var token = tokens.Issue(run);
        using var http = new HttpClient();

        // Warm-up: connections, JIT, the SQLite file.
        foreach (var target in new[] { fake.BaseUrl, off.BaseUrl, on.BaseUrl })
            await CallAsync(http, fake, target, target == fake.BaseUrl ? Key : token, ct);
        for (var r = 0; r < runs; r++)
            for (var i = 0; i < CallsPerRun; i++)
            {
                var (df, dl) = await CallAsync(http, fake, fake.BaseUrl, Key, ct);
                var (ff, fl) = await CallAsync(http, fake, off.BaseUrl, token, ct);
                var (nf, nl) = await CallAsync(http, fake, on.BaseUrl, token, ct);
                directFirst.Add(df); directLast.Add(dl); offFirst.Add(ff); offLast.Add(fl); onFirst.Add(nf); onLast.Add(nl);
            }
        var stored = db.ApiCallsSince(DateTimeOffset.MinValue).Count;
        if (stored != runs * CallsPerRun + 1) throw new InvalidOperationException($"expected {runs * CallsPerRun + 1} api_calls rows, found {stored}");
        return
        [
            new("usage", "streamed call, fake API directly: first byte", "ms", directFirst),
            new("usage", "streamed call through the gateway, accounting off: first byte", "ms", offFirst),
            new("usage", "streamed call through the gateway, accounting on: first byte", "ms", onFirst),
            new("usage", "streamed call, fake API directly: last byte", "ms", directLast),
            new("usage", "streamed call through the gateway, accounting off: last byte", "ms", offLast),
            new("usage", "streamed call through the gateway, accounting on: last byte", "ms", onLast),
        ];
    }

    static async Task<(double First, double Last)> CallAsync(HttpClient http, FakeMessagesApi fake, Uri target, string key, CancellationToken ct)
    {
        fake.Script(FakeReply.Text(Chunks) with { Usage = new FakeUsage(1200, 300, 5000, 20000, 60000) });
        var body = new JsonObject
        {
            ["model"] = "claude-sonnet-4-5",
            ["max_tokens"] = 4096,
            ["stream"] = true,
            ["messages"] = new JsonArray { new JsonObject { ["role"] = "user", ["content"] = "hi" } },
            ["tools"] = new JsonArray { new JsonObject { ["name"] = "Bash", ["input_schema"] = new JsonObject { ["type"] = "object" } } },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(target, "/v1/messages"))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", key);
        request.Headers.Add("anthropic-version", "2023-06-01");
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[16 * 1024];
        double first = -1;
        int read;
        while ((read = await stream.ReadAsync(buffer, ct)) > 0)
            if (first < 0) first = clock.Elapsed.TotalMilliseconds;
        return (first, clock.Elapsed.TotalMilliseconds);
    }
}
