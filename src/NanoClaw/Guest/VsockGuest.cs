using NanoClaw.Vm.Image;

namespace NanoClaw.Guest;

/// <summary>
/// Whether the VM image's guest can serve its control channel over vsock, which Firecracker needs (it has no
/// virtio-serial): the initramfs must load <see cref="InitrdModules.Vsock"/>. Read from the built image, because a
/// cached image may be older than the checkout.
/// </summary>
public sealed record VsockGuest(bool Ready, string Reason)
{
    public static VsockGuest Of(VmArtifacts? artifacts)
    {
        if (artifacts is null) return new(false, "the VM image is not built yet (`sudo ./nanoclaw setup`)");
        var (missing, error) = InitrdModules.MissingVsock(artifacts.Initrd);
        if (error is not null) return new(false, error);
        return missing!.Count == 0
            ? new(true, "the image's guest listens on vsock")
            : new(false, $"the VM image's initramfs lacks {string.Join(", ", missing)} (rebuild it: `sudo ./nanoclaw setup`)");
    }
}
