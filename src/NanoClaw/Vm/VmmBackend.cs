namespace NanoClaw.Vm;

/// <summary>The VMMs NanoClaw can run agent VMs on.</summary>
public enum VmmBackend
{
    Qemu,
    Firecracker,
}
