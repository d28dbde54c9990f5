namespace NanoClaw.ExtraFolders;

/// <summary>The outcome of reading the allowlist file. Anything but <see cref="Loaded"/> means no extra folders at all.</summary>
public abstract record AllowlistLoad
{
    private AllowlistLoad() { }

    public sealed record Loaded(string Source, MountAllowlist Allowlist) : AllowlistLoad;

    /// <summary>Missing, unreadable or malformed; <see cref="Reason"/> says which, and what to do.</summary>
    public sealed record Unavailable(string Source, string Reason) : AllowlistLoad;
}
