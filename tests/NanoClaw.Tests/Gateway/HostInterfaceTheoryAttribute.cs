namespace NanoClaw.Tests.Gateway;

/// <summary>A theory that needs a non-loopback address of this machine (<see cref="HostInterfaceAddress"/>); skipped, with the reason, without one.</summary>
public sealed class HostInterfaceTheoryAttribute : TheoryAttribute
{
    public HostInterfaceTheoryAttribute()
    {
        if (HostInterfaceAddress.Find() is null) Skip = HostInterfaceAddress.NoneReason;
    }
}
