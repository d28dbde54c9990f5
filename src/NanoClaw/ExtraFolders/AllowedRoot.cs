namespace NanoClaw.ExtraFolders;

/// <summary>
/// One folder of the mount allowlist under which groups may be given extra folders.
/// <see cref="Path"/> is absolute and lexically normalized (<c>~</c> already expanded); symlinks in it are
/// resolved at every check, not here, so a root that moves is followed when checked.
/// </summary>
public sealed record AllowedRoot(string Path, bool AllowReadWrite, string? Description);
