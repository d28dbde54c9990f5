using NanoClaw.Guest;

namespace NanoClaw.Vm;

/// <summary>A raw disk image for the VM (an extra folder's <see cref="FolderImage"/>). Read-only disks are attached so the
/// VMM refuses every write. A <paramref name="Writable"/> disk takes writes into a throwaway per-VM layer, never into the
/// image itself: the image is a cached snapshot shared by later runs, and what goes back to the host folder is only what
/// the guest reports as changed, after the host has validated it.</summary>
public sealed record VmDisk(string ImagePath, bool Writable = false)
{
    /// <summary>The virtio-blk serial of extra disk <paramref name="index"/>: how the guest tells the disks apart, since
    /// the order of <c>/dev/vdX</c> names on virtio-mmio is not the order on the command line.</summary>
    public static string Serial(int index) => ExtraFolder.DiskSerial(index);
}
