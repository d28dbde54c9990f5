namespace NanoClaw.ExtraFolders;

/// <summary>
/// One extra folder a group asks for, as stored in its <c>container_config</c> (<c>additionalMounts[]</c>).
/// A request, not a permission: <see cref="MountValidator"/> decides at every run.
/// <see cref="ContainerPath"/> null means the host folder's own name; <see cref="ReadOnly"/> null means read-only.
/// </summary>
public sealed record AdditionalMount(string HostPath, string? ContainerPath = null, bool? ReadOnly = null)
{
    /// <summary>True only when read-write was asked for explicitly (<c>"readonly": false</c>).</summary>
    public bool WantsReadWrite => ReadOnly == false;
}
