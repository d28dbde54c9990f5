using System.Diagnostics;
using NanoClaw.Tests.Fakes;

namespace NanoClaw.Bench;

/// <summary>
/// <c>native</c>: the same pinned Claude Code binary run directly on this host (<c>claude -p hello</c>) against the
/// fake Messages API, no VM, no gateway. The floor a microVM run is compared with, measured on the same machine
/// in the same session.
/// </summary>
public static class NativeClaudeBench
{
    const string Key = "sk-ant-bench-native";
    const string Reply = "Hello natively!";

    public static async Task<IReadOnlyList<Measurement>> RunAsync(int runs, CancellationToken ct)
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: Key);
        // Untimed warm-up: the first call locates (and if needed fetches) the binary and reads it into the page cache.
        fake.Script(Reply);
        using (var warm = new ClaudeCli(fake.BaseUrl, Key)) await warm.RunAsync("hello");
        List<double> wall = [];
        for (var i = 0; i < runs; i++)
        {
            ct.ThrowIfCancellationRequested();
            fake.Script(Reply);
            using var cli = new ClaudeCli(fake.BaseUrl, Key);
            var clock = Stopwatch.StartNew();
            var run = await cli.RunAsync("hello");
            clock.Stop();
            if (run.ExitCode != 0 || run.Result != Reply) throw new InvalidOperationException($"native claude -p run {i + 1} failed: {run}");
            wall.Add(clock.Elapsed.TotalMilliseconds);
            Console.Error.WriteLine($"native {i + 1}/{runs}: {wall[^1] / 1000:F2} s");
        }
        return [new("native", "claude -p \"hello\" on the host, no VM (same binary, same fake)", "ms", wall)];
    }
}
