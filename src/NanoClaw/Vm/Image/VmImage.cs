namespace NanoClaw.Vm.Image;

/// <summary>
/// The VM image cache under <c>$NANOCLAW_CACHE/vm/</c>: builds what is missing with the
/// <c>vm/</c> scripts and finds what is already there.
/// <code>
/// vm/base-&lt;BaseHash&gt;/      vmlinuz, rootfs.ext4, modules/, busybox   (minutes, needs network)
/// vm/initrd-&lt;InitrdHash&gt;/  initrd.img                                (seconds, offline)
/// </code>
/// Invariant: a folder with its final name is complete. Each half is built in a
/// <c>.tmp-*</c> folder and renamed only when its script succeeds; leftovers of a crash are
/// deleted by the next build, under the cache lock.
/// </summary>
public sealed class VmImage(Config config, string repoRoot)
{
    public string VmCacheDir => Path.Combine(config.CacheDir, "vm");

    /// <summary>The artifacts for the checkout's current recipe if they are built, else null. Never builds.</summary>
    public VmArtifacts? TryGetCached() => Find(VmRecipe.Compute(repoRoot));

    /// <summary>
    /// Returns the artifacts for the current recipe, building the missing halves first.
    /// Instant when cached. Progress lines are the scripts' output.
    /// </summary>
    public async Task<VmArtifacts> EnsureAsync(IProgress<string> progress, CancellationToken ct)
    {
        var recipe = VmRecipe.Compute(repoRoot);
        if (Find(recipe) is { } cached) return await WithVmlinuxAsync(cached, progress, ct);

        var baseDir = BaseDir(recipe);
        if (!Environment.IsPrivilegedProcess)
            throw new VmImageException(Directory.Exists(baseDir)
                ? "building the initramfs needs root (it creates /dev/console): run `sudo ./nanoclaw setup`"
                : "debootstrap needs root: run `sudo ./nanoclaw setup`");

        Directory.CreateDirectory(VmCacheDir);
        await using var cacheLock = await AcquireLockAsync(progress, ct);
        // Another setup may have built it while we waited for the lock.
        if (Find(recipe) is { } built) return await WithVmlinuxAsync(built, progress, ct);
        RemoveUnfinished();

        if (!Directory.Exists(baseDir))
        {
            progress.Report($"building the VM base image {Path.GetFileName(baseDir)} (kernel, rootfs; a few minutes)");
            await BuildAsync("build-base.sh", baseDir, [config.CacheDir], progress, ct);
        }
        var initrdDir = InitrdDir(recipe);
        if (!Directory.Exists(initrdDir))
        {
            progress.Report($"building the initramfs {Path.GetFileName(initrdDir)}");
            await BuildAsync("build-initrd.sh", initrdDir, [baseDir], progress, ct);
        }
        return await WithVmlinuxAsync(Find(recipe)
            ?? throw new VmImageException($"the build scripts succeeded but {VmCacheDir} lacks vmlinuz, rootfs.ext4 or initrd.img: check the scripts in vm/"), progress, ct);
    }

    /// <summary>
    /// Adds the uncompressed vmlinux (for Firecracker) next to vmlinuz, extracting it once.
    /// Derived from vmlinuz, so outside the recipe hash. Only Firecracker needs it and QEMU
    /// runs without it, so a failure is reported, not thrown: the Firecracker backend then
    /// refuses to boot with its own message.
    /// </summary>
    static async Task<VmArtifacts> WithVmlinuxAsync(VmArtifacts artifacts, IProgress<string> progress, CancellationToken ct)
    {
        if (artifacts.Vmlinux is not null) return artifacts;
        var vmlinux = Path.Combine(Path.GetDirectoryName(artifacts.Kernel)!, "vmlinux");
        try
        {
            await VmlinuxExtractor.ExtractAsync(artifacts.Kernel, vmlinux, ct);
            return artifacts with { Vmlinux = vmlinux };
        }
        catch (Exception e) when (e is VmImageException or UnauthorizedAccessException or IOException)
        {
            progress.Report($"no uncompressed vmlinux for Firecracker ({e.Message}); QEMU does not need it");
            return artifacts;
        }
    }

