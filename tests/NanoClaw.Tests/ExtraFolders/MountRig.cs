using NanoClaw.ExtraFolders;

namespace NanoClaw.Tests.ExtraFolders;

/// <summary>
/// A real temp tree for mount rules: <c>home/u</c> (the user's home), <c>nanoclaw</c> (NanoClaw's home),
/// <c>etc/mount-allowlist.json</c>, plus whatever folders, files and symlinks a test makes. Deleted on dispose.
/// </summary>
sealed class MountRig : IDisposable
{
    public MountRig()
    {
        // Resolved, so expectations compare with realpath output even if the temp folder sits behind a symlink.
        Root = RealPath.Resolve(Directory.CreateTempSubdirectory("nanoclaw-mounts-").FullName)!;
        Home = Dir("home/u");
        Config = new Config
        {
            Home = Dir("nanoclaw"),
            CacheDir = Path.Combine(Root, "cache"),
            UserHome = Home,
            MountAllowlistPathOverride = Path.Combine(Dir("etc"), "mount-allowlist.json"),
        };
    }

    public string Root { get; }
    public string Home { get; }
    public Config Config { get; }
    public string AllowlistPath => Config.MountAllowlistPath;
    public IReadOnlyList<string> Protected => MountValidator.ProtectedPaths(Config, AllowlistPath);

    public string Dir(string relative) => Directory.CreateDirectory(Path.Combine(Root, relative)).FullName;

    public string File(string relative, string content = "x")
    {
        var full = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllText(full, content);
        return full;
    }

    public string Link(string relative, string target)
    {
        var full = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        System.IO.File.CreateSymbolicLink(full, target);
        return full;
    }

    public string Path_(string relative) => Path.Combine(Root, relative);

    public AllowlistLoad WriteAllowlist(string json)
    {
        System.IO.File.WriteAllText(AllowlistPath, json);
        return MountAllowlistFile.Load(AllowlistPath, Home);
    }

    public static MountAllowlist Allowlist(bool nonMainReadOnly, params AllowedRoot[] roots) =>
        new(roots, MountAllowlist.DefaultBlockedPatterns, nonMainReadOnly);

    public static MountAllowlist Allowlist(params AllowedRoot[] roots) => Allowlist(true, roots);

    public MountCheck Check(AdditionalMount request, MountAllowlist allowlist, bool isMain = true) =>
        MountValidator.Check(request, allowlist, isMain, Protected);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
