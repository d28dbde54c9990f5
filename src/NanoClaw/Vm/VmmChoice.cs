using NanoClaw.Guest;

namespace NanoClaw.Vm;

/// <summary>
/// Which VMM runs agent VMs, from <c>NANOCLAW_VMM</c> (auto|firecracker|qemu), whether a firecracker binary was
/// found, whether KVM really works (<see cref="KvmProbe"/>), whether the image's guest speaks vsock
/// (<see cref="VsockGuest"/>), and whether VMs get a TAP device (<see cref="TapNetwork"/>).
/// <list type="table">
/// <item>auto: Firecracker when all four hold; otherwise QEMU (KVM when usable, else TCG), and the reason names
/// what Firecracker lacked;</item>
/// <item>firecracker: Firecracker when the first three hold (for work on the guest side; the reason warns when
/// there is no TAP network), else refused with what is missing (it has no software fallback);</item>
/// <item>qemu: QEMU (KVM when usable, else TCG);</item>
/// <item>anything else: refused.</item>
/// </list>
/// </summary>
public static class VmmChoice
{
    public const string Binary = "firecracker";

    public static VmmDecision Decide(string configured, string? firecrackerPath, KvmStatus kvm, VsockGuest guest, TapNetwork network)
    {
        var qemu = $"qemu-microvm ({(kvm.Usable ? "kvm" : "tcg")}): {kvm.Reason}";
        switch (configured.Trim().ToLowerInvariant())
        {
            case "qemu":
                return new(VmmBackend.Qemu, "NANOCLAW_VMM=qemu; " + qemu);
            case "firecracker":
                return Missing(firecrackerPath, kvm, guest) is { } missing
                    ? new(null, $"NANOCLAW_VMM=firecracker but {missing}: install it, or set NANOCLAW_VMM=auto to fall back to QEMU")
                    : new(VmmBackend.Firecracker, $"NANOCLAW_VMM=firecracker; {firecrackerPath}; {kvm.Reason}; {guest.Reason}"
                        + (network.Ready ? "" : $"; WARNING: {network.Reason}, so the guest cannot reach the gateway"));
            case "auto" or "":
                return (Missing(firecrackerPath, kvm, guest), network.Ready) switch
                {
                    ({ } why, true) => new(VmmBackend.Qemu, $"auto: not firecracker ({why}); {qemu}"),
                    ({ } why, false) => new(VmmBackend.Qemu, $"auto: not firecracker ({why}; {network.Reason}); {qemu}"),
                    (null, false) => new(VmmBackend.Qemu, $"auto: not firecracker ({network.Reason}); {qemu}"),
                    (null, true) => new(VmmBackend.Firecracker, $"auto: firecracker ({firecrackerPath}; {kvm.Reason}; {guest.Reason})"),
                };
            default:
                return new(null, $"NANOCLAW_VMM={configured} is not one of auto, firecracker, qemu");
        }
    }

    /// <summary>Everything Firecracker lacks on this host, joined, or null when it can run.</summary>
    static string? Missing(string? firecrackerPath, KvmStatus kvm, VsockGuest guest)
    {
        var missing = new List<string>();
        if (firecrackerPath is null) missing.Add($"no `{Binary}` binary (on PATH or installed by setup)");
        if (!kvm.Usable) missing.Add($"Firecracker needs working KVM ({kvm.Reason})");
        if (!guest.Ready) missing.Add($"the guest side is missing: {guest.Reason}");
        return missing.Count == 0 ? null : string.Join("; ", missing);
    }

    /// <summary>The firecracker to run: the first on PATH, else the one <c>./nanoclaw setup</c> installed; null when neither exists.</summary>
    public static string? FindFirecracker(Config config) =>
        FindOnPath(Binary) ?? (File.Exists(NanoClaw.Vm.Firecracker.FirecrackerInstall.InstalledPath(config)) ? NanoClaw.Vm.Firecracker.FirecrackerInstall.InstalledPath(config) : null);

    /// <summary>The first executable file named <paramref name="binary"/> on PATH, or null.</summary>
    public static string? FindOnPath(string binary) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, binary)).FirstOrDefault(File.Exists);
}
