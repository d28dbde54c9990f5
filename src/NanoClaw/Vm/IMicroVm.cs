namespace NanoClaw.Vm;

/// <summary>
/// A running VM. Disposing it ends it on every path: kills the VM if it has not exited
/// (bounded, fails loudly rather than hangs) and deletes its run folder.
/// </summary>
public interface IMicroVm : IAsyncDisposable
{
    string RunId { get; }

    /// <summary>
    /// The guest agent's byte stream (a virtio-serial port in the guest). The guest's first
    /// line is <c>{"type":"ready"}</c>. Reads end when the VM is gone.
    /// </summary>
    Stream Control { get; }

    /// <summary>Completes when the VM has exited (the guest powered off, crashed, or was killed). Never faults.</summary>
    Task<VmExit> Exited { get; }

    /// <summary>The virtio-blk id the guest reads for each of <see cref="VmSpec.ExtraDisks"/>, in order: how the guest
    /// tells the disks apart, since <c>/dev/vdX</c> names follow probe order.</summary>
    IReadOnlyList<string> ExtraDiskSerials { get; }

    /// <summary>Stops the whole VM where it is (every vCPU and device thread: it uses no CPU), until <see cref="Thaw"/>. For a VM
    /// that only waits (<see cref="WaitingVm"/>: a warm VM before its claim, a prepared run before its message). The guest's clock does not count the frozen time (measured
    /// under TCG): the next <c>message</c> frame carries the host's clock, which the guest sets.</summary>
    void Freeze();

    /// <summary>Lets a frozen VM run on; harmless on a VM that is not frozen or has exited.</summary>
    void Thaw();

    /// <summary>CPU the VMM process has used so far (all its threads: the guest's vCPUs and its devices).</summary>
    TimeSpan CpuTime { get; }
}
