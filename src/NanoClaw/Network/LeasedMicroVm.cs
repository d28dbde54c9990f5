using NanoClaw.Vm;

namespace NanoClaw.Network;

/// <summary>A VM that holds a TAP device: the TAP goes back to the pool only after the VM is gone. Next to the lease,
/// so networking does not reach into the runs that use it (<see cref="TapPool.BootOnLeaseAsync"/> wraps each VM).</summary>
sealed class LeasedMicroVm(IMicroVm vm, TapLease lease) : IMicroVm
{
    public string RunId => vm.RunId;
    public Stream Control => vm.Control;
    public Task<VmExit> Exited => vm.Exited;
    public IReadOnlyList<string> ExtraDiskSerials => vm.ExtraDiskSerials;
    public void Freeze() => vm.Freeze();
    public void Thaw() => vm.Thaw();
    public TimeSpan CpuTime => vm.CpuTime;

    public async ValueTask DisposeAsync()
    {
        try { await vm.DisposeAsync(); }
        finally { lease.Dispose(); }
    }
}
