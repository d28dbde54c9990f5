using System.Diagnostics;
using NanoClaw.Vm.Firecracker;

namespace NanoClaw.Vm.Qemu;

/// <summary>
/// QEMU in a cgroup of its own (<see cref="VmCgroup"/>, as Firecracker is), where the host offers cgroup v2: the
/// group's pids.max bounds QEMU's threads (QEMU forks nothing per guest connection: <see cref="GatewayStreams"/>);
/// memory.max bounds guest RAM plus QEMU's own.
/// QEMU joins the group before its first instruction: <c>sh</c> writes its own pid into <c>cgroup.procs</c>, then
/// execs QEMU, keeping the pid.
/// </summary>
internal static class QemuCgroup
{
    /// <summary>Room for QEMU's threads (main, RCU, one per vCPU, up to 64 block I/O workers) and some 150
    /// concurrent forwarders, far more than Claude Code opens; a guest can exhaust only its own VM's share.</summary>
    public const int PidsMax = 256;

    /// <summary>QEMU's own memory on top of guest RAM: devices and slirp under KVM; under TCG also the translation
    /// cache, which QEMU sizes up to 1 GiB.</summary>
    public static int MemoryOverheadMb(bool kvm) => kvm ? 256 : 1280;

    public static IReadOnlyList<(string File, string Value)> Limits(IReadOnlyCollection<string> available, bool hasSwapMax, int memoryMb, int cpus, bool kvm) =>
        VmCgroup.Limits(available, hasSwapMax, memoryMb, cpus, PidsMax, MemoryOverheadMb(kvm));

    public static VmCgroup Create(string runId, int memoryMb, int cpus, bool kvm) =>
        VmCgroup.Create(runId, memoryMb, cpus, PidsMax, MemoryOverheadMb(kvm));

    /// <summary>The launch inside the group: <c>/bin/sh -c 'echo $$ &gt;"$0" || exit 125; exec /usr/bin/env -i PATH="$PATH" "$@"' procs qemu args...</c>
    /// ($0 and the arguments are data, never parsed as shell text; <c>env -i</c> drops the PWD the shell exports, so
    /// QEMU still gets PATH only).</summary>
    public const string Script = "echo $$ >\"$0\" || exit 125; exec /usr/bin/env -i PATH=\"$PATH\" \"$@\"";

    public static ProcessStartInfo StartInfo(string procsFile, IReadOnlyList<string> qemuArguments)
    {
        var psi = new ProcessStartInfo("/bin/sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Script);
        psi.ArgumentList.Add(procsFile);
        psi.ArgumentList.Add(QemuCommandLine.Binary);
        foreach (var a in qemuArguments) psi.ArgumentList.Add(a);
        return psi;
    }
}
