using System.Runtime.InteropServices;

namespace NanoClaw.Guest;

/// <summary>The few libc calls .NET has no API for.</summary>
static class Native
{
    [StructLayout(LayoutKind.Sequential)]
    struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    const int ClockRealtime = 0;

    [DllImport("libc", EntryPoint = "clock_settime", SetLastError = true)]
    static extern int ClockSetTime(int clock, ref Timespec time);

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    static extern int LChown(byte[] path, uint owner, uint group);

    [DllImport("libc", EntryPoint = "mount", SetLastError = true)]
    static extern int SysMount(byte[] source, byte[] target, byte[] fileSystemType, ulong flags, IntPtr data);

    const ulong MsReadOnly = 1, MsNoSuid = 2, MsNoDev = 4, MsNoExec = 8;

    /// <summary>Mounts the ext4 file system on <paramref name="device"/> at <paramref name="target"/> with
    /// <c>nosuid,nodev,noexec</c>, plus <c>ro</c> when <paramref name="readOnly"/> (needs root). Returns the error text, or null on success.</summary>
    public static string? MountExt4(string device, string target, bool readOnly) =>
        SysMount(LinuxStat.NullTerminated(device), LinuxStat.NullTerminated(target), LinuxStat.NullTerminated("ext4"),
            (readOnly ? MsReadOnly : 0) | MsNoSuid | MsNoDev | MsNoExec, IntPtr.Zero) == 0
            ? null
            : Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());

    /// <summary>Sets the system clock (needs root). Returns the error text, or null on success.</summary>
    public static string? SetClock(DateTimeOffset utcNow)
    {
        var ticks = utcNow.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var time = new Timespec { Seconds = ticks / TimeSpan.TicksPerSecond, Nanoseconds = ticks % TimeSpan.TicksPerSecond * 100 };
        return ClockSetTime(ClockRealtime, ref time) == 0 ? null : Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
    }

    /// <summary>Changes the owner of <paramref name="path"/> itself, never of what a symlink points to.</summary>
    public static void LChownOrThrow(string path, int uid, int gid)
    {
        if (LChown(LinuxStat.NullTerminated(path), (uint)uid, (uint)gid) != 0)
            throw new IOException($"lchown({path}) failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }
}
