using System.Security.Cryptography;
using System.Text;
using NanoClaw.Guest;

namespace NanoClaw.Vm.Image;

/// <summary>
/// The cache keys of the VM image, the one place they are computed. Two halves, so that a
/// guest-agent change rebuilds only the initramfs (seconds), never the rootfs (minutes):
/// <list type="bullet">
/// <item><see cref="BaseHash"/>: kernel, busybox and rootfs; from the base recipe and <c>vm/versions.env</c>.</item>
/// <item><see cref="InitrdHash"/>: the initramfs; from the base hash, the initramfs recipe, the
/// guest init scripts and the guest agent's sources. It therefore identifies the whole image.</item>
/// </list>
/// </summary>
public sealed record VmRecipe(string BaseHash, string InitrdHash)
{
    static readonly string[] BaseInputs = ["vm/build-base.sh", "vm/lib.sh", "vm/versions.env", "vm/fetch-claude-code.sh"];

    static readonly string[] InitrdInputs =
    [
        "vm/build-initrd.sh", "vm/lib.sh", "vm/guest", "src/NanoClaw.Guest",
        "src/NanoClaw/Guest/GuestProtocol.cs", "src/NanoClaw/Guest/VsockAddress.cs", "Directory.Build.props", "Directory.Packages.props",
        // Every other host file the guest project links (NanoClaw.Guest.csproj): a change to one is a new guest binary.
        "src/NanoClaw/Guest/GuestProtocolException.cs", "src/NanoClaw/Guest/GuestFrameReader.cs", "src/NanoClaw/Guest/GuestFrameWriter.cs",
        "src/NanoClaw/Guest/LinuxStat.cs", "src/NanoClaw/Guest/GatewayMux.cs", "src/NanoClaw/Guest/GatewayMuxStream.cs",
        "src/NanoClaw/Guest/GatewayMuxFrameType.cs",
    ];

    /// <summary>Hashes the recipe files under <paramref name="repoRoot"/>. Missing optional inputs hash as absent.</summary>
    public static VmRecipe Compute(string repoRoot)
    {
        if (!File.Exists(Path.Combine(repoRoot, "vm", "build-base.sh")))
            throw new DirectoryNotFoundException($"{repoRoot} has no vm/build-base.sh: pass the root of the NanoClaw checkout.");
        var baseHash = Hash(repoRoot, BaseInputs, seed: "base");
        return new VmRecipe(baseHash, Hash(repoRoot, InitrdInputs, seed: "initrd " + baseHash));
    }

    static string Hash(string repoRoot, string[] inputs, string seed)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(seed + "\n"));
        foreach (var file in inputs.SelectMany(input => Expand(repoRoot, input)).Distinct().Order(StringComparer.Ordinal))
        {
            // Path and content both count: renaming a script changes the recipe too.
            sha.AppendData(Encoding.UTF8.GetBytes(file + "\0"));
            sha.AppendData(SHA256.HashData(Content(repoRoot, file)));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
    }

    /// <summary>
    /// A file's bytes as the image sees them. vm/versions.env also pins host tools (<c>FIRECRACKER_*</c>, installed
    /// by setup, never put in the image); those lines are left out so that a new Firecracker release does not
    /// rebuild every image.
    /// </summary>
    static byte[] Content(string repoRoot, string file)
    {
        var bytes = File.ReadAllBytes(Path.Combine(repoRoot, file));
        if (file != "vm/versions.env") return bytes;
        var lines = Encoding.UTF8.GetString(bytes).Split('\n');
        var firstHostLine = Array.FindIndex(lines, l => l.StartsWith("# Firecracker, installed on the host", StringComparison.Ordinal));
        var kept = lines.Where((line, i) => !line.StartsWith("FIRECRACKER_", StringComparison.Ordinal)
            && !(firstHostLine >= 0 && i >= firstHostLine && line.StartsWith('#')));
        return Encoding.UTF8.GetBytes(string.Join('\n', kept));
    }

    /// <summary>Repo-relative, '/'-separated paths of the files an input names; build output folders excluded.</summary>
    static IEnumerable<string> Expand(string repoRoot, string input)
    {
        var full = Path.Combine(repoRoot, input);
        if (File.Exists(full)) return [input];
        if (!Directory.Exists(full)) return [];
        return Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(repoRoot, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(part => part is "bin" or "obj"));
    }
}
