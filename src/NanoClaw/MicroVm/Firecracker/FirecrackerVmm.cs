using Microsoft.Extensions.Logging;

namespace NanoClaw.MicroVm.Firecracker;

/// <summary>
/// The Firecracker backend: the production VMM on hosts where KVM really works (it has no
/// software fallback). Chosen by <see cref="VmmChoice.Decide"/>.
/// </summary>
public sealed class FirecrackerVmm(FirecrackerOptions options, ILogger<FirecrackerVmm> logger) : IVmm
{
    public string Name => "firecracker (kvm)";

    public async Task<IMicroVm> BootAsync(VmSpec spec, CancellationToken ct) =>
        await FirecrackerMicroVm.StartAsync(spec, options, logger, ct);
}
