namespace NanoClaw.Tests.Support;

/// <summary>Looks at the host's processes: to prove none of a test's VMs is left, or that a frozen one is stopped.</summary>
internal static class ProcessTable
{
    /// <summary>Pids of running (non-zombie) processes whose argv contains <paramref name="text"/>.</summary>
    public static List<int> Mentioning(string text)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var state = stat[(stat.LastIndexOf(')') + 2)..][0];
                if (state != 'Z' && cmdline.Contains(text, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException) { /* exited while we looked */ }
        }
        return found;
    }

    /// <summary>The process's state letter (<c>R</c>, <c>S</c>, <c>T</c> = stopped, ...).</summary>
    public static char State(int pid) => StatFields(pid)[0][0];

    /// <summary>CPU the process has used (user + system), in clock ticks.</summary>
    public static long CpuTicks(int pid)
    {
        var fields = StatFields(pid);
        return long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The fields of /proc/PID/stat after "pid (comm)", from the state on; comm may itself contain ") ".</summary>
    static string[] StatFields(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }
}
