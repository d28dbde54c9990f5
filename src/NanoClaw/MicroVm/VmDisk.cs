namespace NanoClaw.MicroVm;

/// <summary>A raw disk image the VM gets read-only (an extra folder's <see cref="FolderImage"/>).</summary>
public sealed record VmDisk(string ImagePath)
{
    /// <summary>The virtio-blk serial of extra disk <paramref name="index"/>: how the guest tells the disks apart, since
    /// the order of <c>/dev/vdX</c> names on virtio-mmio is not the order on the command line.</summary>
    public static string Serial(int index) => ExtraFolder.DiskSerial(index);
}
