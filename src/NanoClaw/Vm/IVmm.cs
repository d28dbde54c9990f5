namespace NanoClaw.Vm;

/// <summary>A virtual machine monitor backend (<see cref="QemuVmm"/>, <see cref="NanoClaw.Vm.Firecracker.FirecrackerVmm"/>).</summary>
public interface IVmm
{
    /// <summary>Short name for logs and <c>nanoclaw doctor</c>, e.g. "qemu-microvm (tcg)".</summary>
    string Name { get; }

    /// <summary>
    /// Starts the VM and connects its control channel. Returns once <see cref="IMicroVm.Control"/>
    /// is connected, typically before the guest has finished booting. The caller owns the result
    /// and must dispose it.
    /// </summary>
    Task<IMicroVm> BootAsync(VmSpec spec, CancellationToken ct);
}
