namespace NanoClaw.ExtraFolders;

/// <summary>
/// The parsed <c>mount-allowlist.json</c>: which host folders may become a group's extra folders.
/// It lives outside NanoClaw's home and is never put into a VM, so no agent can edit the rules that bind it.
/// <see cref="BlockedPatterns"/> always includes <see cref="DefaultBlockedPatterns"/>.
/// </summary>
public sealed record MountAllowlist(IReadOnlyList<AllowedRoot> AllowedRoots, IReadOnlyList<string> BlockedPatterns, bool NonMainReadOnly)
{
    /// <summary>Names that hold credentials, and <c>.git/</c> (a repository's config holds remote tokens, and its hooks and
    /// <c>core.fsmonitor</c> run on the host). Blocked whatever the file says; the file can only add to them. <c>.git/</c>
    /// has a '/' so it matches a <c>.git</c> (or <c>x.git</c>) component but not <c>.gitignore</c> or <c>.github</c>.</summary>
    public static IReadOnlyList<string> DefaultBlockedPatterns { get; } =
    [
        ".ssh", ".gnupg", ".gpg", ".aws", ".azure", ".gcloud", ".kube", ".docker", "credentials", ".env",
        ".netrc", ".npmrc", ".pypirc", "id_rsa", "id_ed25519", "private_key", ".secret", ".git/",
    ];
}
