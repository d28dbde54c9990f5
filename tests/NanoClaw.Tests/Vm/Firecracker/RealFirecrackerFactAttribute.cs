using NanoClaw.Vm;

namespace NanoClaw.Tests.Vm.Firecracker;

/// <summary>
/// A test that needs the real firecracker binary on PATH and working KVM. Elsewhere it is
/// reported as skipped, with the reason computed here at discovery time.
/// </summary>
public sealed class RealFirecrackerFactAttribute : FactAttribute
{
    public RealFirecrackerFactAttribute()
    {
        if (SkipReason() is { } reason) Skip = reason;
    }

    public static string? BinaryPath => VmmChoice.FindOnPath(VmmChoice.Binary);

    static string? SkipReason()
    {
        if (BinaryPath is null) return "no `firecracker` binary on PATH (the real-Firecracker tests run only on hosts with it and working KVM)";
        // No image is needed for these tests: the probe's steps 1 and 2 (/dev/kvm opens, vmx/svm present).
        var config = new Config { Home = Path.GetTempPath(), CacheDir = Path.GetTempPath() };
        var kvm = new KvmProbe(config).ProbeAsync(null, CancellationToken.None).GetAwaiter().GetResult();
        return kvm.Usable ? null : "Firecracker needs working KVM: " + kvm.Reason;
    }
}
