using System.Runtime.InteropServices;
using NanoClaw.Guest;

namespace NanoClaw.Vm;

/// <summary>The few process primitives .NET lacks: SIGTERM, and looking at a pid we did not start.</summary>
internal static class Posix
{
    public const int SigTerm = 15;
    public const int SigKill = 9;
    public const int SigCont = 18;
    public const int SigStop = 19;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int SysKill(int pid, int signal);

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    static extern int SysLink(byte[] oldPath, byte[] newPath);

    /// <summary>Hard-links <paramref name="target"/> to <paramref name="source"/>; false when the kernel refuses (another
    /// file system, protected_hardlinks), so the caller can copy instead.</summary>
    public static bool TryHardLink(string source, string target) =>
        SysLink(LinuxStat.NullTerminated(source), LinuxStat.NullTerminated(target)) == 0;

    /// <summary>Sends a signal; false when the process is already gone.</summary>
    public static bool Signal(int pid, int signal) => SysKill(pid, signal) == 0;

    /// <summary>True while the pid exists and is not a zombie (a zombie has exited; only its parent's wait is pending).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Format: "pid (comm) state ...", and comm may itself contain ") ".
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ', 2)[0];
            return state != "Z" && state != "X";
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    /// <summary>The process's argv joined by spaces, or null if it is gone.</summary>
    public static string? CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').TrimEnd(); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException) { return null; }
    }

    /// <summary>Waits until the pid is no longer running; false if it still runs after <paramref name="bound"/>.</summary>
    public static async Task<bool> WaitGoneAsync(int pid, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (IsRunning(pid))
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(50);
        }
        return true;
    }
}
