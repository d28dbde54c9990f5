using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using NanoClaw.Guest;

namespace NanoClaw.Files;

/// <summary>
/// Copies one file out of a group's folder into a host-owned place, refusing anything but a regular file that really
/// lies inside that folder. The guest chose the path and wrote the folder, so everything about the file is hostile:
/// <list type="number">
/// <item>the file is opened once, with <c>O_NOFOLLOW</c> (a final symlink fails) and <c>O_NONBLOCK</c> (a FIFO does not hang the host);</item>
/// <item>the OPEN file is checked, not the path: its type and size by <c>fstat</c>, and where it lives by the kernel's own
/// name for it (<c>/proc/self/fd</c>), which must be the group folder plus the asked-for segments; a symlinked folder
/// on the way, or a rename after the open, shows there;</item>
/// <item>the bytes are read from that same open file, at most the cap, so a path swapped after the checks or a file
/// that grows cannot change what is copied.</item>
/// </list>
/// </summary>
public static class GroupFileCopy
{
    const int ENOENT = 2, ENOTDIR = 20, ELOOP = 40, ENXIO = 6;
    const int AtEmptyPath = 0x1000;
    const uint StatxBasicStats = 0x7ff;
    static readonly bool Arm = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;
    // O_NOFOLLOW and O_DIRECTORY differ between x86-64 and arm64.
    static readonly int ONoFollow = Arm ? 0x8000 : 0x20000;
    static readonly int ODirectory = Arm ? 0x4000 : 0x10000;
    const int ONonBlock = 0x800, OCloExec = 0x80000;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    static extern int Open(byte[] path, int flags, int mode);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    static extern int Statx(int dirfd, byte[] path, int flags, uint mask, byte[] buffer);

    /// <summary>Copies <paramref name="groupDir"/>/<paramref name="segments"/> to the new file <paramref name="destination"/>
    /// (owner-only). Null when copied (<paramref name="bytes"/> set); otherwise why not, in words the agent can act on.</summary>
    public static string? TryCopy(string groupDir, IReadOnlyList<string> segments, string destination, long maxBytes, out long bytes)
    {
        bytes = 0;
        if (segments.Count == 0) return "no file named";
        var relative = string.Join('/', segments);

        // The group folder itself is the host's configuration (it may be a symlink the owner made); its real name is the anchor.
        using var dir = OpenHandle(groupDir, ODirectory | OCloExec, out var dirErrno);
        if (dir is null && dirErrno == ENOENT) return $"{relative} does not exist in the group folder";
        if (dir is null) return $"the group folder cannot be opened ({Marshal.GetPInvokeErrorMessage(dirErrno)})";
        var realDir = RealName(dir);

        // 1. open once, never following a final symlink, never blocking on a FIFO
        using var file = OpenHandle(Path.Combine(groupDir, relative), ONoFollow | ONonBlock | OCloExec, out var errno);
        if (file is null)
            return errno switch
            {
                ENOENT => $"{relative} does not exist in the group folder",
                ELOOP => $"{relative} is a symlink; only regular files are sent",
                ENOTDIR => $"a folder on the way to {relative} is not a folder",
                ENXIO => $"{relative} is not a regular file",
                _ => $"{relative} cannot be opened ({Marshal.GetPInvokeErrorMessage(errno)})",
            };

        // 2. the open file: its type, size and true place
        var (type, size) = Fstat(file);
        if (type != LinuxFileType.Regular) return $"{relative} is a {Describe(type)}, not a regular file";
        if (size > maxBytes) return $"{relative} is {size} bytes; the most that can be sent is {maxBytes} bytes";
        var realFile = RealName(file);
        if (realFile != realDir + "/" + relative)
            return $"{relative} is not inside the group folder (a folder on the way is a symlink, or the file was moved)";

        // 3. the bytes, from the same open file, capped
        try
        {
            using var input = new FileStream(file, FileAccess.Read, 1);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using var output = new FileStream(destination, options);
            var buffer = new byte[81920];
            int read;
            while ((read = input.Read(buffer)) > 0)
            {
                bytes += read;
                if (bytes > maxBytes) break;
                output.Write(buffer, 0, read);
            }
        }
        catch (IOException e)
        {
            File.Delete(destination);
            return $"{relative} could not be read ({e.Message})";
        }
        if (bytes > maxBytes)
        {
            File.Delete(destination);
            return $"{relative} grew past {maxBytes} bytes while it was read";
        }
        return null;
    }

    static SafeFileHandle? OpenHandle(string path, int flags, out int errno)
    {
        var fd = Open(LinuxStat.NullTerminated(path), flags, 0);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    static string RealName(SafeFileHandle handle) =>
        new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget
        ?? throw new IOException("the kernel gave no name for an open file");

    static (LinuxFileType Type, long Size) Fstat(SafeFileHandle handle)
    {
        var buffer = new byte[256];
        if (Statx((int)handle.DangerousGetHandle(), [0], AtEmptyPath, StatxBasicStats, buffer) != 0)
            throw new IOException($"fstat failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        // struct statx: stx_mode u16 at 28, stx_size u64 at 40.
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28));
        var type = (mode & 0xf000) switch
        {
            0x8000 => LinuxFileType.Regular,
            0x4000 => LinuxFileType.Directory,
            0x2000 => LinuxFileType.CharacterDevice,
            0x6000 => LinuxFileType.BlockDevice,
            0x1000 => LinuxFileType.Fifo,
            0xc000 => LinuxFileType.Socket,
            _ => LinuxFileType.Unknown,
        };
        return (type, (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(40)));
    }

    static string Describe(LinuxFileType type) => type switch
    {
        LinuxFileType.Directory => "folder",
        LinuxFileType.Fifo => "FIFO (named pipe)",
        LinuxFileType.Socket => "socket",
        LinuxFileType.CharacterDevice or LinuxFileType.BlockDevice => "device",
        _ => "special file",
    };
}
