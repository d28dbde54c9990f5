using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace NanoClaw.Guest;

/// <summary>What kind of file a path names, without following a final symlink.</summary>
public enum LinuxFileType { Regular, Directory, Symlink, CharacterDevice, BlockDevice, Fifo, Socket, Unknown }

/// <summary>The lstat facts the workspace code needs.</summary>
public readonly record struct LinuxFileStatus(LinuxFileType Type, long Size, long MtimeNanoseconds, uint Mode);

/// <summary>
/// <c>lstat</c> through Linux's <c>statx</c> (fixed layout on every architecture, unlike <c>struct stat</c>).
/// NOTE: .NET's FileSystemInfo reports FIFOs, sockets and devices as ordinary files (and opening a FIFO blocks),
/// so it cannot be trusted to tell what is safe to read or send.
/// </summary>
public static class LinuxStat
{
    const int AtFdCwd = -100;
    const int AtSymlinkNoFollow = 0x100;
    const uint StatxBasicStats = 0x7ff;
    const int ENOENT = 2, ENOTDIR = 20;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    static extern int Statx(int dirfd, byte[] path, int flags, uint mask, byte[] buffer);

    /// <summary>The status of <paramref name="path"/> itself (a symlink is reported as one), or null when it does not exist.</summary>
    /// <exception cref="IOException">Any other failure (permission, I/O).</exception>
    public static LinuxFileStatus? Lstat(string path)
    {
        var buffer = new byte[256];
        if (Statx(AtFdCwd, NullTerminated(path), AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENOENT or ENOTDIR) return null;
            throw new IOException($"statx({path}) failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        // struct statx: stx_mode u16 at 28, stx_size u64 at 40, stx_mtime {i64 sec, u32 nsec} at 112.
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28));
        var size = (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(40));
        var mtime = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(112)) * 1_000_000_000L
            + BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(120));
        return new LinuxFileStatus(TypeOf(mode), size, mtime, mode & 0xfffu);
    }

    /// <summary>The device, special-device and inode numbers of the file <paramref name="path"/> names (following
    /// symlinks), as <c>stat(2)</c> reports them (<c>dev_t</c> in glibc's <c>makedev</c> encoding).</summary>
    /// <exception cref="IOException">The file cannot be stat'ed.</exception>
    public static (ulong Dev, ulong Rdev, ulong Inode) FileIds(string path)
    {
        var buffer = new byte[256];
        if (Statx(AtFdCwd, NullTerminated(path), 0, StatxBasicStats, buffer) != 0)
            throw new IOException($"statx({path}) failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        // struct statx: stx_ino u64 at 32; stx_rdev_major/minor u32 at 128/132; stx_dev_major/minor u32 at 136/140.
        uint U32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset));
        return (MakeDev(U32(136), U32(140)), MakeDev(U32(128), U32(132)), BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(32)));
    }

    static ulong MakeDev(ulong major, ulong minor) =>
        ((major & 0xfffff000) << 32) | ((major & 0xfff) << 8) | ((minor & 0xffffff00) << 12) | (minor & 0xff);

    static LinuxFileType TypeOf(uint mode) => (mode & 0xf000) switch
    {
        0x8000 => LinuxFileType.Regular,
        0x4000 => LinuxFileType.Directory,
        0xa000 => LinuxFileType.Symlink,
        0x2000 => LinuxFileType.CharacterDevice,
        0x6000 => LinuxFileType.BlockDevice,
        0x1000 => LinuxFileType.Fifo,
        0xc000 => LinuxFileType.Socket,
        _ => LinuxFileType.Unknown,
    };

    internal static byte[] NullTerminated(string path)
    {
        if (path.Contains('\0')) throw new ArgumentException("path contains NUL", nameof(path));
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }
}
