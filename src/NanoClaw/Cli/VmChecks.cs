using NanoClaw.Guest;
using NanoClaw.Vm;
using NanoClaw.Vm.Firecracker;
using NanoClaw.Vm.Image;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Cli;

/// <summary>The microVM part of <c>doctor</c>: tools on PATH, KVM, the built image.</summary>
static class VmChecks
{
    public static IEnumerable<DoctorCommand.Check> Run(Config config, string repo)
    {
        yield return Tool("qemu-system-x86_64", "qemu-system-x86", "runs the microVMs");

        var image = new VmImage(config, repo);
        var artifacts = image.TryGetCached();
        yield return artifacts is null
            ? new("VM image", false, $"not built for this checkout's recipe (cache: {image.VmCacheDir})", "Run `sudo ./nanoclaw setup` (a few minutes the first time; `chat` and `run` also build it on first use).")
            : new("VM image", true, $"{Path.GetDirectoryName(artifacts.Rootfs)} (+ initrd {Path.GetFileName(Path.GetDirectoryName(artifacts.Initrd))})");

        var kvm = new KvmProbe(config).ProbeAsync(artifacts, CancellationToken.None).GetAwaiter().GetResult();
        // Not a failure: TCG works everywhere, only slower. Doctor says which backend runs and why.
        var firecracker = VmmChoice.FindFirecracker(config);
        var guest = VsockGuest.Of(artifacts);
        var decision = VmmChoice.Decide(config.Vmm, firecracker, kvm, guest, TapNetwork.For(config));
        yield return decision.Backend is { } backend
            ? new("VMM", true, $"{Describe(backend, kvm)}: {decision.Reason}")
            : new("VMM", false, decision.Reason, "Set NANOCLAW_VMM=auto (or qemu), or install what is missing.");
        // Information only: QEMU serves every host; Firecracker is the faster choice where KVM works.
        foreach (var check in FirecrackerChecks(config, firecracker, guest)) yield return check;
    }

    /// <summary>What Firecracker would need here, each as information (never a failure: QEMU runs without it).</summary>
    static IEnumerable<DoctorCommand.Check> FirecrackerChecks(Config config, string? firecracker, VsockGuest guest)
    {
        yield return firecracker is null
            ? new(VmmChoice.Binary, true, $"not found on PATH or at {FirecrackerInstall.InstalledPath(config)} (the faster backend on hosts where KVM works; `sudo ./nanoclaw setup` installs the pinned release when GitHub is reachable)")
            : new(VmmChoice.Binary, true, firecracker);
        yield return new("firecracker guest", true, guest.Ready ? guest.Reason : $"not ready: {guest.Reason}");
        if (!Environment.IsPrivilegedProcess)
        {
            yield return new("firecracker jail", true, "not running as root: firecracker would run unjailed as this user");
            yield break;
        }
        var user = JailUser.Find();
        var cgroup = VmCgroup.Unavailable();
        yield return new("firecracker jail", true,
            (user is null ? $"user `{JailUser.DefaultName}` missing (`sudo ./nanoclaw setup` creates it; Firecracker refuses to run as root without it)"
                : $"runs as `{user.Name}` (uid {user.Uid}) in a chroot")
            + (cgroup is not null ? $", without a cgroup ({cgroup})"
                : VmCgroup.ControllersMissingOnHost() is { Count: > 0 } missing
                    ? $", in its own cgroup v2 but without {string.Join("/", missing)} limits (this host's cgroup v2 does not offer those controllers)"
                    : ", in its own cgroup v2 with memory, CPU and pids limits"));
    }

    static string Describe(VmmBackend backend, KvmStatus kvm) => backend == VmmBackend.Firecracker
        ? "firecracker"
        : new QemuVmm(kvm, Microsoft.Extensions.Logging.Abstractions.NullLogger<QemuVmm>.Instance).Name;

    static DoctorCommand.Check Tool(string binary, string package, string why) =>
        FindOnPath(binary) is { } path
            ? new(binary, true, path)
            : new(binary, false, $"not found ({why})", $"apt-get install {package}   (or run `sudo ./nanoclaw setup`, which installs it)");

    public static string? FindOnPath(string binary) => VmmChoice.FindOnPath(binary);
}
