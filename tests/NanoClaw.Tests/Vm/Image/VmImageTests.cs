using System.Diagnostics;
using NanoClaw.Tests.Support;
using NanoClaw.Vm.Image;

namespace NanoClaw.Tests.Vm.Image;

[Collection(VmCollection.Name)]
public sealed class VmImageTests(VmTestEnvironment env)
{
    [Fact]
    public async Task EnsureBuildsTheImageOnceAndThenReturnsTheCachedOneInstantly()
    {
        // The fixture already ran EnsureAsync (building or reusing); a second call must not build.
        var image = new VmImage(env.Config, env.RepoRoot);
        var progress = new List<string>();
        var clock = Stopwatch.StartNew();

        var again = await image.EnsureAsync(new Progress<string>(progress.Add), CancellationToken.None);

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(2));
        progress.ShouldBeEmpty();
        again.ShouldBe(env.Artifacts);
        image.TryGetCached().ShouldBe(env.Artifacts);
        new FileInfo(again.Kernel).Length.ShouldBeGreaterThan(1_000_000);
        new FileInfo(again.Rootfs).Length.ShouldBeGreaterThan(100_000_000);
        new FileInfo(again.Initrd).Length.ShouldBeGreaterThan(100_000);
        Directory.EnumerateDirectories(image.VmCacheDir, ".tmp-*").ShouldBeEmpty();
    }

    [Fact]
    public void NothingIsCachedForACacheThatWasNeverBuilt()
    {
        var config = env.Config with { CacheDir = Path.Combine(env.Home, "empty-cache") };
        new VmImage(config, env.RepoRoot).TryGetCached().ShouldBeNull();
    }
}
