namespace NanoClaw.MicroVm;

/// <summary>
/// Which VMM runs agent VMs, from <c>NANOCLAW_VMM</c> (auto|firecracker|qemu), whether a
/// firecracker binary is on PATH, and whether KVM really works (<see cref="KvmProbe"/>).
/// <list type="table">
/// <item>auto: QEMU (KVM or TCG) for now. NOTE: Firecracker's guest side (the agent on vsock, TAP networking) is not
/// built yet, so picking it automatically would break runs on exactly the hosts where it could start; auto will
/// prefer it once a guest boots under it (docs/firecracker.md);</item>
/// <item>firecracker: Firecracker, or refused with what is missing (it has no software fallback);</item>
/// <item>qemu: QEMU (KVM when usable, else TCG);</item>
/// <item>anything else: refused.</item>
/// </list>
/// </summary>
public static class VmmChoice
{
    public const string Binary = "firecracker";

    public static VmmDecision Decide(string configured, string? firecrackerPath, KvmStatus kvm)
    {
        var qemu = $"qemu-microvm ({(kvm.Usable ? "kvm" : "tcg")}): {kvm.Reason}";
        switch (configured.Trim().ToLowerInvariant())
        {
            case "qemu":
                return new(VmmBackend.Qemu, "NANOCLAW_VMM=qemu; " + qemu);
            case "firecracker":
                return Missing(firecrackerPath, kvm) is { } missing
                    ? new(null, $"NANOCLAW_VMM=firecracker but {missing}: install it, or set NANOCLAW_VMM=auto to fall back to QEMU")
                    : new(VmmBackend.Firecracker, $"NANOCLAW_VMM=firecracker; {firecrackerPath}; {kvm.Reason}");
            case "auto" or "":
                return Missing(firecrackerPath, kvm) is { } why
                    ? new(VmmBackend.Qemu, $"auto: not firecracker ({why}); {qemu}")
                    : new(VmmBackend.Qemu, $"auto: not firecracker (it could start here, but its guest side is not built yet; NANOCLAW_VMM=firecracker forces it); {qemu}");
            default:
                return new(null, $"NANOCLAW_VMM={configured} is not one of auto, firecracker, qemu");
        }
    }

    /// <summary>What Firecracker lacks on this host, or null when it can run.</summary>
    static string? Missing(string? firecrackerPath, KvmStatus kvm) => (firecrackerPath, kvm.Usable) switch
    {
        (null, false) => $"no `{Binary}` binary on PATH and KVM does not work ({kvm.Reason})",
        (null, true) => $"no `{Binary}` binary on PATH",
        (_, false) => $"Firecracker needs working KVM ({kvm.Reason})",
        _ => null,
    };

    /// <summary>The first executable file named <paramref name="binary"/> on PATH, or null.</summary>
    public static string? FindOnPath(string binary) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, binary)).FirstOrDefault(File.Exists);
}
