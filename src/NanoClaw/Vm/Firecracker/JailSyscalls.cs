using System.Runtime.InteropServices;
using NanoClaw.Guest;

namespace NanoClaw.Vm.Firecracker;

/// <summary>The libc calls building a jail needs and .NET lacks: device nodes, ownership, read-only bind mounts.</summary>
internal static class JailSyscalls
{
    const uint SIfChr = 0x2000;
    const ulong MsRdOnly = 1, MsNoSuid = 2, MsNoDev = 4, MsNoExec = 8, MsRemount = 32, MsBind = 4096;
    const int MntDetach = 2;

    [DllImport("libc", EntryPoint = "mknod", SetLastError = true)]
    static extern int SysMknod(byte[] path, uint mode, ulong device);

    [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    static extern int SysChown(byte[] path, uint owner, uint group);

    [DllImport("libc", EntryPoint = "chmod", SetLastError = true)]
    static extern int SysChmod(byte[] path, uint mode);

    [DllImport("libc", EntryPoint = "mount", SetLastError = true)]
    static extern int SysMount(byte[] source, byte[] target, IntPtr fileSystemType, ulong flags, IntPtr data);

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    static extern int SysFcntl(int fd, int command, int argument);

    [DllImport("libc", EntryPoint = "umount2", SetLastError = true)]
    static extern int SysUmount2(byte[] target, int flags);

    /// <summary>A character device node (e.g. /dev/kvm 10:232) with the given permission bits.</summary>
    public static void MakeCharDevice(string path, int major, int minor, UnixFileMode mode)
    {
        // makedev() for the classic 12-bit major / 20-bit minor split, which covers the misc devices used here.
        var device = ((ulong)major << 8) | (uint)(minor & 0xff) | ((ulong)(minor & ~0xff) << 12);
        Check(SysMknod(Z(path), SIfChr | (uint)mode, device), $"mknod {path}");
    }

    public static void Chmod(string path, UnixFileMode mode) => Check(SysChmod(Z(path), (uint)mode), $"chmod {path}");

    public static void Chown(string path, int uid, int gid) => Check(SysChown(Z(path), (uint)uid, (uint)gid), $"chown {path}");

    /// <summary>Makes <paramref name="source"/> visible at <paramref name="target"/> (an existing empty file),
    /// read-only, nosuid, nodev, noexec: the second remount is what applies the read-only flag to a bind mount.</summary>
    public static void BindReadOnly(string source, string target)
    {
        Check(SysMount(Z(source), Z(target), IntPtr.Zero, MsBind, IntPtr.Zero), $"bind-mount {source} on {target}");
        if (SysMount(Z(source), Z(target), IntPtr.Zero, MsRemount | MsBind | MsRdOnly | MsNoSuid | MsNoDev | MsNoExec, IntPtr.Zero) != 0)
        {
            var error = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
            SysUmount2(Z(target), MntDetach);
            throw new IOException($"remount {target} read-only failed: {error}");
        }
    }

    /// <summary>Detaches a mount; false when <paramref name="target"/> was not a mount point (or is gone).</summary>
    public static bool Unmount(string target) => SysUmount2(Z(target), MntDetach) == 0;

    /// <summary>
    /// Marks every open descriptor above stderr close-on-exec. .NET opens its own that way, but descriptors this process
    /// INHERITED (from a shell, a service manager, a test runner) are not, and a child would inherit them in turn.
    /// Idempotent; nothing here is ever meant to be passed to a child.
    /// </summary>
    public static void CloseOnExecInherited()
    {
        const int FGetFd = 1, FSetFd = 2, FdCloexec = 1;
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var fd) || fd <= 2) continue;
            var flags = SysFcntl(fd, FGetFd, 0);
            if (flags >= 0 && (flags & FdCloexec) == 0) SysFcntl(fd, FSetFd, flags | FdCloexec);
        }
    }

    static byte[] Z(string path) => LinuxStat.NullTerminated(path);

    static void Check(int result, string what)
    {
        if (result != 0) throw new IOException($"{what} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }
}