    string BaseDir(VmRecipe recipe) => Path.Combine(VmCacheDir, "base-" + recipe.BaseHash);
    string InitrdDir(VmRecipe recipe) => Path.Combine(VmCacheDir, "initrd-" + recipe.InitrdHash);

    VmArtifacts? Find(VmRecipe recipe)
    {
        var artifacts = new VmArtifacts(
            Kernel: Path.Combine(BaseDir(recipe), "vmlinuz"),
            Initrd: Path.Combine(InitrdDir(recipe), "initrd.img"),
            Rootfs: Path.Combine(BaseDir(recipe), "rootfs.ext4"),
            RecipeHash: recipe.InitrdHash,
            // Optional: only the Firecracker backend needs it (see WithVmlinuxAsync).
            Vmlinux: File.Exists(Path.Combine(BaseDir(recipe), "vmlinux")) ? Path.Combine(BaseDir(recipe), "vmlinux") : null);
        return File.Exists(artifacts.Kernel) && File.Exists(artifacts.Initrd) && File.Exists(artifacts.Rootfs) ? artifacts : null;
    }

    /// <summary>Runs one recipe script into a temp folder and renames it to <paramref name="finalDir"/> on success.</summary>
    async Task BuildAsync(string script, string finalDir, string[] extraArgs, IProgress<string> progress, CancellationToken ct)
    {
        var temp = Path.Combine(VmCacheDir, $".tmp-{Path.GetFileName(finalDir)}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(temp);
        try
        {
            var scriptPath = Path.Combine(repoRoot, "vm", script);
            var result = await ChildProcess.RunAsync("bash", [scriptPath, temp, .. extraArgs],
                ChildProcess.ScrubEnvironment, progress.Report, timeout: null, ct);
            if (result.ExitCode != 0)
                throw new VmImageException($"vm/{script} failed (exit {result.ExitCode}): {result.LastError}");
            Directory.Move(temp, finalDir);
        }
        finally
        {
            if (Directory.Exists(temp)) await RemoveTreeAsync(temp);
        }
    }

    /// <summary>Deletes half-built folders of crashed or cancelled builds. Only call under the cache lock.</summary>
    void RemoveUnfinished()
    {
        foreach (var dir in Directory.EnumerateDirectories(VmCacheDir, ".tmp-*"))
            RemoveTreeAsync(dir).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Removes a build folder. debootstrap mounts /proc and /sys inside its target; if it was
    /// killed, those mounts are still there, and a recursive delete would walk into the host's /proc.
    /// </summary>
    static async Task RemoveTreeAsync(string dir)
    {
        var prefix = Path.GetFullPath(dir).TrimEnd('/') + "/";
        var mounts = File.ReadAllLines("/proc/self/mounts")
            .Select(line => line.Split(' ')[1].Replace("\\040", " "))
            .Where(mountPoint => mountPoint.StartsWith(prefix, StringComparison.Ordinal))
            .OrderByDescending(mountPoint => mountPoint.Length);
        foreach (var mountPoint in mounts)
        {
            var result = await ChildProcess.RunAsync("umount", ["--lazy", mountPoint], null, null, TimeSpan.FromSeconds(30), CancellationToken.None);
            if (result.ExitCode != 0)
                throw new VmImageException($"cannot unmount {mountPoint} ({result.LastError}): unmount it by hand, then delete {dir}");
        }
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>One build at a time per cache: an exclusive lock on <c>vm/.lock</c> (flock, released if we crash).</summary>
    async Task<FileStream> AcquireLockAsync(IProgress<string> progress, CancellationToken ct)
    {
        var path = Path.Combine(VmCacheDir, ".lock");
        var told = false;
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException)
            {
                if (!told) progress.Report($"waiting for another setup that is building into {VmCacheDir}");
                told = true;
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }
}
