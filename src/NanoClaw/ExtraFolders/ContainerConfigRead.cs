namespace NanoClaw.ExtraFolders;

/// <summary>The outcome of parsing a group's <c>container_config</c>.</summary>
public abstract record ContainerConfigRead
{
    private ContainerConfigRead() { }

    public sealed record Parsed(IReadOnlyList<AdditionalMount> AdditionalMounts) : ContainerConfigRead;

    public sealed record Invalid(string Reason) : ContainerConfigRead;
}
