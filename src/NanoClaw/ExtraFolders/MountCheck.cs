namespace NanoClaw.ExtraFolders;

/// <summary>The verdict on one requested extra folder.</summary>
public abstract record MountCheck
{
    private MountCheck() { }

    public sealed record Approved(ApprovedMount Mount) : MountCheck;

    public sealed record Refused(string Reason) : MountCheck;
}
