using Microsoft.Extensions.Logging;
using NanoClaw.Vm;
using NanoClaw.Vm.Image;

namespace NanoClaw.Bench;

/// <summary>
/// What every benchmark shares: the checkout, a temp NANOCLAW_HOME (deleted on dispose), the VM image from the
/// user's cache (built once if missing, as <c>nanoclaw setup</c> would) and the KVM decision, made exactly as
/// the host makes it.
/// </summary>
public sealed class BenchEnvironment : IAsyncDisposable
{
    BenchEnvironment(string repoRoot, Config config, VmArtifacts artifacts, KvmStatus kvm, ILoggerFactory logs) =>
        (RepoRoot, Config, Artifacts, Kvm, Logs) = (repoRoot, config, artifacts, kvm, logs);

    public string RepoRoot { get; }
    public Config Config { get; }
    public VmArtifacts Artifacts { get; }
    public KvmStatus Kvm { get; }
    public ILoggerFactory Logs { get; }

    public static async Task<BenchEnvironment> StartAsync(ILoggerFactory logs, CancellationToken ct)
    {
        var repo = FindRepoRoot();
        var home = Directory.CreateTempSubdirectory("nanoclaw-bench-").FullName;
        var cache = Environment.GetEnvironmentVariable("NANOCLAW_CACHE") is { Length: > 0 } c
            ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "nanoclaw");
        // The product's defaults (2 GiB, 2 vCPUs): the benchmark measures what a user gets.
        var config = new Config { Home = home, CacheDir = cache };
        try
        {
            var artifacts = await new VmImage(config, repo).EnsureAsync(new Progress<string>(line => Console.Error.WriteLine("image: " + line)), ct);
            var kvm = await new KvmProbe(config).ProbeAsync(artifacts, ct);
            return new BenchEnvironment(repo, config, artifacts, kvm, logs);
        }
        catch
        {
            Directory.Delete(home, recursive: true);
            throw;
        }
    }

    /// <summary>A fresh home for one benchmark, inside the bench's temp folder.</summary>
    public Config NewHome(string name)
    {
        var home = Directory.CreateDirectory(Path.Combine(Config.Home, name + "-" + Guid.NewGuid().ToString("N")[..6])).FullName;
        return Config with { Home = home };
    }

    /// <summary>Deletes the bench's homes, unless NANOCLAW_BENCH_KEEP=1: then their run logs and console logs stay, for an
    /// outlier's story (the folder is printed).</summary>
    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Environment.GetEnvironmentVariable("NANOCLAW_BENCH_KEEP") == "1")
        {
            Console.Error.WriteLine($"kept the benchmark homes (run logs under */groups/*/logs): {Config.Home}");
            return ValueTask.CompletedTask;
        }
        try { Directory.Delete(Config.Home, recursive: true); }
        catch (IOException e) { Console.Error.WriteLine($"could not delete {Config.Home}: {e.Message}"); }
        return ValueTask.CompletedTask;
    }

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NanoClaw.slnx"))) return dir.FullName;
        throw new InvalidOperationException("run the benchmarks from inside the NanoClaw checkout (no NanoClaw.slnx above " + AppContext.BaseDirectory + ")");
    }
}
