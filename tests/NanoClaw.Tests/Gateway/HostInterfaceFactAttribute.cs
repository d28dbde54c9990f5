namespace NanoClaw.Tests.Gateway;

/// <summary>A test that needs a non-loopback address of this machine (<see cref="HostInterfaceAddress"/>); skipped, with the reason, without one.</summary>
public sealed class HostInterfaceFactAttribute : FactAttribute
{
    public HostInterfaceFactAttribute()
    {
        if (HostInterfaceAddress.Find() is null) Skip = HostInterfaceAddress.NoneReason;
    }
}
