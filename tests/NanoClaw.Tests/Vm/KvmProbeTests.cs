using NanoClaw.Tests.Support;
using NanoClaw.Vm;
using Xunit.Abstractions;

namespace NanoClaw.Tests.Vm;

[Collection(VmCollection.Name)]
public sealed class KvmProbeTests(VmTestEnvironment env, ITestOutputHelper output)
{
    [Fact]
    public void VirtualizationFlagsAreRequired()
    {
        KvmProbe.CpuHasVirtualization("flags\t\t: fpu vme svm lm\n").ShouldBeTrue();
        KvmProbe.CpuHasVirtualization("flags\t\t: fpu vme hypervisor lm\nvmx flags\t: ept\n").ShouldBeFalse();
    }

    [Fact]
    public async Task TheProbeGivesADecisionAndAReasonForDoctor()
    {
        var status = await new KvmProbe(env.Config).ProbeAsync(env.Artifacts, CancellationToken.None);

        output.WriteLine(status.Reason);
        status.Reason.ShouldStartWith("KVM: ");
        if (!status.Usable) status.Reason.ShouldContain("TCG");
    }

    [Fact]
    public async Task TheTestBootReachesTheKernelUnderTcg()
    {
        // The same probe boot KVM gets, run under TCG so it is exercised on hosts without KVM.
        var (booted, detail) = await KvmProbe.BootProbeAsync(env.Artifacts, "tcg", TimeSpan.FromSeconds(60), CancellationToken.None);
        booted.ShouldBeTrue(detail);
    }
}
