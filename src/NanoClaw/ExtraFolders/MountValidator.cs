using System.Text.RegularExpressions;
using NanoClaw.Storage;

namespace NanoClaw.ExtraFolders;

/// <summary>
/// Decides which extra host folders a group's VM gets. Called when a mount is added and again before every
/// run (the allowlist, the disk and symlinks may all have changed since). Rules, in order, for one request:
/// <list type="number">
/// <item>containerPath (default: the host folder's name) is one plain name: no <c>/</c>, no <c>..</c>, not empty.</item>
/// <item>hostPath is absolute and exists; it is resolved with realpath (every symlink, every component).</item>
/// <item>The resolved path is a directory, not a file.</item>
/// <item>No component of the requested or the resolved path contains a blocked pattern (defaults always included).</item>
/// <item>Neither path is inside, or contains, NanoClaw's home (database, every group's files, .env) or the allowlist's folder.</item>
/// <item>The resolved path is an allowed root (its resolved path) or inside one.</item>
/// <item>Read-write only when asked for (<c>readonly: false</c>), the root allows it, and the group is main or
/// <c>nonMainReadOnly</c> is false; otherwise it is downgraded to read-only and <see cref="ApprovedMount.Note"/> says why.</item>
/// </list>
/// Across a group's requests: two mounts may not share a container name or a resolved host folder (the later one is refused).
/// </summary>
public static partial class MountValidator
{
    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._ -]{0,63}$")]
    private static partial Regex ValidName();

    /// <summary>
    /// The whole decision for one run: the group's <c>container_config</c> checked against the allowlist.
    /// An unusable allowlist or config refuses every request, with the reason.
    /// </summary>
    public static MountPlan Plan(Config config, AllowlistLoad allowlist, RegisteredGroup group) =>
        ContainerConfig.Parse(group.ContainerConfigJson) switch
        {
            ContainerConfigRead.Parsed p => Plan(config, allowlist, p.AdditionalMounts, group.IsMain),
            ContainerConfigRead.Invalid i => new MountPlan([],
                [new MountRefusal(new AdditionalMount(""), $"group {group.Folder}: {i.Reason} Fix it with `nanoclaw groups mount` (remove, add again).")],
                (allowlist as AllowlistLoad.Unavailable)?.Reason),
            _ => throw new InvalidOperationException("unreachable"),
        };

    /// <summary>The same decision for a list of requests (the CLI checks a new one together with the existing ones).
    /// Refusals and approvals carry the very request instances passed in.</summary>
    public static MountPlan Plan(Config config, AllowlistLoad allowlist, IReadOnlyList<AdditionalMount> requests, bool isMain)
    {
        if (allowlist is AllowlistLoad.Unavailable unavailable)
            return new MountPlan([], [.. requests.Select(m => new MountRefusal(m, unavailable.Reason))], unavailable.Reason);
        var loaded = (AllowlistLoad.Loaded)allowlist;
        var guarded = ProtectedPaths(config, loaded.Source);

        var approved = new List<ApprovedMount>();
        var refused = new List<MountRefusal>();
        foreach (var request in requests)
        {
            switch (Check(request, loaded.Allowlist, isMain, guarded))
            {
                case MountCheck.Refused r:
                    refused.Add(new MountRefusal(request, r.Reason));
                    break;
                case MountCheck.Approved { Mount: var m } when approved.Find(a => a.Name.Equals(m.Name, StringComparison.OrdinalIgnoreCase)) is { } clash:
                    refused.Add(new MountRefusal(request, $"the name \"{m.Name}\" is already used by {clash.Requested.HostPath}; give this one another --container-path."));
                    break;
                case MountCheck.Approved { Mount: var m } when approved.Find(a => a.HostPath == m.HostPath) is { } same:
                    refused.Add(new MountRefusal(request, $"{m.HostPath} is already mounted as \"{same.Name}\"; remove one of the two."));
                    break;
                case MountCheck.Approved a:
                    approved.Add(a.Mount);
                    break;
            }
        }
        return new MountPlan(approved, refused);
    }

    /// <summary>Folders no mount may reach into or contain: NanoClaw's own home and the allowlist's folder.</summary>
    public static IReadOnlyList<string> ProtectedPaths(Config config, string allowlistPath) =>
        [config.Home, Path.GetDirectoryName(Path.GetFullPath(allowlistPath))!];

    /// <summary>Every rule for one request. <paramref name="protectedPaths"/> may be neither inside nor around the mount.</summary>
    public static MountCheck Check(AdditionalMount request, MountAllowlist allowlist, bool isMain, IReadOnlyList<string> protectedPaths)
    {
        var host = request.HostPath;
        if (string.IsNullOrWhiteSpace(host) || host.Contains('\0'))
            return Refuse("the host path is empty; give an absolute folder path.");

        // 1. The name inside the VM.
        var name = request.ContainerPath ?? Path.GetFileName(host.TrimEnd('/'));
        if (ValidateName(name) is { } nameError) return Refuse(nameError);

        // 2. Absolute, existing, fully resolved.
        if (!Path.IsPathRooted(host))
            return Refuse($"the host path \"{host}\" is relative; give an absolute path.");
        var real = RealPath.Resolve(host);
        if (real is null)
            return Refuse($"{host} does not exist (or a symlink in it points nowhere); create the folder or fix the path.");

        // 3. A folder.
        if (!Directory.Exists(real))
            return Refuse($"{host} is a file, not a folder; mount the folder that contains it.");

        // 4. Blocked names, on what was asked for and on what it really is.
        var lexical = Path.GetFullPath(host);
        if ((BlockedPattern(lexical, allowlist.BlockedPatterns) ?? BlockedPattern(real, allowlist.BlockedPatterns)) is { } pattern)
            return Refuse(real == lexical
                ? $"{host} matches the blocked pattern \"{pattern}\" (credentials are never mounted)."
                : $"{host} resolves to {real}, which matches the blocked pattern \"{pattern}\" (credentials are never mounted).");

        // 5. NanoClaw's own state and the allowlist.
        foreach (var guarded in protectedPaths)
        {
            var guardedReal = RealPath.Resolve(guarded) ?? Path.GetFullPath(guarded);
            if (IsWithin(real, guardedReal) || IsWithin(guardedReal, real) || IsWithin(lexical, guarded) || IsWithin(guarded, lexical))
                return Refuse($"{host} overlaps {guarded}, which holds NanoClaw's own state or the mount allowlist; mount a folder outside it.");
        }

        // 6. Under an allowed root (both sides resolved: a symlink may not lead out of the root).
        AllowedRoot? root = null;
        foreach (var candidate in allowlist.AllowedRoots)
        {
            if (RealPath.Resolve(candidate.Path) is { } rootReal && IsWithin(real, rootReal)) { root = candidate; break; }
        }
        if (root is null)
            return Refuse(real == lexical
                ? $"{host} is not under any allowed root of the mount allowlist; add a root for it there."
                : $"{host} resolves to {real}, which is not under any allowed root of the mount allowlist; add a root for it there.");

        // 7. Read-write only when asked, allowed by the root, and allowed for this group.
        string? note = null;
        var readOnly = true;
        if (request.WantsReadWrite)
        {
            if (!root.AllowReadWrite) note = $"read-only: the allowed root {root.Path} does not allow read-write (set allowReadWrite there).";
            else if (!isMain && allowlist.NonMainReadOnly) note = "read-only: only the main group gets read-write folders while nonMainReadOnly is true.";
            else readOnly = false;
        }
        return new MountCheck.Approved(new ApprovedMount(request, real, name, readOnly, note));
    }

    /// <summary>Null when <paramref name="name"/> can be the folder's name under /workspace/extra; otherwise what is wrong.</summary>
    public static string? ValidateName(string name) =>
        name.Length == 0 ? "the container path is empty; give a name such as \"vault\" with --container-path."
        : name.Contains('/') || name.Contains('\\') ? $"the container path \"{name}\" must be a single name (it appears as {ApprovedMount.GuestRoot}/<name>), without '/'."
        : name.Contains("..") ? $"the container path \"{name}\" may not contain \"..\"."
        : !ValidName().IsMatch(name) ? $"the container path \"{name}\" must be 1-64 letters, digits, '.', '_', '-' or spaces, starting with a letter, digit or '_'; pass --container-path."
        : null;

    /// <summary>The first pattern found in <paramref name="path"/>: a component that contains it (so <c>.env.local</c> and
    /// <c>id_rsa.pub</c> count), compared ignoring case; a pattern with a '/' must appear in the path as written.</summary>
    public static string? BlockedPattern(string path, IReadOnlyList<string> patterns)
    {
        var components = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var pattern in patterns)
        {
            if (pattern.Contains('/'))
            {
                if ((path.TrimEnd('/') + "/").Contains(pattern.Trim('/') + "/", StringComparison.OrdinalIgnoreCase)) return pattern;
            }
            else if (components.Any(c => c.Contains(pattern, StringComparison.OrdinalIgnoreCase)))
            {
                return pattern;
            }
        }
        return null;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or below it (component-wise, so /a/bc is not under /a/b).</summary>
    public static bool IsWithin(string path, string root)
    {
        var p = Path.TrimEndingDirectorySeparator(path);
        var r = Path.TrimEndingDirectorySeparator(root);
        return p == r || p.StartsWith(r == "/" ? "/" : r + "/", StringComparison.Ordinal);
    }

    static MountCheck.Refused Refuse(string reason) => new(reason);
}
