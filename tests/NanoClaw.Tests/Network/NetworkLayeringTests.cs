namespace NanoClaw.Tests.Network;

/// <summary>TAP networking is below the runs that use it: Network/ hands out leases and wraps VMs, and names nothing of Runs/.</summary>
public class NetworkLayeringTests
{
    [Fact]
    public void NetworkSourcesNameNothingOfRuns()
    {
        var network = Path.Combine(RepoRoot(), "src", "NanoClaw", "Network");
        var offenders = Directory.GetFiles(network, "*.cs", SearchOption.AllDirectories)
            .Where(f => File.ReadAllText(f).Contains("NanoClaw.Runs", StringComparison.Ordinal))
            .Select(Path.GetFileName);
        offenders.ShouldBeEmpty();
    }

    static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NanoClaw.slnx"))) return dir.FullName;
        throw new InvalidOperationException("tests must run from inside the NanoClaw checkout");
    }
}
