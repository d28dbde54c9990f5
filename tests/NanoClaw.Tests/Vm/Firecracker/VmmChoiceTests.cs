using System.Runtime.Versioning;
using NanoClaw.Guest;
using NanoClaw.Tests.Support;
using NanoClaw.Vm;

namespace NanoClaw.Tests.Vm.Firecracker;

/// <summary>Every row of the backend decision table.</summary>
[SupportedOSPlatform("linux")]
public sealed class VmmChoiceTests
{
    static readonly KvmStatus Kvm = new(true, "KVM: usable");
    static readonly KvmStatus NoKvm = new(false, "KVM: no vmx/svm");
    static readonly VsockGuest Guest = new(true, "the image's guest listens on vsock");
    static readonly VsockGuest NoGuest = new(false, "the VM image's initramfs lacks vsock");
    static readonly TapNetwork Tap = new(true, "TAP pool nctap0-7");
    static readonly TapNetwork NoTap = new(false, "no host TAP networking for VMs yet");
    const string Fc = "/usr/local/bin/firecracker";

    [Theory]
    [InlineData("auto", true, true, true, VmmBackend.Firecracker, "auto: firecracker (/usr/local/bin/firecracker; KVM: usable; the image's guest listens on vsock)")]
    [InlineData("", true, true, true, VmmBackend.Firecracker, "auto: firecracker")]
    [InlineData("auto", true, true, false, VmmBackend.Qemu, "not firecracker (the guest side is missing: the VM image's initramfs lacks vsock); qemu-microvm (kvm)")]
    [InlineData("auto", true, false, true, VmmBackend.Qemu, "not firecracker (Firecracker needs working KVM (KVM: no vmx/svm)); qemu-microvm (tcg)")]
    [InlineData("auto", false, true, true, VmmBackend.Qemu, "not firecracker (no `firecracker` binary (on PATH or installed by setup)); qemu-microvm (kvm)")]
    [InlineData("auto", false, false, false, VmmBackend.Qemu, "no `firecracker` binary (on PATH or installed by setup); Firecracker needs working KVM (KVM: no vmx/svm); the guest side is missing")]
    [InlineData(" Firecracker ", true, true, true, VmmBackend.Firecracker, "NANOCLAW_VMM=firecracker")]
    [InlineData("qemu", true, true, true, VmmBackend.Qemu, "qemu-microvm (kvm)")]
    [InlineData("qemu", false, false, false, VmmBackend.Qemu, "qemu-microvm (tcg)")]
    public void ChoosesABackend(string configured, bool found, bool kvm, bool guest, VmmBackend expected, string reasonPart)
    {
        var decision = VmmChoice.Decide(configured, found ? Fc : null, kvm ? Kvm : NoKvm, guest ? Guest : NoGuest, Tap);

        decision.Backend.ShouldBe(expected);
        decision.Reason.ShouldContain(reasonPart);
    }

    [Theory]
    [InlineData(false, true, true, "no `firecracker` binary (on PATH or installed by setup):")]
    [InlineData(true, false, true, "Firecracker needs working KVM (KVM: no vmx/svm)")]
    [InlineData(true, true, false, "the guest side is missing: the VM image's initramfs lacks vsock")]
    [InlineData(false, false, true, "no `firecracker` binary (on PATH or installed by setup); Firecracker needs working KVM (KVM: no vmx/svm)")]
    public void ForcedFirecrackerThatCannotRunIsRefusedNamingWhatIsMissing(bool found, bool kvm, bool guest, string missing)
    {
        var decision = VmmChoice.Decide("firecracker", found ? Fc : null, kvm ? Kvm : NoKvm, guest ? Guest : NoGuest, Tap);

        decision.Backend.ShouldBeNull();
        decision.Reason.ShouldContain(missing);
        decision.Reason.ShouldContain("NANOCLAW_VMM=auto");
    }

    [Fact]
    public void WithoutTapNetworkingAutoKeepsQemuEvenWhenEverythingElseIsThere()
    {
        var decision = VmmChoice.Decide("auto", Fc, Kvm, Guest, NoTap);

        decision.Backend.ShouldBe(VmmBackend.Qemu);
        decision.Reason.ShouldBe("auto: not firecracker (no host TAP networking for VMs yet); qemu-microvm (kvm): KVM: usable");
    }

    [Fact]
    public void WithoutTapNetworkingAutoListsItWithTheOtherMissingParts()
    {
        VmmChoice.Decide("auto", null, Kvm, Guest, NoTap).Reason
            .ShouldStartWith("auto: not firecracker (no `firecracker` binary (on PATH or installed by setup); no host TAP networking for VMs yet)");
    }

    [Fact]
    public void ForcedFirecrackerWithoutTapNetworkingRunsButWarns()
    {
        var decision = VmmChoice.Decide("firecracker", Fc, Kvm, Guest, NoTap);

        decision.Backend.ShouldBe(VmmBackend.Firecracker);
        decision.Reason.ShouldEndWith("; WARNING: no host TAP networking for VMs yet, so the guest cannot reach the gateway");
    }

    [Fact]
    public void AnUnknownValueIsRefused()
    {
        var decision = VmmChoice.Decide("kvmtool", Fc, Kvm, Guest, Tap);

        decision.Backend.ShouldBeNull();
        decision.Reason.ShouldBe("NANOCLAW_VMM=kvmtool is not one of auto, firecracker, qemu");
    }

    [Fact]
    public void TheBinarySetupInstalledIsFoundWhenPathHasNone()
    {
        using var temp = new TempDirectory();
        var config = new Config { Home = temp["home"], CacheDir = temp["cache"] };
        var installed = temp.Write("cache/bin/firecracker", "");

        // PATH wins when it has one (this host has none; skip the check where it does).
        if (VmmChoice.FindOnPath(VmmChoice.Binary) is null) VmmChoice.FindFirecracker(config).ShouldBe(installed);
        File.Delete(installed);
        if (VmmChoice.FindOnPath(VmmChoice.Binary) is null) VmmChoice.FindFirecracker(config).ShouldBeNull();
    }
}
