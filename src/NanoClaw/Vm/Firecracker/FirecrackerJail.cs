using System.Diagnostics;
using System.Text;
using NanoClaw.Vm.Image;

namespace NanoClaw.Vm.Firecracker;

/// <summary>
/// Jailer-style confinement of one firecracker process, for a host running as root:
/// <list type="bullet">
/// <item>a dedicated unprivileged user (<see cref="JailUser"/>) with no supplementary groups;</item>
/// <item>a chroot, <c>&lt;RunDir&gt;/root</c>, holding only what firecracker opens: its own binary, the kernel, the
/// initramfs and the rootfs (hard links, or read-only bind mounts across file systems), <c>/dev/kvm</c>,
/// <c>/dev/net/tun</c> when the VM has a TAP device, and the two sockets it creates;</item>
/// <item>its own cgroup v2 (<see cref="VmCgroup"/>), joined before firecracker's first instruction runs;</item>
/// <item>no environment, and only stdin/stdout/stderr (.NET opens every other descriptor close-on-exec).</item>
/// </list>
/// Layout: <c>&lt;RunDir&gt;</c> (root, 0700) holds <see cref="PidFileName"/> where the jailed process cannot touch it,
/// and <c>root/</c> (owned by the jail user, 0700) is the chroot.
/// </summary>
internal sealed class FirecrackerJail
{
    public const string PidFileName = "firecracker.pid";
    public const string RootName = "root";
    const string BinaryName = "firecracker";

    FirecrackerJail(string root, FirecrackerPaths host, FirecrackerPaths vmm) => (Root, Host, Vmm) = (root, host, vmm);

    /// <summary>The chroot directory, as the host sees it.</summary>
    public string Root { get; }

    /// <summary>Where the host reaches the VM's sockets and files.</summary>
    public FirecrackerPaths Host { get; }

    /// <summary>The same, as firecracker sees them inside its chroot: what the API requests must carry.</summary>
    public FirecrackerPaths Vmm { get; }

    /// <summary>The virtio ids the guest will see for the extra disks (<see cref="FirecrackerDisks.GuestSerial"/>).</summary>
    public IReadOnlyList<string> ExtraDiskSerials { get; private init; } = [];

