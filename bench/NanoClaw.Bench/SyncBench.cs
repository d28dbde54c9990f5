using System.Globalization;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Credentials;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Tests.Fakes;
using NanoClaw.Vm.Image;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Bench;

/// <summary>
/// <c>sync</c>: moving the workspace in and the agent's changes out, through whole runs of the production runner
/// (cold boots, so no refill boot competes), with the real Claude Code making the change with its Bash tool.
/// <list type="bullet">
/// <item>sync-in: from the job frame's first byte to the last byte the host wrote (pack the tar, push it through a
/// channel that drains only as fast as the guest extracts); measured by <see cref="ObservedVmm"/>.</item>
/// <item>sync-out: from the run log's <c>output</c> line (the guest sends the turn's output, then scans for changes)
/// to its <c>changes:</c> line (written once the host validated and applied them): the guest's scan, hash and tar,
/// the transfer, and the host's checks and writes.</item>
/// </list>
/// Workspace sizes vary with a fixed small change; change sizes vary on a fixed workspace.
/// </summary>
public sealed class SyncBench(BenchEnvironment env)
{
    const string Key = "sk-ant-bench-key-never-enters-the-vm";
    const int FixedWorkspaceMiB = 10;
    int refusals;

    sealed record Change(string Name, string Command);

    static readonly Change OneSmall = new("1 file x 10 KiB", "head -c 10240 /dev/urandom > /workspace/group/out/f1");
    static readonly Change ManySmall = new("100 files x 10 KiB", "for i in $(seq 100); do head -c 10240 /dev/urandom > /workspace/group/out/f$i; done");
    static readonly Change OneLarge = new("1 file x 10 MiB", "head -c 10485760 /dev/urandom > /workspace/group/out/big");

