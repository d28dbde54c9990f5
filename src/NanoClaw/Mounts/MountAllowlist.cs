namespace NanoClaw.Mounts;

/// <summary>
/// The parsed <c>mount-allowlist.json</c>: which host folders may become a group's extra folders.
/// It lives outside NanoClaw's home and is never put into a VM, so no agent can edit the rules that bind it.
/// <see cref="BlockedPatterns"/> always includes <see cref="DefaultBlockedPatterns"/>.
/// </summary>
public sealed record MountAllowlist(IReadOnlyList<AllowedRoot> AllowedRoots, IReadOnlyList<string> BlockedPatterns, bool NonMainReadOnly)
{
    /// <summary>Names that hold credentials. Blocked whatever the file says; the file can only add to them.</summary>
    public static IReadOnlyList<string> DefaultBlockedPatterns { get; } =
    [
        ".ssh", ".gnupg", ".gpg", ".aws", ".azure", ".gcloud", ".kube", ".docker", "credentials", ".env",
        ".netrc", ".npmrc", ".pypirc", "id_rsa", "id_ed25519", "private_key", ".secret",
    ];
}
