namespace NanoClaw.Vm.Firecracker;

/// <summary>
/// The Firecracker release setup installs: version and SHA-256 of its x86-64 archive, pinned in vm/versions.env,
/// and where to download it (GitHub releases, or <c>NANOCLAW_FIRECRACKER_URL</c> for a mirror).
/// </summary>
public sealed record FirecrackerPin(string Version, string Sha256, string Url)
{
    public const string UrlVariable = "NANOCLAW_FIRECRACKER_URL";

    /// <summary>The binary's path inside the release archive.</summary>
    public string ArchiveMember => $"release-{Version}-x86_64/firecracker-{Version}-x86_64";

    public static string ReleaseUrl(string version) =>
        $"https://github.com/firecracker-microvm/firecracker/releases/download/{version}/firecracker-{version}-x86_64.tgz";

    /// <summary>Reads the pin from <c>vm/versions.env</c> under <paramref name="repoRoot"/>; <paramref name="urlOverride"/>
    /// replaces the download URL (same archive, same checksum).</summary>
    public static FirecrackerPin Read(string repoRoot, string? urlOverride)
    {
        var file = Path.Combine(repoRoot, "vm", "versions.env");
        var values = File.ReadLines(file)
            .Select(line => line.Split('=', 2))
            .Where(kv => kv.Length == 2 && kv[0].StartsWith("FIRECRACKER_", StringComparison.Ordinal))
            .ToDictionary(kv => kv[0], kv => kv[1].Trim());
        var version = values.GetValueOrDefault("FIRECRACKER_VERSION") ?? throw new InvalidDataException($"{file} has no FIRECRACKER_VERSION");
        var sha = values.GetValueOrDefault("FIRECRACKER_SHA256") ?? throw new InvalidDataException($"{file} has no FIRECRACKER_SHA256");
        if (sha.Length != 64 || !sha.All(char.IsAsciiHexDigitLower))
            throw new InvalidDataException($"{file}: FIRECRACKER_SHA256 must be 64 lowercase hex digits");
        return new FirecrackerPin(version, sha, string.IsNullOrWhiteSpace(urlOverride) ? ReleaseUrl(version) : urlOverride);
    }
}