    /// <summary>Builds the chroot under <paramref name="runDir"/> (which must exist and be empty). Throws
    /// <see cref="IOException"/> naming the step that failed; the caller removes the run folder.</summary>
    public static FirecrackerJail Prepare(string runDir, string binary, string vmlinux, VmArtifacts artifacts, IReadOnlyList<VmDisk> disks, JailUser user, bool tap)
    {
        JailSyscalls.Chmod(runDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var root = Path.Combine(runDir, RootName);
        Directory.CreateDirectory(root);
        // firecracker creates its sockets in its root directory, as the jail user.
        JailSyscalls.Chown(root, user.Uid, user.Gid);
        JailSyscalls.Chmod(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        PlaceBinary(binary, Path.Combine(root, BinaryName));
        Place(vmlinux, Path.Combine(root, "vmlinux"));
        Place(artifacts.Initrd, Path.Combine(root, "initrd.img"));
        Place(artifacts.Rootfs, Path.Combine(root, "rootfs.ext4"));
        // A writable disk's private copy belongs to the jail user, who must write it; read-only ones stay root's.
        var (extraDisks, serials) = FirecrackerDisks.Stage(disks, root, Place, copy => JailSyscalls.Chown(copy, user.Uid, user.Gid));

        Directory.CreateDirectory(Path.Combine(root, "dev", "net"));
        var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        MakeDevice(Path.Combine(root, "dev", "kvm"), 10, 232, owner, user);
        if (tap) MakeDevice(Path.Combine(root, "dev", "net", "tun"), 10, 200, owner, user);

        var inside = new FirecrackerPaths("/" + FirecrackerPaths.ApiSocketName, "/" + FirecrackerPaths.VsockSocketName, "/vmlinux", "/initrd.img", "/rootfs.ext4",
            [.. extraDisks.Select(disk => "/" + Path.GetFileName(disk))]);
        var host = new FirecrackerPaths(Path.Combine(root, FirecrackerPaths.ApiSocketName), Path.Combine(root, FirecrackerPaths.VsockSocketName),
            Path.Combine(root, "vmlinux"), Path.Combine(root, "initrd.img"), Path.Combine(root, "rootfs.ext4"), extraDisks);
        return new FirecrackerJail(root, host, inside) { ExtraDiskSerials = serials };
    }

    /// <summary>
    /// The launch. .NET's Process cannot run code between fork and exec, so the steps a jailer does there are a
    /// short exec chain that keeps one pid: <c>sh</c> writes its own pid into the VM's cgroup (so every byte
    /// firecracker allocates is charged there), then execs coreutils' <c>chroot --userspec --groups</c>, which
    /// chroots, drops to the jail user and its one group, and execs <c>/firecracker</c> inside the jail. <c>env -i</c>
    /// in between drops the one variable the shell itself exports (PWD).
    /// </summary>
    public ProcessStartInfo StartInfo(JailUser user, VmCgroup? cgroup)
    {
        var chroot = new[] { "/usr/sbin/chroot", "/usr/bin/chroot", "/sbin/chroot", "/bin/chroot" }.FirstOrDefault(File.Exists)
            ?? throw new IOException("no chroot binary (coreutils) in /usr/sbin, /usr/bin, /sbin or /bin");
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // $0..$4 are data, never parsed as shell text.
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(cgroup is null
            ? "exec /usr/bin/env -i \"$1\" --userspec=\"$2\" --groups=\"$3\" \"$4\" /firecracker --api-sock /fc.sock"
            : "echo $$ >\"$0\" || exit 125; exec /usr/bin/env -i \"$1\" --userspec=\"$2\" --groups=\"$3\" \"$4\" /firecracker --api-sock /fc.sock");
        psi.ArgumentList.Add(cgroup?.ProcsFile ?? "sh");
        psi.ArgumentList.Add(chroot);
        psi.ArgumentList.Add($"{user.Uid}:{user.Gid}");
        psi.ArgumentList.Add(user.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        psi.ArgumentList.Add(Root);
        psi.Environment.Clear();
        return psi;
    }

    /// <summary>A hard link when source and jail share a file system (instant, no space); otherwise a read-only bind
    /// mount of the file. Never a copy: the rootfs is a gigabyte.</summary>
    static void Place(string source, string target)
    {
        source = Resolved(source);
        if (Posix.TryHardLink(source, target)) return;
        File.WriteAllBytes(target, []);
        JailSyscalls.BindReadOnly(source, target);
    }

    /// <summary>The binary must be executable, and the bind mounts are noexec: across file systems it is copied
    /// (a few MB), owned by root and not writable by the jail user.</summary>
    static void PlaceBinary(string source, string target)
    {
        source = Resolved(source);
        if (Posix.TryHardLink(source, target)) return;
        File.Copy(source, target);
        JailSyscalls.Chmod(target, (UnixFileMode)0b101_101_101);
    }

    /// <summary>The file a path finally names: link(2) does not follow symlinks, and a symlink (e.g. a firecracker on
    /// PATH pointing at a versioned binary) would dangle inside the chroot.</summary>
    static string Resolved(string path) => new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;

    static void MakeDevice(string path, int major, int minor, UnixFileMode mode, JailUser user)
    {
        JailSyscalls.MakeCharDevice(path, major, minor, mode);
        JailSyscalls.Chown(path, user.Uid, user.Gid);
    }

    /// <summary>Detaches every mount under <paramref name="runDir"/> (deepest first), then deletes it. Safe on a run
    /// folder that never had a jail. A bind-mounted file must be unmounted first: deleting it would fail, and
    /// recursing into a mounted directory would delete the source's contents.</summary>
    public static void RemoveRunDir(string runDir)
    {
        if (!Directory.Exists(runDir)) return;
        var prefix = Path.GetFullPath(runDir).TrimEnd('/') + "/";
        foreach (var mount in MountPoints().Where(m => m.StartsWith(prefix, StringComparison.Ordinal)).OrderByDescending(m => m.Length))
            if (!JailSyscalls.Unmount(mount))
                throw new IOException($"cannot unmount {mount}; {runDir} is left in place (unmount it by hand, then delete it)");
        Directory.Delete(runDir, recursive: true);
    }

    /// <summary>Mount points from /proc/self/mountinfo (field 5), with the kernel's octal escapes decoded.</summary>
    static IEnumerable<string> MountPoints()
    {
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4) yield return Unescape(fields[4]);
        }
    }

    static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var bytes = new List<byte>();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length)
            {
                bytes.Add(Convert.ToByte(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
