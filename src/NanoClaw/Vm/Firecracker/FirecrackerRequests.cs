namespace NanoClaw.Vm.Firecracker;

// The request bodies of Firecracker's pre-boot API, one record per resource, named after the
// schema objects of its OpenAPI description (firecracker.yaml). Serialized snake_case by
// FirecrackerClient; optional fields are nullable and left out when null.

/// <summary><c>PUT /boot-source</c>. The kernel must be an uncompressed ELF vmlinux on x86-64.</summary>
public sealed record BootSource(string KernelImagePath, string? BootArgs = null, string? InitrdPath = null);

/// <summary><c>PUT /drives/{drive_id}</c>: a virtio-blk device backed by a host file.</summary>
public sealed record Drive(string DriveId, string PathOnHost, bool IsRootDevice, bool IsReadOnly);

/// <summary><c>PUT /machine-config</c>. Firecracker accepts 1 to 32 vCPUs.</summary>
public sealed record MachineConfiguration(int VcpuCount, int MemSizeMib, bool? Smt = null);

/// <summary><c>PUT /network-interfaces/{iface_id}</c>: a virtio-net device on a host TAP device.</summary>
public sealed record NetworkInterface(string IfaceId, string HostDevName, string? GuestMac = null);

/// <summary>
/// <c>PUT /vsock</c>. <paramref name="GuestCid"/> must be at least 3. The host reaches a guest
/// port by connecting to <paramref name="UdsPath"/> and writing <c>CONNECT &lt;port&gt;\n</c>.
/// </summary>
public sealed record Vsock(int GuestCid, string UdsPath);

/// <summary><c>PUT /actions</c>.</summary>
public sealed record InstanceActionInfo(InstanceActionType ActionType);

/// <summary>The actions Firecracker accepts on x86-64; serialized by name.</summary>
public enum InstanceActionType
{
    InstanceStart,
    SendCtrlAltDel,
    FlushMetrics,
}
