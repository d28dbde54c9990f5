using System.Globalization;
using System.Runtime.InteropServices;

namespace NanoClaw.Guest;

/// <summary>
/// Stops the boot-time priming (vm/guest/stage2) when the job arrives: a throwaway Claude Code start that warms the VM
/// while it waits must not share the CPU with the run, and nothing of it is needed any more. Stage 2 (root) writes
/// the throwaway's process group id to <see cref="PidFile"/>; the stop file is written first, so a primer that had not
/// yet written its pid sees it and stops itself. Does nothing outside a VM (not root, no file).
/// </summary>
static class Primer
{
    const string StopFile = "/run/nanoclaw-prime.stop";
    const string PidFile = "/run/nanoclaw-prime.pid";
    const int SigKill = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int Kill(int pid, int signal);

    public static void Stop()
    {
        if (!Environment.IsPrivilegedProcess || !Directory.Exists("/run")) return;
        try
        {
            File.WriteAllText(StopFile, "");
            // The process group, else (not yet its own group) the process: both refuse pid 1 and anything not a pid.
            if (File.Exists(PidFile) && int.TryParse(File.ReadAllText(PidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 1
                && Kill(-pid, SigKill) != 0)
                Kill(pid, SigKill);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Priming only ever makes a run faster; a run must not fail because it could not be stopped.
        }
    }
}
