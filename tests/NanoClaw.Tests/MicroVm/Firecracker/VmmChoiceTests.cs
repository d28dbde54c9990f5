using NanoClaw.MicroVm;

namespace NanoClaw.Tests.MicroVm.Firecracker;

/// <summary>Every row of the backend decision table.</summary>
public sealed class VmmChoiceTests
{
    static readonly KvmStatus Kvm = new(true, "KVM: usable");
    static readonly KvmStatus NoKvm = new(false, "KVM: no vmx/svm");
    const string Fc = "/usr/local/bin/firecracker";

    [Theory]
    [InlineData("auto", true, true, VmmBackend.Qemu, "its guest side is not built yet")]
    [InlineData("auto", true, false, VmmBackend.Qemu, "Firecracker needs working KVM (KVM: no vmx/svm)")]
    [InlineData("auto", false, true, VmmBackend.Qemu, "no `firecracker` binary on PATH")]
    [InlineData("auto", false, false, VmmBackend.Qemu, "qemu-microvm (tcg)")]
    [InlineData("", true, true, VmmBackend.Qemu, "auto: not firecracker")]
    [InlineData(" Firecracker ", true, true, VmmBackend.Firecracker, "NANOCLAW_VMM=firecracker")]
    [InlineData("qemu", true, true, VmmBackend.Qemu, "qemu-microvm (kvm)")]
    [InlineData("qemu", false, false, VmmBackend.Qemu, "qemu-microvm (tcg)")]
    public void ChoosesABackend(string configured, bool found, bool kvm, VmmBackend expected, string reasonPart)
    {
        var decision = VmmChoice.Decide(configured, found ? Fc : null, kvm ? Kvm : NoKvm);

        decision.Backend.ShouldBe(expected);
        decision.Reason.ShouldContain(reasonPart);
    }

    [Theory]
    [InlineData(false, true, "no `firecracker` binary on PATH:")]
    [InlineData(true, false, "Firecracker needs working KVM (KVM: no vmx/svm)")]
    [InlineData(false, false, "no `firecracker` binary on PATH and KVM does not work (KVM: no vmx/svm)")]
    public void ForcedFirecrackerThatCannotRunIsRefusedNamingWhatIsMissing(bool found, bool kvm, string missing)
    {
        var decision = VmmChoice.Decide("firecracker", found ? Fc : null, kvm ? Kvm : NoKvm);

        decision.Backend.ShouldBeNull();
        decision.Reason.ShouldContain(missing);
        decision.Reason.ShouldContain("NANOCLAW_VMM=auto");
    }

    [Fact]
    public void AnUnknownValueIsRefused()
    {
        var decision = VmmChoice.Decide("kvmtool", Fc, Kvm);

        decision.Backend.ShouldBeNull();
        decision.Reason.ShouldBe("NANOCLAW_VMM=kvmtool is not one of auto, firecracker, qemu");
    }
}
