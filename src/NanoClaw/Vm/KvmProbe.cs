using System.Diagnostics;
using System.Globalization;
using NanoClaw.Vm.Image;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Vm;

/// <summary>
/// Decides whether QEMU may use KVM. "/dev/kvm exists" is not enough: under nested paravirtual
/// KVM (kvm_pvm) /dev/kvm opens, yet a stock kernel crawls and then dies with a KVM internal
/// error. So KVM counts as usable only if all three hold:
/// 1. /dev/kvm opens read-write;
/// 2. the CPU advertises vmx or svm in /proc/cpuinfo;
/// 3. the guest kernel boots under KVM to its "no root filesystem" panic within a bound
///    (a test boot, run only when 1 and 2 hold; its result is cached per host boot and kernel).
/// </summary>
public sealed class KvmProbe(Config config)
{
    static readonly TimeSpan BootProbeBound = TimeSpan.FromSeconds(20);
    const string TcgConsequence = ": using QEMU TCG software emulation, expect ~10x slower runs";

    string CacheFile => Path.Combine(config.CacheDir, "vm", "kvm-probe.txt");

    /// <summary>
    /// Probes the host. Without <paramref name="artifacts"/> (no image built yet) step 3 is skipped
    /// and the answer is provisional.
    /// </summary>
    public async Task<KvmStatus> ProbeAsync(VmArtifacts? artifacts, CancellationToken ct)
    {
        // 1.
        if (!File.Exists("/dev/kvm"))
            return Tcg("KVM: /dev/kvm does not exist (no hardware virtualization, or the kvm module is not loaded)");
        try
        {
            using var kvm = new FileStream("/dev/kvm", FileMode.Open, FileAccess.ReadWrite);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return Tcg($"KVM: /dev/kvm exists but cannot be opened ({e.Message}; add this user to the kvm group)");
        }
        // 2.
        if (!CpuHasVirtualization(await File.ReadAllTextAsync("/proc/cpuinfo", ct)))
            return Tcg("KVM: /dev/kvm exists but the CPU exposes no vmx/svm (nested paravirtual KVM)");
        if (artifacts is null)
            return new KvmStatus(true, "KVM: /dev/kvm opens and the CPU has vmx/svm (not test-booted yet: run `nanoclaw setup`)");

        // 3.
        var key = $"{BootId()} {artifacts.Kernel}";
        if (ReadCached(key) is { } cached) return cached;
        var (booted, detail) = await BootProbeAsync(artifacts, "kvm", BootProbeBound, ct);
        var status = booted
            ? new KvmStatus(true, $"KVM: usable (vmx/svm present, test boot {detail})")
            : Tcg($"KVM: /dev/kvm and vmx/svm are present but a test boot under KVM failed ({detail})");
        WriteCached(key, status);
        return status;
    }

    static KvmStatus Tcg(string why) => new(false, why + TcgConsequence);

    internal static bool CpuHasVirtualization(string cpuinfo) =>
        cpuinfo.Split('\n')
            .Where(line => line.StartsWith("flags", StringComparison.Ordinal))
            .Any(line => line.Split(' ', '\t').Any(flag => flag is "vmx" or "svm"));

    /// <summary>
    /// Boots the kernel alone (no initramfs, no disk) under <paramref name="accel"/>. A working
    /// accelerator reaches the kernel's "unable to mount root" panic, and panic=-1 with
    /// -no-reboot makes QEMU exit 0. A broken one hangs, crawls past the bound, or errors out.
    /// </summary>
    internal static async Task<(bool Booted, string Detail)> BootProbeAsync(VmArtifacts artifacts, string accel, TimeSpan bound, CancellationToken ct)
    {
        string[] args =
        [
            "-M", "microvm,x-option-roms=off,isa-serial=on,rtc=off", "-accel", accel, "-cpu", accel == "kvm" ? "host" : "max",
            "-m", "256", "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-serial", "stdio", "-kernel", artifacts.Kernel,
            "-append", $"console=ttyS0 reboot=t panic=-1 quiet tsc_early_khz={HostTsc.Khz().ToString(CultureInfo.InvariantCulture)}",
        ];
        var clock = Stopwatch.StartNew();
        var result = await ChildProcess.RunAsync(QemuCommandLine.Binary, args,
            psi => { psi.Environment.Clear(); psi.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin"; },
            onLine: null, bound, ct);
        var panicked = result.Tail.Any(line => line.Contains("Kernel panic", StringComparison.Ordinal));
        if (result.TimedOut) return (false, $"no kernel panic within {bound.TotalSeconds:F0} s");
        if (result.ExitCode != 0 || !panicked) return (false, $"qemu exit {result.ExitCode}: {result.LastError}");
        return (true, $"reached the kernel in {clock.Elapsed.TotalSeconds:F1} s");
    }

    static string BootId()
    {
        try { return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(); }
        catch (IOException) { return "unknown-boot"; }
    }

    /// <summary>Cache format: one line "key\tusable\treason"; a different key (host rebooted, new kernel) means probe again.</summary>
    KvmStatus? ReadCached(string key)
    {
        try
        {
            var parts = File.ReadAllText(CacheFile).TrimEnd('\n').Split('\t');
            return parts.Length == 3 && parts[0] == key ? new KvmStatus(parts[1] == "1", parts[2]) : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
    }

    void WriteCached(string key, KvmStatus status)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CacheFile)!);
        File.WriteAllText(CacheFile, $"{key}\t{(status.Usable ? "1" : "0")}\t{status.Reason}\n");
    }
}
