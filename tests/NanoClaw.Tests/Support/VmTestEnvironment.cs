using NanoClaw.Vm;
using NanoClaw.Vm.Image;

namespace NanoClaw.Tests.Support;

/// <summary>
/// Builds (or reuses) the real VM image once for all VM tests. It lives in the same cache as
/// `nanoclaw setup` ($NANOCLAW_CACHE, else ~/.cache/nanoclaw), so after the first run it is instant.
/// </summary>
public sealed class VmTestEnvironment : IAsyncLifetime
{
    public string RepoRoot { get; } = FindRepoRoot();
    public string Home { get; } = Directory.CreateTempSubdirectory("nanoclaw-vm-").FullName;
    public Config Config { get; private set; } = null!;
    public VmArtifacts Artifacts { get; private set; } = null!;
    public List<string> Progress { get; } = [];

    public string VmsDir => Path.Combine(Home, "vms");

    public async Task InitializeAsync()
    {
        var cache = Environment.GetEnvironmentVariable("NANOCLAW_CACHE")
            ?? Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/root", ".cache", "nanoclaw");
        Config = new Config { Home = Home, CacheDir = cache };
        var progress = new Progress<string>(line => { lock (Progress) Progress.Add(line); });
        Artifacts = await new VmImage(Config, RepoRoot).EnsureAsync(progress, CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Home, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>A spec with a fresh run id whose RunDir does not exist yet.</summary>
    public VmSpec NewSpec(int memoryMb = 512, int cpus = 1)
    {
        var runId = Guid.NewGuid().ToString("N")[..12];
        return new VmSpec(runId, Artifacts, memoryMb, cpus, GatewayPort: 9,
            RunDir: Path.Combine(VmsDir, runId), ConsoleLogPath: Path.Combine(Home, "logs", runId + ".console.log"));
    }

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NanoClaw.slnx"))) return dir.FullName;
        throw new InvalidOperationException("tests must run from inside the NanoClaw checkout (no NanoClaw.slnx above " + AppContext.BaseDirectory + ")");
    }
}

/// <summary>VM tests share one image and run one at a time: parallel TCG guests on 2 cores only make timings noisy.</summary>
[CollectionDefinition(Name)]
public sealed class VmCollection : ICollectionFixture<VmTestEnvironment>
{
    public const string Name = "microvm";
}
