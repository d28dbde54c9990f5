using System.Diagnostics;
using NanoClaw.ExtraFolders;

namespace NanoClaw.Bench;

/// <summary>
/// <c>folder</c>: what an extra folder costs before a run. One folder of <see cref="Files"/> x 1 MiB of random bytes
/// (1 GiB, written once); per run, a fresh cache:
/// 1. build: <see cref="FolderImage.EnsureAsync"/> with an empty cache (walk, stage as hard links, mkfs.ext4 -d);
/// 2. reuse: the same call again (walk and manifest hash only).
/// </summary>
public static class FolderBench
{
    public const int Files = 1_000;
    const int FileBytes = 1 << 20;

    public static async Task<IReadOnlyList<Measurement>> RunAsync(int runs, CancellationToken ct)
    {
        var root = Directory.CreateTempSubdirectory("nanoclaw-bench-folder-").FullName;
        try
        {
            var folder = Directory.CreateDirectory(Path.Combine(root, "vault")).FullName;
            var buffer = new byte[FileBytes];
            for (var i = 0; i < Files; i++)
            {
                Random.Shared.NextBytes(buffer);
                await File.WriteAllBytesAsync(Path.Combine(folder, $"{i / 100:D2}-{i:D4}.bin"), buffer, ct);
            }
            List<double> build = [], reuse = [];
            for (var run = 0; run < runs; run++)
            {
                var cache = Directory.CreateDirectory(Path.Combine(root, $"cache-{run}")).FullName;
                var clock = Stopwatch.StartNew();
                var first = await FolderImage.EnsureAsync(cache, folder, "vault", MountAllowlist.DefaultBlockedPatterns, ct);
                build.Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                var second = await FolderImage.EnsureAsync(cache, folder, "vault", MountAllowlist.DefaultBlockedPatterns, ct);
                reuse.Add(clock.Elapsed.TotalMilliseconds);
                if (first.Reused || !second.Reused) throw new InvalidOperationException("the folder bench expected a build, then a reuse");
                Directory.Delete(cache, recursive: true);
            }
            return
            [
                new Measurement("folder-build", $"extra folder image, first run: {Files} x 1 MiB", "ms", build),
                new Measurement("folder-reuse", $"extra folder image, unchanged: {Files} x 1 MiB", "ms", reuse),
            ];
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