    public async Task<IReadOnlyList<Measurement>> RunAsync(int runs, CancellationToken ct)
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: Key);
        var tokens = new RunTokens();
        var upstream = new UpstreamCredential(UpstreamCredentialKind.AnthropicApiKey, Key, fake.BaseUrl);
        await using var gateway = await HostGateway.StartAsync(upstream, tokens, env.Logs, TimeProvider.System, ct);
        var config = env.NewHome("sync") with { WarmPoolSize = 0 };
        var vmm = new ObservedVmm(new QemuVmm(env.Kvm, env.Logs.CreateLogger<QemuVmm>()));
        var runner = new MicroVmAgentRunner(config, new VmImage(config, env.RepoRoot), vmm, gateway, tokens, TimeProvider.System,
            env.Logs.CreateLogger<MicroVmAgentRunner>());

        var rows = new List<Measurement>();
        foreach (var mib in new[] { 1, 10, 100 })
        {
            var (inMs, outMs) = await CaseAsync(runner, vmm, fake, config, mib, OneSmall, runs, ct);
            rows.Add(new($"sync-in-{mib}m", $"sync-in, workspace {mib} MiB ({mib} files)", "ms", inMs));
            rows.Add(new($"sync-out-{mib}m", $"sync-out of {OneSmall.Name}, workspace {mib} MiB", "ms", outMs));
        }
        foreach (var change in new[] { ManySmall, OneLarge })
        {
            var (_, outMs) = await CaseAsync(runner, vmm, fake, config, FixedWorkspaceMiB, change, runs, ct);
            rows.Add(new($"sync-out-{FixedWorkspaceMiB}m-{(change == ManySmall ? "many" : "large")}", $"sync-out of {change.Name}, workspace {FixedWorkspaceMiB} MiB", "ms", outMs));
        }
        if (refusals > 0)
            rows.Add(Measurement.Unavailable("sync-refused", "changes archives the host refused during these runs",
                $"{refusals} refusal(s); each run log is printed on stderr"));
        return rows;
    }

    async Task<(List<double> In, List<double> Out)> CaseAsync(MicroVmAgentRunner runner, ObservedVmm vmm, FakeMessagesApi fake, Config config,
        int workspaceMiB, Change change, int runs, CancellationToken ct)
    {
        // A group of its own per case: the workspace is exactly its files (plus the session state of earlier runs).
        var folder = $"sync-{workspaceMiB}m-{Guid.NewGuid().ToString("N")[..6]}";
        GroupFolder.Ensure(config, folder, templatesDir: null);
        var group = new RegisteredGroup($"{folder}@g.us", folder, folder, "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: false, IsMain: false);
        var data = Directory.CreateDirectory(Path.Combine(config.GroupDir(folder), "data")).FullName;
        for (var i = 0; i < workspaceMiB; i++)
            await File.WriteAllBytesAsync(Path.Combine(data, $"blob{i:D3}"), RandomNumberGenerator.GetBytes(1 << 20), ct);

        List<double> syncIn = [], syncOut = [];
        for (var run = 0; run < runs; run++)
        {
            fake.ScriptToolCall("Bash", new { command = "mkdir -p /workspace/group/out && " + change.Command, description = "write files" }, thenReply: "written");
            var followUps = Channel.CreateUnbounded<RunMessage>();
            followUps.Writer.Complete();
            await foreach (var e in runner.RunAsync(new AgentRequest(group, "write the files", SessionId: null), followUps.Reader, ct))
                if (e is AgentEvent.Failed f) throw new InvalidOperationException($"sync run failed: {f.Error} (run logs: {config.GroupDir(folder)}/logs)");

            syncIn.Add((vmm.LastWriteSpan ?? throw new InvalidOperationException("the runner wrote nothing to the VM")).TotalMilliseconds);
            var runLog = Directory.GetFiles(Path.Combine(config.GroupDir(folder), "logs"), "*.log")
                .Where(p => !p.EndsWith(".console.log", StringComparison.Ordinal)).OrderBy(File.GetLastWriteTimeUtc).Last();
            syncOut.Add(OutputToChanges(runLog));
            // A refused archive means some change never arrived: the number would be wrong, so say so loudly.
            foreach (var refused in File.ReadLines(runLog).Where(l => l.Contains("REFUSED", StringComparison.Ordinal)))
            {
                refusals++;
                Console.Error.WriteLine($"sync {workspaceMiB} MiB, {change.Name}, run {run + 1}: {refused}\n--- run log {runLog}:\n{File.ReadAllText(runLog)}---");
            }
            var outDir = Path.Combine(config.GroupDir(folder), "out");
            var synced = Directory.Exists(outDir) ? Directory.GetFiles(outDir).Length : 0;
            if (synced == 0) throw new InvalidOperationException($"the change never reached the host (run log: {runLog})");
            // The next run starts from the same workspace.
            Directory.Delete(outDir, recursive: true);
            Console.Error.WriteLine($"sync {workspaceMiB} MiB, {change.Name}, run {run + 1}/{runs}: in {syncIn[^1]:F0} ms, out {syncOut[^1]:F0} ms ({synced} files back)");
        }
        return (syncIn, syncOut);
    }

    /// <summary>Milliseconds from the run log's first <c>output</c> line to the first <c>changes:</c> line after it.</summary>
    static double OutputToChanges(string runLog)
    {
        DateTimeOffset? output = null;
        foreach (var line in File.ReadLines(runLog))
        {
            var space = line.IndexOf(' ');
            if (space < 0) continue;
            var text = line[(space + 1)..];
            if (output is null && text.StartsWith("output (", StringComparison.Ordinal)) output = Stamp(line[..space]);
            else if (output is { } o && text.StartsWith("changes: ", StringComparison.Ordinal)) return (Stamp(line[..space]) - o).TotalMilliseconds;
        }
        throw new InvalidOperationException($"no output line followed by a changes line in {runLog}");
    }

    static DateTimeOffset Stamp(string s) =>
        DateTimeOffset.ParseExact(s, "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
