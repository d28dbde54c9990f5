using NanoClaw.Vm.Image;

namespace NanoClaw.Vm.Firecracker;

/// <summary>
/// The files of one VM as one side sees them. Unjailed, the host and firecracker see the same paths; jailed,
/// firecracker sees them from inside its chroot (<c>/fc.sock</c>, <c>/vmlinux</c>, ...) while the host reaches the
/// same files through the run folder. API requests carry the VMM's view; the host connects to its own.
/// </summary>
/// <param name="ExtraDisks">The extra folders' disk files, in disk order (see <see cref="FirecrackerDisks"/>).</param>
public sealed record FirecrackerPaths(string ApiSocket, string VsockSocket, string Kernel, string Initrd, string Rootfs, IReadOnlyList<string> ExtraDisks)
{
    public const string ApiSocketName = "fc.sock";
    public const string VsockSocketName = "v.sock";

    /// <summary>Everything in place: sockets in <paramref name="dir"/>, image files where they are.</summary>
    public static FirecrackerPaths Direct(string dir, string vmlinux, VmArtifacts artifacts, IReadOnlyList<string> extraDisks) =>
        new(Path.Combine(dir, ApiSocketName), Path.Combine(dir, VsockSocketName), vmlinux, artifacts.Initrd, artifacts.Rootfs, extraDisks);
}
